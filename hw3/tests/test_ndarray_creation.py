"""Devices and making arrays (hw3_ndarray_python): devices print as `cpu()`, `cuda()` and
`cpu_numpy()`, the default device is cpu_numpy(), arrays are float32 only (other dtypes are
refused with a message naming them, never silently converted), nd.array from numpy arrays and
nested lists, empty and full, one_hot, and rand/randn drawing from numpy's global generator so
that a seeded draw is the same on every device."""
import numpy as np
import pytest

import needle.backend_ndarray as nd
from ndarray_checks import ALL_DEVICES, assert_matches

pytestmark = pytest.mark.hw3_ndarray_python


@pytest.mark.parametrize("make, name", [(nd.cpu, "cpu()"), (nd.cuda, "cuda()"), (nd.cpu_numpy, "cpu_numpy()")],
                         ids=["cpu", "cuda", "cpu_numpy"])
def test_devices_print_as_their_names_and_compare_by_name(make, name):
    assert repr(make()) == name and str(make()) == name
    assert make() == make() and hash(make()) == hash(make())


def test_default_device_is_cpu_numpy_and_all_devices_lists_three():
    assert nd.default_device() == nd.cpu_numpy()
    assert nd.array([1.0, 2.0]).device == nd.cpu_numpy()
    assert nd.empty((2,)).device == nd.cpu_numpy()
    assert {repr(d) for d in nd.all_devices()} == {"cpu()", "cuda()", "cpu_numpy()"}
    assert nd.cpu_numpy() != nd.cpu() and nd.cpu() != nd.cuda()


@pytest.mark.parametrize("device", ALL_DEVICES)
def test_array_from_numpy_and_lists_is_float32_on_the_device(device):
    a = nd.array([[1, 2, 3], [4, 5, 6]], device=device)
    assert a.device == device and a.dtype == "float32" and a.shape == (2, 3) and a.is_compact()
    assert_matches(a, np.array([[1, 2, 3], [4, 5, 6]], dtype=np.float32), what="nd.array of int lists")
    values = np.random.default_rng(0).standard_normal((3, 4))  # float64, rounded to float32
    assert_matches(nd.array(values, device=device), values.astype(np.float32), what="nd.array of float64 values")
    assert_matches(nd.array(values[:, ::2], device=device), values[:, ::2].astype(np.float32),
                   what="nd.array of a non-contiguous numpy view")
    assert_matches(nd.array(np.float32(2.5), device=device), np.float32(2.5), what="nd.array of a scalar")
    assert "device=" + repr(device) in repr(a) and str(a) == str(a.numpy())


@pytest.mark.parametrize("device", ALL_DEVICES)
@pytest.mark.parametrize("dtype", ["float64", "int32", "float16", pytest.param(np.float64, id="np.float64"), "bool"])
def test_dtypes_other_than_float32_are_refused(device, dtype):
    pattern = rf"float32 only, got .*{np.dtype(dtype).name}"
    with pytest.raises(ValueError, match=pattern):
        nd.array([1.0, 2.0], dtype=dtype, device=device)
    with pytest.raises(ValueError, match=pattern):
        nd.empty((2, 2), dtype=dtype, device=device)
    with pytest.raises(ValueError, match=pattern):
        nd.full((2, 2), 1.0, dtype=dtype, device=device)
    with pytest.raises(ValueError, match=pattern):
        device.rand(2, 2, dtype=dtype)
    with pytest.raises(ValueError, match=pattern):
        device.randn(2, 2, dtype=dtype)
    with pytest.raises(ValueError, match=pattern):
        device.one_hot(3, 1, dtype=dtype)


@pytest.mark.parametrize("device", ALL_DEVICES)
@pytest.mark.parametrize("dtype", ["float32", pytest.param(np.float32, id="np.float32"), None])
def test_float32_may_be_named_in_every_spelling(device, dtype):
    assert nd.array([1.0], dtype=dtype, device=device).dtype == "float32"
    assert nd.full((1,), 3.0, dtype=dtype, device=device).numpy().dtype == np.float32


@pytest.mark.parametrize("device", ALL_DEVICES)
def test_empty_and_full(device):
    e = nd.empty((2, 0, 3), device=device)
    assert e.shape == (2, 0, 3) and e.size == 0 and e.device == device
    assert nd.empty((4, 5), device=device).shape == (4, 5)
    assert_matches(nd.full((3, 2), -1.5, device=device), np.full((3, 2), -1.5, np.float32), what="nd.full")
    assert_matches(device.full((2, 2, 2), 7.0), np.full((2, 2, 2), 7.0, np.float32), what="device.full")
    assert_matches(device.full((4,), np.inf), np.full(4, np.inf, np.float32), what="full of inf")


@pytest.mark.parametrize("device", ALL_DEVICES)
def test_one_hot(device):
    assert_matches(device.one_hot(5, 2), np.eye(5, dtype=np.float32)[2], what="one_hot(5, 2)")
    labels = np.array([0, 3, 1, 3])
    assert_matches(device.one_hot(4, labels), np.eye(4, dtype=np.float32)[labels], what="one_hot(4, labels)")


@pytest.mark.parametrize("device", ALL_DEVICES)
@pytest.mark.parametrize("draw", ["rand", "randn"])
def test_seeded_draws_are_numpys_and_the_same_on_every_device(device, draw):
    np.random.seed(7)
    got = getattr(device, draw)(3, 4)
    np.random.seed(7)
    want = getattr(np.random, draw)(3, 4).astype(np.float32)
    np.random.seed(7)
    reference = getattr(nd.cpu_numpy(), draw)(3, 4)
    assert got.device == device and got.shape == (3, 4)
    assert_matches(got, want, what=f"{device}.{draw}(3, 4) after np.random.seed(7)")
    assert_matches(got, reference.numpy(), what=f"{device}.{draw} against cpu_numpy().{draw}")
    if draw == "rand":
        assert ((got.numpy() >= 0) & (got.numpy() < 1)).all()
