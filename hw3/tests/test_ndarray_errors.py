"""Bad input is refused with a message that names what was wrong (hw3_ndarray_python): an
incompatible reshape, an out-of-range int index (IndexError), the wrong number of indices,
broadcasting to an incompatible shape, elementwise ops and matmul on mismatched shapes (both
shapes named), a negative or zero slice step, assigning an array of the wrong size, reducing
over two axes or an empty axis, arrays on different devices, and other misuse (permute axes,
flip and reduce axes out of range, pad pairs, index types, an array as an exponent). Unsupported
dtypes are refused in test_ndarray_creation.py."""
import re

import numpy as np
import pytest

import needle.backend_ndarray as nd
from needle.backend_ndarray import ndarray_backend_numpy
from ndarray_checks import ALL_DEVICES, case_id, numbered, on

pytestmark = [pytest.mark.hw3_ndarray_python, pytest.mark.parametrize("device", ALL_DEVICES)]


def naming(*shapes):
    """A regex matching a message that names each shape, in this order."""
    return ".*".join(re.escape(str(tuple(s))) for s in shapes)


@pytest.mark.parametrize("shape, new_shape", [((2, 3), (4, 2)), ((2, 3), (7,)), ((2, 3), (4, -1)), ((6,), (2, -1, -1))],
                         ids=case_id)
def test_incompatible_reshape(device, shape, new_shape):
    with pytest.raises(ValueError, match=naming(shape, new_shape)):
        on(device, numbered(shape)).reshape(new_shape)


def test_reshape_of_a_non_contiguous_view_names_its_shape_and_the_fix(device):
    with pytest.raises(ValueError, match=rf"{naming((4, 3))}.*{naming((12,))}.*compact"):
        on(device, numbered((3, 4))).permute((1, 0)).reshape((12,))


@pytest.mark.parametrize("index", [(3, 0), (0, 4), (-4, 0), (0, -5), (100, 1)], ids=case_id)
def test_int_index_out_of_range(device, index):
    bad = index[0] if not -3 <= index[0] < 3 else index[1]
    with pytest.raises(IndexError, match=rf"index {bad} is out of range.*{naming((3, 4))}"):
        on(device, numbered((3, 4)))[index]


@pytest.mark.parametrize("index", [1, (1, 2, 3), (slice(None),)], ids=case_id)
def test_one_index_per_axis(device, index):
    count = len(index) if isinstance(index, tuple) else 1
    with pytest.raises(IndexError, match=rf"one index per axis: got {count}.*{naming((3, 4))}"):
        on(device, numbered((3, 4)))[index]


@pytest.mark.parametrize("index", [(1.0, 0), (None, 0), (Ellipsis, 0), (True, 0)], ids=case_id)
def test_indices_must_be_ints_or_slices(device, index):
    with pytest.raises(TypeError, match="not an int or a slice"):
        on(device, numbered((3, 4)))[index]


@pytest.mark.parametrize("step", [-1, 0])
def test_slice_steps_must_be_positive(device, step):
    with pytest.raises(ValueError, match="only positive steps"):
        on(device, numbered((3, 4)))[::step, :]


@pytest.mark.parametrize("shape, new_shape", [((3, 4), (3, 5)), ((2, 3), (3,)), ((3, 1), (4, 2)), ((2, 3), (2, 3, 1))],
                         ids=case_id)
def test_broadcast_to_an_incompatible_shape(device, shape, new_shape):
    with pytest.raises(ValueError, match=naming(shape, new_shape)):
        on(device, numbered(shape)).broadcast_to(new_shape)


@pytest.mark.parametrize("op", [
    pytest.param(lambda x, y: x + y, id="add"),
    pytest.param(lambda x, y: x * y, id="mul"),
    pytest.param(lambda x, y: x / y, id="div"),
    pytest.param(lambda x, y: x.maximum(y), id="maximum"),
    pytest.param(lambda x, y: x == y, id="eq"),
    pytest.param(lambda x, y: x >= y, id="ge"),
])
def test_elementwise_on_different_shapes(device, op):
    with pytest.raises(ValueError, match=naming((2, 3), (3, 2))):
        op(on(device, numbered((2, 3))), on(device, numbered((3, 2))))
    with pytest.raises(ValueError, match=naming((3,), (3, 1))):
        op(on(device, numbered((3,))), on(device, numbered((3, 1))))


