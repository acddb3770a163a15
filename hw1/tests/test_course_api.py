"""needle used the way the course's notebooks and tests use it, so that course code runs unchanged.

Written in the course's style on purpose: a module-level `gradient_check` that nudges
`realize_cached_data().flat[j]` in place and asks `out.op.gradient_as_tuple` directly, numpy
inputs where the course passes them (scalars as `np.random.randn(1)`, `dtype="float32"` as a
string), operands of different shapes that broadcast, and integer tensors.
"""
import numpy as np
import pytest

import needle as ndl
from simple_ml import loss_err, nn_epoch, softmax_loss


def gradient_check(f, *args, tol=1e-6, backward=False, **kwargs):
    """The course's numerical check: central differences on each input element, against the op's
    own `gradient` (or, with backward=True, against `.grad` after `backward()`)."""
    eps = 1e-4
    numerical_grads = [np.zeros(a.shape) for a in args]
    for i in range(len(args)):
        for j in range(args[i].realize_cached_data().size):
            args[i].realize_cached_data().flat[j] += eps
            f1 = float(f(*args, **kwargs).numpy().sum())
            args[i].realize_cached_data().flat[j] -= 2 * eps
            f2 = float(f(*args, **kwargs).numpy().sum())
            args[i].realize_cached_data().flat[j] += eps
            numerical_grads[i].flat[j] = (f1 - f2) / (2 * eps)
    if not backward:
        out = f(*args, **kwargs)
        computed_grads = [x.numpy() for x in out.op.gradient_as_tuple(ndl.Tensor(np.ones(out.shape)), out)]
    else:
        out = f(*args, **kwargs).sum()
        out.backward()
        computed_grads = [a.grad.numpy() for a in args]
    error = sum(np.linalg.norm(computed_grads[i] - numerical_grads[i]) for i in range(len(args)))
    assert error < tol
    return computed_grads


@pytest.mark.hw1_forward
def test_power_of_tensors_broadcasts_like_numpy():
    out = ndl.power(ndl.Tensor([[1.0, 2.0, 3.0]]), ndl.Tensor(np.ones((3,)) * 2))
    np.testing.assert_allclose(out.numpy(), np.array([[1.0, 4.0, 9.0]]))


@pytest.mark.hw1_backward
def test_power_of_tensors_with_broadcasting_passes_the_gradient_check():
    # the op's own gradient (the course's default check) ...
    gradient_check(ndl.power, ndl.Tensor([[1.0, 2.0, 3.0]]), ndl.Tensor(np.ones((3,)) * 2))
    # ... and backward(), which sums the broadcast copies back into each input's shape
    np.random.seed(0)
    a, b = ndl.Tensor(np.random.rand(5, 4) + 0.5), ndl.Tensor(np.random.randn(4))
    gradient_check(ndl.power, a, b, backward=True)
    assert a.grad.shape == (5, 4) and b.grad.shape == (4,)


@pytest.mark.hw1_backward
def test_elementwise_ops_with_broadcasting_pass_the_gradient_check():
    np.random.seed(1)
    for op in (ndl.add, ndl.multiply, ndl.divide):
        gradient_check(op, ndl.Tensor(np.random.randn(3, 1)), ndl.Tensor(5 + np.random.randn(1, 4)), backward=True)


@pytest.mark.hw1_forward
def test_scalar_ops_with_numpy_scalars():
    x = ndl.Tensor([[1.7, 1.45]])
    np.testing.assert_allclose(ndl.divide_scalar(x, scalar=np.float64(12)).numpy(), np.array([[0.141666666667, 0.120833333333]]))
    np.testing.assert_allclose(ndl.power_scalar(ndl.Tensor([[0.5, 2.0, 3.0]]), scalar=np.int64(2)).numpy(), [[0.25, 4.0, 9.0]])
    np.testing.assert_allclose(ndl.mul_scalar(x, scalar=np.array([2.0])).numpy(), [[3.4, 2.9]])
    np.testing.assert_allclose(ndl.add_scalar(x, scalar=np.float32(1)).numpy(), [[2.7, 2.45]])


