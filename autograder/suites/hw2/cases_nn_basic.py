"""hw2 nn_basic: Module.parameters, Linear, Flatten, ReLU, Sequential, Residual, SoftmaxLoss.

Linear's own case builds layers after `numpy.random.seed`, so their parameters are the
course's: the weight (in, out) from kaiming_uniform(in, out), then the bias (1, out) from
kaiming_uniform(out, 1) reshaped; they are float32 and reported as returned. The other
cases set every Linear's weight and bias from a seed of their own (through `.data`), so a
wrong draw order costs Linear's case only. `parameters()` must find every Parameter however
it is nested (lists, tuples, dicts, submodules), in attribute order, and nothing else.

Inputs are float32, like the parameters; float32 sums of a dozen terms in another order
differ by a few 1e-7, so rtol = atol = 1e-5. Outputs, losses and gradients are reported as
float64 (their dtype is not what is graded). No ReLU input lies within 1e-2 of 0, where
its mask could flip between equally correct implementations. Gradients are those of
sum(out * W) for a fixed random W (`out.backward(W)`).
"""
import numpy as np

from dlsys_harness import case, report
from _hw2 import backward_with_weight, f64, labels, normal, scalar, shapes

FLOAT32 = dict(rtol=1e-5, atol=1e-5, timeout=10)


def _report_forward_and_backward(model, linears, x, weight_seed):
    """Report model(x), then, after backward with a fixed output weight, each Linear's
    weight and bias gradients (w1, b1, w2, b2, ...) and x's gradient."""
    out = model(x)
    report("out", f64(out))
    backward_with_weight(out, weight_seed)
    for number, layer in enumerate(linears, start=1):
        report(f"w{number}_grad", f64(layer.weight.grad))
        report(f"b{number}_grad", f64(layer.bias.grad))
    report("x_grad", f64(x.grad))


def _set_parameters(seed, *layers):
    """Give each Linear's weight and bias (when it has one) fixed float32 values, in that order."""
    import needle as ndl

    rng = np.random.default_rng(seed)
    for layer in layers:
        for p in (layer.weight, layer.bias):
            if p is not None:
                p.data = ndl.Tensor((0.7 * rng.standard_normal(p.shape)).astype(np.float32), requires_grad=False)


@case(part="nn_basic", points=2, rtol=0.0, atol=0.0, timeout=10)
def parameters_are_found_in_nested_containers():
    import needle as ndl
    import needle.nn as nn

    class Holder(nn.Module):
        def __init__(self):
            super().__init__()
            self.first = nn.Linear(3, 5)
            self.scale = nn.Parameter(np.ones((2, 7), dtype=np.float32))
            self.not_a_parameter = ndl.Tensor(np.ones((4, 4), dtype=np.float32))
            self.blocks = [nn.Linear(5, 6, bias=False), (nn.ReLU(), nn.Linear(6, 2))]
            self.by_name = {"a": nn.Sequential(nn.Linear(2, 9), nn.Flatten()), "b": [nn.Parameter(np.zeros((1, 8), dtype=np.float32))]}
            self.nothing = nn.Identity()
            self.wrapped = nn.Residual(nn.Sequential(nn.Linear(4, 4, bias=False)))
            self.width = 11  # not a Tensor

    np.random.seed(2501)
    params = Holder().parameters()
    report("count", np.int64(len(params)))
    report("shapes", shapes(params))
    report("are_parameters", np.array([isinstance(p, nn.Parameter) for p in params], dtype=np.int64))


@case(part="nn_basic", points=2, **FLOAT32)
def flatten_relu_and_identity():
    import needle as ndl
    import needle.nn as nn

    x = normal(2511, 3, 2, 4, 5)
    report("flatten_4d", f64(nn.Flatten()(ndl.Tensor(x))))
    report("flatten_2d", f64(nn.Flatten()(ndl.Tensor(x[:, :, 0, 0]))))
    z = normal(2512, 6, 7, dtype=np.float64)
    z[np.abs(z) < 1e-3] = 0.5  # no value at the kink
    report("relu", f64(nn.ReLU()(ndl.Tensor(z))))
    report("identity_then_relu", f64(nn.Sequential(nn.Identity(), nn.ReLU())(ndl.Tensor(z))))
    t = ndl.Tensor(x)
    nn.Flatten()(t).backward(ndl.Tensor(normal(7511, 3, 40), requires_grad=False))
    report("flatten_grad", f64(t.grad))


@case(part="nn_basic", points=3, **FLOAT32)
def linear_seeded_parameters_and_forward():
    import needle as ndl
    import needle.nn as nn

    np.random.seed(2521)
    layer = nn.Linear(7, 4)
    report("weight", layer.weight.numpy())
    report("bias", layer.bias.numpy())
    report("out", f64(layer(ndl.Tensor(normal(2522, 5, 7)))))
    report("one_row", f64(layer(ndl.Tensor(normal(2523, 1, 7)))))
    plain = nn.Linear(3, 6, bias=False)
    report("no_bias_weight", plain.weight.numpy())
    report("no_bias_out", f64(plain(ndl.Tensor(normal(2524, 4, 3)))))


@case(part="nn_basic", points=3, **FLOAT32)
def linear_backward():
    import needle as ndl
    import needle.nn as nn

    layer = nn.Linear(6, 3)
    _set_parameters(2531, layer)
    x = ndl.Tensor(normal(2532, 8, 6))
    backward_with_weight(layer(x), 7531)
    report("weight_grad", f64(layer.weight.grad))
    report("bias_grad", f64(layer.bias.grad))
    report("x_grad", f64(x.grad))


@case(part="nn_basic", points=4, **FLOAT32)
def sequential_forward_and_backward():
    import needle as ndl
    import needle.nn as nn

    first, second = nn.Linear(12, 8), nn.Linear(8, 3)
    _set_parameters(2541, first, second)
    model = nn.Sequential(nn.Flatten(), first, nn.ReLU(), second)
    _report_forward_and_backward(model, (first, second), ndl.Tensor(normal(2542, 6, 3, 4)), weight_seed=7541)


@case(part="nn_basic", points=2, **FLOAT32)
def residual_forward_and_backward():
    import needle as ndl
    import needle.nn as nn

    first, second = nn.Linear(5, 5), nn.Linear(5, 5)
    _set_parameters(2551, first, second)
    block = nn.Residual(nn.Sequential(first, nn.ReLU(), second))
    _report_forward_and_backward(block, (first, second), ndl.Tensor(normal(2552, 4, 5)), weight_seed=7551)


@case(part="nn_basic", points=4, **FLOAT32)
def softmax_loss_value_and_gradient():
    import needle as ndl
    import needle.nn as nn

    loss_fn = nn.SoftmaxLoss()
    logits = ndl.Tensor(normal(2561, 11, 7, scale=2.5))
    y = ndl.Tensor(labels(2562, 11, 7), requires_grad=False)
    loss = loss_fn(logits, y)
    report("loss", scalar(loss))
    loss.backward()
    report("logits_grad", f64(logits.grad))
    # large logits: the loss goes through logsumexp, which must not overflow
    big = normal(2563, 5, 3, scale=3.0)
    big[:, 0] += 80.0
    report("large_logits_loss", scalar(loss_fn(ndl.Tensor(big), ndl.Tensor(labels(2564, 5, 3), requires_grad=False))))
    report("one_example_loss", scalar(loss_fn(ndl.Tensor(normal(2565, 1, 4)),
                                              ndl.Tensor(np.array([2], dtype=np.uint8), requires_grad=False))))