@pytest.mark.parametrize("left, right", [((2, 3), (4, 5)), ((3,), (3, 2)), ((2, 3), (3,)), ((2, 2, 2), (2, 2))],
                         ids=case_id)
def test_matmul_on_mismatched_shapes(device, left, right):
    with pytest.raises(ValueError, match=naming(left, right)):
        on(device, numbered(left)) @ on(device, numbered(right))


def test_arrays_on_different_devices_do_not_mix(device):
    twin = nd.BackendDevice("numpy_twin", ndarray_backend_numpy)  # a second device that always exists
    a, b = on(device, numbered((2, 2))), nd.array(numbered((2, 2)), device=twin)
    with pytest.raises(ValueError, match="one device"):
        a + b
    with pytest.raises(ValueError, match="one device"):
        a @ b


def test_assigning_an_array_of_the_wrong_size(device):
    a = on(device, numbered((4, 5)))
    with pytest.raises(ValueError, match=naming((3,), (2, 5))):
        a[0:2, :] = on(device, numbered((3,)))
    with pytest.raises(ValueError, match=naming((2, 2), (1, 1))):
        a[1, 1] = on(device, numbered((2, 2)))


def test_power_takes_a_scalar_exponent(device):
    a = on(device, numbered((2, 2)))
    with pytest.raises(TypeError, match="scalar exponent"):
        a ** a


@pytest.mark.parametrize("reduce", ["sum", "max"])
def test_reductions_take_one_axis_or_all(device, reduce):
    a = on(device, numbered((2, 3, 4)))
    with pytest.raises(ValueError, match=r"one axis.*\(0, 1\)"):
        getattr(a, reduce)(axis=(0, 1))
    with pytest.raises(ValueError, match=rf"axis 3 is out of range.*{naming((2, 3, 4))}"):
        getattr(a, reduce)(axis=3)
    with pytest.raises(ValueError, match=rf"empty axis.*{naming((2, 0))}"):
        getattr(on(device, np.zeros((2, 0), np.float32)), reduce)(axis=1)


def test_permute_flip_pad_and_as_strided_check_their_arguments(device):
    a = on(device, numbered((2, 3)))
    with pytest.raises(ValueError, match=rf"\(0, 0\) are not a permutation.*{naming((2, 3))}"):
        a.permute((0, 0))
    with pytest.raises(ValueError, match=r"not a permutation"):
        a.permute((1, 0, 2))
    with pytest.raises(ValueError, match=rf"flip.*\(2,\).*{naming((2, 3))}"):
        a.flip(2)
    with pytest.raises(ValueError, match=rf"pad.*{naming((2, 3))}"):
        a.pad(((1, 1),))
    with pytest.raises(ValueError, match=rf"pad.*{naming((2, 3))}"):
        a.pad(((1, 1), (0, -1)))
    with pytest.raises(ValueError, match=r"as_strided.*\(6,\).*\(1, 1\)"):
        a.as_strided((6,), (1, 1))


def test_a_view_reaching_outside_its_buffer_is_refused(device):
    # a wrong stride or offset in a view would make a kernel read or write past the buffer
    base = on(device, numbered((2, 3)))
    with pytest.raises(IndexError, match=r"reaches elements 4\.\.8, outside its buffer of 6 elements"):
        nd.NDArray.make((2, 2), strides=(3, 1), device=base.device, handle=base._handle, offset=4)
    with pytest.raises(IndexError, match=r"reaches elements -1\.\.1"):
        nd.NDArray.make((3,), strides=(-1,), device=base.device, handle=base._handle, offset=1)
    with pytest.raises(IndexError, match="outside its buffer"):
        base.as_strided((3, 3), (3, 1))