@pytest.mark.hw1_backward
def test_scalar_ops_with_numpy_scalars_pass_the_gradient_check():
    np.random.seed(2)
    gradient_check(ndl.divide_scalar, ndl.Tensor(np.random.randn(5, 4)), scalar=np.random.randn(1))
    gradient_check(ndl.mul_scalar, ndl.Tensor(np.random.randn(5, 4)), scalar=np.random.randn(1))
    gradient_check(ndl.power_scalar, ndl.Tensor(np.random.randn(5, 4)), scalar=np.random.randint(1))


@pytest.mark.hw1_backward
def test_the_course_op_gradient_checks():
    np.random.seed(3)
    gradient_check(ndl.divide, ndl.Tensor(np.random.randn(5, 4)), ndl.Tensor(5 + np.random.randn(5, 4)))
    gradient_check(ndl.matmul, ndl.Tensor(np.random.randn(5, 4)), ndl.Tensor(np.random.randn(4, 5)))
    gradient_check(ndl.matmul, ndl.Tensor(np.random.randn(6, 6, 5, 4)), ndl.Tensor(np.random.randn(4, 3)))
    gradient_check(ndl.matmul, ndl.Tensor(np.random.randn(5, 4)), ndl.Tensor(np.random.randn(6, 6, 4, 3)))
    gradient_check(ndl.reshape, ndl.Tensor(np.random.randn(5, 4)), shape=(4, 5))
    gradient_check(ndl.negate, ndl.Tensor(np.random.randn(5, 4)))
    gradient_check(ndl.transpose, ndl.Tensor(np.random.randn(3, 5, 4)), axes=(1, 2))
    gradient_check(ndl.transpose, ndl.Tensor(np.random.randn(3, 5, 4)), axes=(0, 1))
    gradient_check(ndl.broadcast_to, ndl.Tensor(np.random.randn(3, 1)), shape=(3, 3))
    gradient_check(ndl.broadcast_to, ndl.Tensor(np.random.randn(1,)), shape=(3, 3, 3))
    gradient_check(ndl.broadcast_to, ndl.Tensor(np.random.randn()), shape=(3, 3, 3))
    gradient_check(ndl.summation, ndl.Tensor(np.random.randn(5, 4)), axes=(1,))
    gradient_check(ndl.summation, ndl.Tensor(np.random.randn(5, 4, 1)), axes=(0, 1))
    gradient_check(ndl.log, ndl.Tensor(1 + np.random.rand(5, 4)))
    gradient_check(ndl.exp, ndl.Tensor(np.random.randn(5, 4)))
    gradient_check(ndl.relu, ndl.Tensor(np.random.randn(5, 4)))


@pytest.mark.hw1_forward
def test_the_course_forward_calls():
    np.testing.assert_allclose(ndl.summation(ndl.Tensor([[1.0, 2.0], [3.0, 4.5]])).numpy(), np.array(10.5))
    np.testing.assert_allclose(ndl.summation(ndl.Tensor([[1.0, 2.0], [3.0, 4.5]]), axes=1).numpy(), [3.0, 7.5])
    np.testing.assert_allclose(ndl.transpose(ndl.Tensor([[[1.95]], [[2.7]], [[3.75]]]), axes=(1, 2)).numpy(), [[[1.95]], [[2.7]], [[3.75]]])
    np.testing.assert_allclose(
        ndl.broadcast_to(ndl.Tensor([[1.85, 0.85, 0.6]]), shape=(3, 3, 3)).numpy(), np.broadcast_to([[1.85, 0.85, 0.6]], (3, 3, 3))
    )
    assert ndl.Tensor([3.0], dtype="float32").dtype == np.float32


