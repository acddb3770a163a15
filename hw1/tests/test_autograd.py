"""The graph and reverse-mode differentiation: topological order, accumulation over several
uses, gradients of gradients, constants, detach, lazy mode and freeing graphs."""
import gc

import numpy as np
import pytest

import needle as ndl
from gradcheck import gradcheck


def is_topological(order):
    position = {id(node): i for i, node in enumerate(order)}
    return all(position[id(inp)] < position[id(node)] for node in order for inp in node.inputs)


@pytest.mark.hw1_topo_sort
def test_topo_sort_is_the_post_order_depth_first_traversal():
    a, b = ndl.Tensor([1.0]), ndl.Tensor([2.0])
    ab = a * b
    c = ab + a
    assert ndl.autograd.find_topo_sort([c]) == [a, b, ab, c]


@pytest.mark.hw1_topo_sort
def test_topo_sort_visits_shared_nodes_once_and_follows_input_order():
    a1, b1 = ndl.Tensor(np.asarray([[0.88282157]])), ndl.Tensor(np.asarray([[0.90170084]]))
    t1 = a1 * a1  # used twice below
    t2 = t1 * 3
    t3 = b1 * a1
    t4 = t3 * 4
    t5 = t2 + t4
    out = t5 - a1
    order = ndl.autograd.find_topo_sort([out])
    neg_a1 = out.inputs[1]
    assert order == [a1, t1, t2, b1, t3, t4, t5, neg_a1, out]
    assert is_topological(order)


@pytest.mark.hw1_topo_sort
def test_topo_sort_of_several_outputs_covers_each_node_once():
    x = ndl.Tensor(np.ones((2, 3)))
    y = ndl.exp(x)
    outputs = [y.sum(), (y * x).sum(axes=(0,)), ndl.relu(x)]
    order = ndl.autograd.find_topo_sort(outputs)
    assert len(order) == len({id(node) for node in order})
    assert is_topological(order)
    assert all(any(node is out for node in order) for out in outputs)


@pytest.mark.hw1_topo_sort
def test_topo_sort_handles_graphs_deeper_than_the_recursion_limit():
    x = ndl.Tensor([1.0])
    y = x
    for _ in range(5000):
        y = y + 1.0
    order = ndl.autograd.find_topo_sort([y])
    assert len(order) == 5001 and order[0] is x and order[-1] is y


@pytest.mark.hw1_compute_gradient
def test_gradients_accumulate_over_every_use_of_a_node():
    x = ndl.Tensor(np.array([1.0, -2.0, 3.0]))
    y = (x * x + x * 3.0 + x).sum()  # dy/dx = 2x + 4
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * x.numpy() + 4)


@pytest.mark.hw1_compute_gradient
def test_backward_defaults_to_ones_and_fills_every_node_that_requires_grad():
    x = ndl.Tensor(np.array([[1.0, 2.0], [3.0, 4.0]]))
    hidden = ndl.exp(x)
    out = hidden * 2.0
    out.backward()
    np.testing.assert_allclose(out.grad.numpy(), np.ones((2, 2)))
    np.testing.assert_allclose(hidden.grad.numpy(), np.full((2, 2), 2.0))
    np.testing.assert_allclose(x.grad.numpy(), 2.0 * np.exp(x.numpy()))


@pytest.mark.hw1_compute_gradient
def test_gradients_of_a_composite_match_central_differences():
    def f(x, w, b):
        z = x @ w + ndl.broadcast_to(b.reshape((1, 3)), (4, 3))
        return ndl.log(ndl.exp(z).sum(axes=(1,))) - (z * z).sum(axes=(1,)) / 3.0

    rng = np.random.default_rng(3)
    gradcheck(f, rng.standard_normal((4, 5)), rng.standard_normal((5, 3)), rng.standard_normal(3))


def second_derivative(f):
    """x -> d/dx sum(f(x)), itself a needle function that can be differentiated again."""

    def gradient_of_f(x):
        f(x).sum().backward()
        return x.grad

    return gradient_of_f


@pytest.mark.hw1_compute_gradient
@pytest.mark.parametrize(
    "f",
    [
        lambda x: x**3,
        lambda x: ndl.exp(x) * x,
        lambda x: ndl.log(x * x + 1.0),
        lambda x: (x @ x.transpose()).sum(axes=(0,)),
        lambda x: 1.0 / (x * x + 1.0),
        lambda x: x.broadcast_to((2, 3, 4)) ** 2,
    ],
    ids=["cube", "x-exp-x", "log", "x-xt", "reciprocal", "broadcast-square"],
)
def test_second_order_gradients_match_central_differences(f):
    rng = np.random.default_rng(11)
    gradcheck(second_derivative(f), rng.standard_normal((3, 4)), rtol=1e-4, atol=1e-5)


@pytest.mark.hw1_compute_gradient
def test_gradient_of_a_gradient_by_hand():
    x = ndl.Tensor(np.array([1.0, 2.0, 3.0]))
    (x**3).sum().backward()
    first = x.grad
    np.testing.assert_allclose(first.numpy(), 3 * x.numpy() ** 2)
    first.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 6 * x.numpy())


