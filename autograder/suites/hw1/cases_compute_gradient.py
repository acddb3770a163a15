"""hw1 compute_gradient: reverse-mode differentiation through graphs with shared nodes.

All but the last case build their graphs from the ops the handout gives in full (add,
add_scalar, multiply, mul_scalar), so they grade the backward pass itself (with
find_topo_sort, which it walks), not the student's op gradients. Adjoints are seeded with
`backward(W)` for a fixed W, or with `backward()` (ones). float64 throughout.
"""
import numpy as np

from dlsys_harness import case, report
from _ops import NORMAL, draw, output_weight

FLOAT64 = dict(rtol=1e-7, atol=1e-10, timeout=30)


def _weight(seed, shape):
    import needle as ndl

    return ndl.Tensor(output_weight(seed, shape), requires_grad=False)


@case(part="compute_gradient", points=2.5, **FLOAT64)
def one_leaf_used_many_times():
    # out = x*x + 2.5x + x: the adjoint of x sums every use, W * (2x + 3.5)
    import needle as ndl

    x = ndl.Tensor(draw(1401, ((4, 3), NORMAL))[0])
    out = ndl.add(ndl.add(ndl.multiply(x, x), ndl.mul_scalar(x, 2.5)), x)
    out.backward(_weight(6401, out.shape))
    report("x", x.grad.numpy())


@case(part="compute_gradient", points=2.5, **FLOAT64)
def every_intermediate_node_gets_its_adjoint():
    import needle as ndl

    x = ndl.Tensor(draw(1402, ((3, 5), NORMAL))[0])
    h = ndl.multiply(x, x)
    g = ndl.mul_scalar(h, 3.0)
    out = ndl.add(ndl.multiply(g, x), h)
    out.backward(_weight(6402, out.shape))
    for name, node in [("out", out), ("g", g), ("h", h), ("x", x)]:
        report(name, node.grad.numpy())


@case(part="compute_gradient", points=2.5, **FLOAT64)
def two_leaves_through_a_diamond():
    import needle as ndl

    a, b = (ndl.Tensor(v) for v in draw(1403, ((2, 4), NORMAL), ((2, 4), NORMAL)))
    p = ndl.multiply(a, b)
    q = ndl.add_scalar(p, 1.0)
    r = ndl.multiply(q, a)
    s = ndl.multiply(p, b)
    out = ndl.add(r, s)
    out.backward(_weight(6403, out.shape))
    report("a", a.grad.numpy())
    report("b", b.grad.numpy())
    report("p", p.grad.numpy())


@case(part="compute_gradient", points=2.5, **FLOAT64)
def constants_get_no_gradient():
    # README: nodes that do not require a gradient get none (reported as a 0/1 flag)
    import needle as ndl

    x_data, c_data = draw(1404, ((3, 3), NORMAL), ((3, 3), NORMAL))
    x = ndl.Tensor(x_data)
    c = ndl.Tensor(c_data, requires_grad=False)
    out = ndl.add(ndl.multiply(x, c), ndl.mul_scalar(c, 2.0))
    out.backward(_weight(6404, out.shape))
    report("x", x.grad.numpy())
    report("constant_has_no_grad", np.int64(getattr(c, "grad", None) is None))


@case(part="compute_gradient", points=2.5, **FLOAT64)
def backward_without_an_out_grad_seeds_ones():
    import needle as ndl

    x = ndl.Tensor(draw(1405, ((3, 5), NORMAL))[0])
    hidden = ndl.add_scalar(ndl.multiply(x, x), -0.5)
    out = ndl.multiply(hidden, x)
    out.backward()
    report("out", out.grad.numpy())
    report("hidden", hidden.grad.numpy())
    report("x", x.grad.numpy())


@case(part="compute_gradient", points=2.5, **FLOAT64)
def gradients_can_be_differentiated_again():
    # README: adjoints are built from needle ops, so the gradient of x.grad works
    import needle as ndl

    x = ndl.Tensor(draw(1406, ((2, 3), NORMAL))[0])
    cube = ndl.multiply(ndl.multiply(x, x), x)
    cube.backward(_weight(6405, cube.shape))  # x.grad = 3 x^2 W
    first = x.grad
    report("first", first.numpy())
    first.backward(_weight(6406, first.shape))  # now x.grad = 6 x W V
    report("second", x.grad.numpy())


@case(part="compute_gradient", points=2.5, rtol=1e-7, atol=1e-10, timeout=60)
def a_deep_graph_with_many_uses_of_one_leaf():
    import needle as ndl

    x = ndl.Tensor(draw(1407, ((4,), NORMAL))[0])
    y = x
    for _ in range(1500):
        y = ndl.add(ndl.mul_scalar(y, 0.998), x)
    y.backward(_weight(6407, y.shape))
    report("x", x.grad.numpy())


@case(part="compute_gradient", points=2.5, **FLOAT64)
def a_composite_of_student_ops():
    # the one case that also uses the student's ops: adjoints of three leaves of different shapes
    import needle as ndl

    x, w, b = (ndl.Tensor(v) for v in draw(1408, ((5, 4), NORMAL), ((4, 3), NORMAL), ((3,), NORMAL)))
    z = x @ w + ndl.broadcast_to(ndl.reshape(b, (1, 3)), (5, 3))
    out = ndl.log(ndl.exp(z).sum(axes=(1,))) - (z * z).sum(axes=(1,)) / 4.0
    out.backward(_weight(6408, out.shape))
    report("x", x.grad.numpy())
    report("w", w.grad.numpy())
    report("b", b.grad.numpy())
