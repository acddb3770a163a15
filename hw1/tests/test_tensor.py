"""The Tensor API and needle.init: construction, properties, methods, devices, random draws."""
import numpy as np
import pytest

import needle as ndl


def test_tensor_from_lists_arrays_and_tensors():
    from_list = ndl.Tensor([[1.0, 2.0], [3.0, 4.0]])
    assert from_list.shape == (2, 2) and isinstance(from_list.numpy(), np.ndarray)
    from_array = ndl.Tensor(np.arange(6, dtype=np.float32).reshape(2, 3))
    assert from_array.dtype == np.float32 and from_array.shape == (2, 3)
    assert ndl.Tensor(np.ones(3)).dtype == np.float64  # the array's own dtype is kept
    assert ndl.Tensor(np.ones(3), dtype="float32").dtype == np.float32
    copy = ndl.Tensor(from_array)
    np.testing.assert_array_equal(copy.numpy(), from_array.numpy())
    assert ndl.Tensor(from_array, dtype="float64").dtype == np.float64


def test_tensor_refuses_unknown_keywords():
    with pytest.raises(TypeError, match="requires_gard"):
        ndl.Tensor([1.0], requires_gard=False)


def test_tensor_is_a_leaf_that_requires_grad_by_default():
    x = ndl.Tensor([1.0])
    assert x.requires_grad and x.is_leaf() and x.op is None and x.inputs == []
    assert not ndl.Tensor([1.0], requires_grad=False).requires_grad
    assert isinstance(x, ndl.autograd.Value)


def test_device_is_the_cpu():
    x = ndl.Tensor([1.0])
    assert x.device == ndl.cpu() and ndl.all_devices() == [ndl.cpu()]
    assert repr(ndl.cpu()) == "needle.cpu()" and ndl.cpu().enabled()


def test_ops_record_their_inputs():
    a, b = ndl.Tensor([1.0]), ndl.Tensor([2.0])
    c = a + b
    assert isinstance(c.op, ndl.ops.EWiseAdd) and list(c.inputs) == [a, b]
    assert c.cached_data is not None and c.realize_cached_data() is c.cached_data


def test_methods_match_the_functions():
    x = ndl.Tensor(np.arange(6.0).reshape(2, 3))
    np.testing.assert_array_equal(x.reshape((3, 2)).numpy(), np.arange(6.0).reshape(3, 2))
    np.testing.assert_array_equal(x.sum().numpy(), 15.0)
    np.testing.assert_array_equal(x.sum(axes=(0,)).numpy(), [3.0, 5.0, 7.0])
    np.testing.assert_array_equal(x.transpose().numpy(), np.arange(6.0).reshape(2, 3).T)
    np.testing.assert_array_equal(x.broadcast_to((4, 2, 3)).numpy()[3], x.numpy())
    np.testing.assert_array_equal(x.matmul(x.transpose()).numpy(), x.numpy() @ x.numpy().T)


def test_ops_are_reachable_from_needle_and_needle_ops():
    names = [
        "EWiseAdd", "AddScalar", "EWiseMul", "MulScalar", "EWisePow", "PowerScalar", "EWiseDiv", "DivScalar",
        "Transpose", "Reshape", "BroadcastTo", "Summation", "MatMul", "Negate", "Log", "Exp", "ReLU",
        "add", "add_scalar", "multiply", "mul_scalar", "power", "power_scalar", "divide", "divide_scalar",
        "transpose", "reshape", "broadcast_to", "summation", "matmul", "negate", "log", "exp", "relu",
    ]  # fmt: skip
    for name in names:
        assert getattr(ndl, name) is getattr(ndl.ops, name)
    for name in ["Value", "Op", "TensorOp", "TensorTuple", "find_topo_sort", "compute_gradient_of_variables"]:
        assert hasattr(ndl.autograd, name)


def test_repr_and_str_show_the_values():
    x = ndl.Tensor([1.0, 2.0])
    assert repr(x) == "needle.Tensor([1. 2.])" and str(x) == "[1. 2.]"


def test_init_shapes_dtypes_and_flags():
    for make in (ndl.init.ones, ndl.init.zeros, ndl.init.rand, ndl.init.randn):
        t = make(2, 3)
        assert t.shape == (2, 3) and t.dtype == np.float32 and not t.requires_grad and t.device == ndl.cpu()
    assert ndl.init.ones(2, requires_grad=True).requires_grad
    assert ndl.init.zeros(4, dtype="float64").dtype == np.float64
    np.testing.assert_array_equal(ndl.init.constant(2, 2, c=7.0).numpy(), np.full((2, 2), 7.0))
    np.testing.assert_array_equal(ndl.ones(3).numpy(), np.ones(3))
    np.testing.assert_array_equal(ndl.zeros(3).numpy(), np.zeros(3))


def test_like_constructors_copy_shape_dtype_and_device():
    x = ndl.Tensor(np.arange(6.0).reshape(3, 2))
    for made, value in ((ndl.zeros_like(x), 0.0), (ndl.ones_like(x), 1.0), (ndl.init.ones_like(x), 1.0)):
        assert made.shape == (3, 2) and made.dtype == np.float64 and made.device == x.device
        np.testing.assert_array_equal(made.numpy(), np.full((3, 2), value))
    assert ndl.init.zeros_like(x, requires_grad=True).requires_grad


def test_random_draws_follow_numpy_global_seed_and_ranges():
    np.random.seed(0)
    first = ndl.init.randn(100, mean=5.0, std=0.1).numpy()
    np.random.seed(0)
    again = ndl.init.randn(100, mean=5.0, std=0.1).numpy()
    np.testing.assert_array_equal(first, again)
    assert abs(first.mean() - 5.0) < 0.05
    uniform = ndl.init.rand(1000, low=-2.0, high=-1.0).numpy()
    assert uniform.min() >= -2.0 and uniform.max() <= -1.0
    np.random.seed(1)
    mask = ndl.init.randb(10000, p=0.3).numpy()
    assert mask.dtype == np.bool_ and 0.27 < mask.mean() < 0.33


def test_one_hot_rows_are_unit_vectors():
    encoded = ndl.init.one_hot(4, ndl.Tensor(np.array([3, 0, 1])))
    np.testing.assert_array_equal(encoded.numpy(), np.eye(4, dtype=np.float32)[[3, 0, 1]])
    assert encoded.dtype == np.float32
    np.testing.assert_array_equal(ndl.init.one_hot(3, np.array([2])).numpy(), [[0.0, 0.0, 1.0]])


def test_backward_rejects_a_non_tensor_out_grad():
    y = ndl.Tensor([1.0, 2.0]) * 2.0
    with pytest.raises(TypeError, match="out_grad must be a Tensor"):
        y.backward(np.ones(2))