@pytest.mark.hw1_compute_gradient
def test_constants_get_no_gradient():
    x = ndl.Tensor(np.array([1.0, 2.0]))
    c = ndl.Tensor(np.array([3.0, 4.0]), requires_grad=False)
    y = (x * c).sum()
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), c.numpy())
    assert getattr(c, "grad", None) is None


@pytest.mark.hw1_compute_gradient
def test_ops_on_constants_only_are_constants():
    c = ndl.Tensor(np.array([3.0, 4.0]), requires_grad=False)
    y = ndl.exp(c) * 2.0
    assert not y.requires_grad and y.op is None and y.inputs == []


@pytest.mark.hw1_compute_gradient
def test_detach_stops_the_gradient():
    x = ndl.Tensor(np.array([1.0, 2.0, 3.0]))
    y = (x * x.detach()).sum()  # the detached copy counts as a constant
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), x.numpy())


def test_detach_and_data_share_values_but_not_the_graph():
    x = ndl.Tensor(np.array([1.0, 2.0]))
    y = x * 2.0
    for detached in (y.detach(), y.data):
        assert detached.op is None and detached.inputs == [] and not detached.requires_grad
        np.testing.assert_array_equal(detached.numpy(), y.numpy())


def test_setting_data_replaces_values_in_place():
    w = ndl.Tensor(np.array([1.0, 2.0]))
    w.data = w.data - 0.5
    np.testing.assert_array_equal(w.numpy(), [0.5, 1.5])
    with pytest.raises(TypeError, match="float32"):
        w.data = ndl.Tensor(np.zeros(2, dtype=np.float32))
    with pytest.raises(TypeError, match="ndarray"):
        w.data = np.zeros(2)


def test_backward_refuses_an_out_grad_of_another_shape():
    y = ndl.Tensor(np.ones((2, 3))) * 2.0
    with pytest.raises(ValueError, match=r"\(3, 2\).*\(2, 3\)"):
        y.backward(ndl.Tensor(np.ones((3, 2))))


def test_backward_of_a_constant_says_why_it_cannot_run():
    c = ndl.Tensor([1.0, 2.0], requires_grad=False) * 2.0
    with pytest.raises(RuntimeError, match="requires_grad=False"):
        c.backward()


def test_lazy_mode_computes_only_on_demand(monkeypatch):
    monkeypatch.setattr(ndl.autograd, "LAZY_MODE", True)
    x = ndl.Tensor(np.array([1.0, 2.0]))
    y = ndl.exp(x) + 1.0
    assert y.cached_data is None and y.inputs[0].cached_data is None
    np.testing.assert_allclose(y.realize_cached_data(), np.exp([1.0, 2.0]) + 1.0)
    assert y.inputs[0].cached_data is not None


def test_op_gradient_as_tuple_always_gives_a_tuple():
    a, b = ndl.Tensor([1.0, 2.0]), ndl.Tensor([3.0, 4.0])
    total, negated = a + b, -a
    assert len(total.op.gradient_as_tuple(ndl.Tensor([1.0, 1.0]), total)) == 2
    (only,) = negated.op.gradient_as_tuple(ndl.Tensor([1.0, 1.0]), negated)
    np.testing.assert_array_equal(only.numpy(), [-1.0, -1.0])


def test_tensor_counter_drops_back_after_a_graph_is_freed():
    gc.collect()
    before = ndl.autograd.TENSOR_COUNTER
    x = ndl.Tensor(np.ones((3, 3)))
    loss = (ndl.relu(x @ x) * 2.0).sum()
    loss.backward()
    assert ndl.autograd.TENSOR_COUNTER > before + 5
    del x, loss
    gc.collect()  # x.grad refers back into the graph that refers to x: a cycle
    assert ndl.autograd.TENSOR_COUNTER == before


def test_tensor_tuple_indexing_and_gradient():
    a, b = ndl.Tensor(np.array([1.0, 2.0])), ndl.Tensor(np.array([3.0]))
    pair = ndl.make_tuple(a, b)
    assert isinstance(pair, ndl.autograd.TensorTuple) and len(pair) == 2
    assert pair[0] is a  # getting an element of a freshly made tuple folds to the element
    unfolded = ndl.ops.TupleGetItem(1)(pair, fold_const=False)
    (unfolded * 5.0).sum().backward()
    np.testing.assert_array_equal(b.grad.numpy(), [5.0])
    np.testing.assert_array_equal(a.grad.numpy(), [0.0, 0.0])
    summed = pair + ndl.make_tuple(a, b)
    np.testing.assert_array_equal(summed[0].numpy(), [2.0, 4.0])
    with pytest.raises(ValueError, match="lengths 2 and 1"):
        pair + ndl.make_tuple(a)


def test_tuple_ops_gradient_matches_central_differences():
    def pick_and_combine(a, b):
        pair = ndl.make_tuple(a * b, ndl.exp(b))
        first = ndl.ops.TupleGetItem(0)(pair, fold_const=False)
        second = ndl.ops.TupleGetItem(1)(pair, fold_const=False)
        return first * second

    rng = np.random.default_rng(2)
    gradcheck(pick_and_combine, rng.standard_normal((2, 3)), rng.standard_normal((2, 3)))


def test_tuple_get_item_refuses_a_tensor():
    with pytest.raises(TypeError, match="TensorTuple, got Tensor"):
        ndl.tuple_get_item(ndl.Tensor([1.0]), 0)