@pytest.mark.hw1_topo_sort
def test_topo_sort_of_the_course_expression():
    a1, b1 = ndl.Tensor(np.asarray([[0.88282157]])), ndl.Tensor(np.asarray([[0.90170084]]))
    c1 = 3 * a1 * a1 + 4 * b1 * a1 - a1
    soln = np.array([[[0.88282157]], [[2.64846471]], [[2.33812177]], [[0.90170084]], [[3.60680336]],
                     [[3.1841638]], [[5.52228558]], [[-0.88282157]], [[4.63946401]]])
    topo_order = np.array([x.numpy() for x in ndl.autograd.find_topo_sort([c1])])
    assert len(soln) == len(topo_order)
    np.testing.assert_allclose(topo_order, soln, rtol=1e-06, atol=1e-06)


@pytest.mark.hw1_compute_gradient
def test_compute_gradient_as_the_course_checks_it():
    np.random.seed(4)
    gradient_check(lambda A, B, C: ndl.summation((A @ B + C) * (A @ B), axes=None),
                   ndl.Tensor(np.random.randn(10, 9)), ndl.Tensor(np.random.randn(9, 8)), ndl.Tensor(np.random.randn(10, 8)),
                   backward=True)
    gradient_check(lambda A, B: ndl.summation(ndl.broadcast_to(A, shape=(10, 9)) * B, axes=None),
                   ndl.Tensor(np.random.randn(10, 1)), ndl.Tensor(np.random.randn(10, 9)), backward=True)
    gradient_check(lambda A, B, C: ndl.summation(ndl.reshape(A, shape=(10, 10)) @ B / 5 + C, axes=None),
                   ndl.Tensor(np.random.randn(100)), ndl.Tensor(np.random.randn(10, 5)), ndl.Tensor(np.random.randn(10, 5)),
                   backward=True)
    # a gradient of a gradient, on integer tensors
    x2, x3 = ndl.Tensor([6]), ndl.Tensor([0])
    y = x2 * x2 + x2 * x3
    y.backward()
    grad_x2, grad_x3 = x2.grad, x3.grad
    grad_x2.backward()
    assert y.numpy() == 36 and grad_x2.numpy() == 12 and grad_x3.numpy() == 6
    assert x2.grad.numpy() == 2 and x3.grad.numpy() == 1


@pytest.mark.hw1_softmax_loss
def test_softmax_loss_on_tensors_of_numpy_data():
    np.random.seed(0)
    y = np.random.randint(10, size=50)
    y_one_hot = np.zeros((y.shape[0], 10))
    y_one_hot[np.arange(y.size), y] = 1
    Z = ndl.Tensor(np.zeros((y.shape[0], 10)).astype(np.float32))
    np.testing.assert_allclose(softmax_loss(Z, ndl.Tensor(y_one_hot)).numpy(), np.log(10), rtol=1e-6, atol=1e-6)
    Zsmall = ndl.Tensor(np.random.randn(16, 10).astype(np.float32))
    gradient_check(softmax_loss, Zsmall, ndl.Tensor(y_one_hot[:16]), tol=0.01, backward=True)


@pytest.mark.hw1_nn_epoch
def test_nn_epoch_on_tensors_of_numpy_data():
    np.random.seed(0)
    X = np.random.randn(50, 5).astype(np.float32)
    y = np.random.randint(3, size=(50,)).astype(np.uint8)
    W1 = ndl.Tensor(np.random.randn(5, 10).astype(np.float32) / np.sqrt(10))
    W2 = ndl.Tensor(np.random.randn(10, 3).astype(np.float32) / np.sqrt(3))
    before = loss_err(ndl.relu(ndl.Tensor(X) @ W1) @ W2, y)
    W1, W2 = nn_epoch(X, y, W1, W2, lr=0.2, batch=10)
    after = loss_err(ndl.relu(ndl.Tensor(X) @ W1) @ W2, y)
    assert isinstance(W1, ndl.Tensor) and isinstance(W2, ndl.Tensor)
    assert after[0] < before[0]
