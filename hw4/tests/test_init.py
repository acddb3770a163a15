"""needle.init in hw4: every init function makes float32 Tensors on `ndl.cpu()` unless `device=`
says otherwise (and then on that device), kaiming_uniform takes the full weight shape of a
convolution through `shape=`, and one_hot accepts labels that arrive as float Tensors.
Seeded draws come from numpy's global generator, so they are the same on every device.
"""
import math

import numpy as np
import pytest

import needle as ndl
from devices import ALL_DEVICES
from needle import init

pytestmark = pytest.mark.hw4_ops

# name -> a call with the remaining keyword arguments
MAKERS = {
    "rand": lambda **kw: init.rand(2, 3, low=-1.0, high=2.0, **kw),
    "randn": lambda **kw: init.randn(2, 3, mean=1.0, std=2.0, **kw),
    "constant": lambda **kw: init.constant(2, 3, c=2.5, **kw),
    "ones": lambda **kw: init.ones(2, 3, **kw),
    "zeros": lambda **kw: init.zeros(2, 3, **kw),
    "randb": lambda **kw: init.randb(2, 3, p=0.5, dtype="float32", **kw),
    "one_hot": lambda **kw: init.one_hot(4, np.array([0, 3]), **kw),
    "xavier_uniform": lambda **kw: init.xavier_uniform(3, 4, **kw),
    "xavier_normal": lambda **kw: init.xavier_normal(3, 4, **kw),
    "kaiming_uniform": lambda **kw: init.kaiming_uniform(3, 4, **kw),
    "kaiming_normal": lambda **kw: init.kaiming_normal(3, 4, **kw),
    "kaiming_uniform-shape": lambda **kw: init.kaiming_uniform(18, 4, shape=(3, 3, 2, 4), **kw),
}


@pytest.mark.parametrize("name", MAKERS)
def test_init_makes_float32_tensors_on_cpu_by_default(name):
    tensor = MAKERS[name]()
    assert isinstance(tensor, ndl.Tensor)
    assert tensor.device == ndl.cpu()
    assert isinstance(tensor.realize_cached_data(), ndl.backend_ndarray.NDArray)
    assert np.dtype(tensor.dtype) == np.float32
    assert tensor.requires_grad is False


@pytest.mark.parametrize("device", ALL_DEVICES)
@pytest.mark.parametrize("name", MAKERS)
def test_init_honours_device_and_requires_grad(name, device):
    tensor = MAKERS[name](device=device, requires_grad=True)
    assert tensor.device == device
    assert tensor.realize_cached_data().device == device
    assert tensor.requires_grad is True


@pytest.mark.parametrize("device", ALL_DEVICES)
@pytest.mark.parametrize("name", ["rand", "randn", "xavier_uniform", "kaiming_uniform-shape"])
def test_seeded_draws_are_the_same_on_every_device(name, device):
    np.random.seed(3)
    on_cpu = MAKERS[name]().numpy()
    np.random.seed(3)
    np.testing.assert_array_equal(MAKERS[name](device=device).numpy(), on_cpu)


@pytest.mark.parametrize("device", ALL_DEVICES)
@pytest.mark.parametrize("fan_in, fan_out, shape", [(18, 4, (3, 3, 2, 4)), (75, 8, (5, 5, 3, 8)), (6, 2, None)])
def test_kaiming_uniform_takes_the_full_weight_shape(fan_in, fan_out, shape, device):
    """bound = sqrt(2) * sqrt(3 / fan_in), applied to numpy's draw of the whole shape."""
    np.random.seed(0)
    weights = init.kaiming_uniform(fan_in, fan_out, shape=shape, device=device)
    full_shape = (fan_in, fan_out) if shape is None else shape
    bound = math.sqrt(2) * math.sqrt(3 / fan_in)
    np.random.seed(0)
    expected = (np.random.rand(*full_shape) * (2 * bound) - bound).astype(np.float32)
    assert weights.shape == full_shape
    assert weights.device == device
    np.testing.assert_allclose(weights.numpy(), expected, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("device", ALL_DEVICES)
@pytest.mark.parametrize("labels", [
    pytest.param(lambda d: ndl.Tensor(np.array([2.0, 0.0, 4.0, 2.0], dtype=np.float32), device=d), id="float-tensor"),
    pytest.param(lambda d: np.array([2.0, 0.0, 4.0, 2.0]), id="float-numpy"),
    pytest.param(lambda d: [2, 0, 4, 2], id="int-list"),
])
def test_one_hot_accepts_float_labels(labels, device):
    out = init.one_hot(5, labels(device), device=device)
    assert out.device == device
    np.testing.assert_array_equal(out.numpy(), np.eye(5, dtype=np.float32)[[2, 0, 4, 2]])


@pytest.mark.parametrize("device", ALL_DEVICES)
@pytest.mark.parametrize("make", [init.zeros_like, init.ones_like])
def test_zeros_like_and_ones_like_keep_the_device(make, device):
    like = ndl.Tensor(np.ones((2, 3), dtype=np.float32), device=device)
    out = make(like)
    assert out.device == device and out.shape == (2, 3)
    assert np.all(out.numpy() == (0.0 if make is init.zeros_like else 1.0))


def test_a_tensor_made_from_a_list_lives_on_cpu_and_one_from_an_ndarray_keeps_its_device():
    assert ndl.Tensor([1.0, 2.0]).device == ndl.cpu()
    on_numpy = ndl.backend_ndarray.array(np.ones(3), device=ndl.cpu_numpy())
    assert ndl.Tensor(on_numpy).device == ndl.cpu_numpy()
