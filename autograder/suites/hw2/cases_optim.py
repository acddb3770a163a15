"""hw2 optim: SGD (plain, momentum, weight decay) and Adam (with and without weight decay),
over several steps, and the memory they keep.

The course's rules, as the docstrings give them:
    g = grad + weight_decay * theta                     (L2 on the gradient, SGD and Adam)
    SGD:  u = momentum * u + (1 - momentum) * g, u starting at 0;  theta -= lr * u
    Adam: m, v as exponential averages of g and g**2, divided by (1 - beta**t), t = step count;
          theta -= lr * m_hat / (sqrt(v_hat) + eps)

The parameters are plain `nn.Parameter`s of fixed values (no initializer, no layer) and the
loss is built from hw1's ops only, so these cases grade the optimizers and nothing else of
hw2. The loss, mean(log(1 + exp(T * (X W1 + b) W2))), is smooth with bounded gradients:
trajectories stay close between equally correct implementations (float32 rounding in
another order moves a parameter by ~1e-7 per step), so rtol = 1e-4, atol = 1e-5 after six
steps, while torch-style momentum (u = m u + g), AdamW-style decoupled decay or a missing
bias correction move them by 1e-3 to 1e-1. Parameters are float32 and a step keeps their
dtype (hw2 requires it): they are reported as returned.

The memory case trains for 300 steps with each optimizer and reports how many needle Values
were added between step 5 and step 300: 0 when updates are made on detached data (`.data`),
a growing number when an optimizer keeps a graph in its state or in the parameters.
"""
import numpy as np

from dlsys_harness import case, report
from _hw2 import live_values

TRAJECTORY = dict(rtol=1e-4, atol=1e-5, timeout=10)


def _problem(seed):
    """Fixed float32 parameters W1 (5, 4), b (4,), W2 (4, 3) and a loss closure over fixed data."""
    import needle as ndl
    import needle.nn as nn
    import needle.ops as ops

    rng = np.random.default_rng(seed)
    X = ndl.Tensor(rng.standard_normal((12, 5)).astype(np.float32), requires_grad=False)
    T = ndl.Tensor(rng.choice([-1.0, 1.0], (12, 3)).astype(np.float32), requires_grad=False)
    params = [
        nn.Parameter((0.5 * rng.standard_normal((5, 4))).astype(np.float32)),
        nn.Parameter((0.3 * rng.standard_normal(4)).astype(np.float32)),
        nn.Parameter((0.5 * rng.standard_normal((4, 3))).astype(np.float32)),
    ]

    def loss():
        W1, b, W2 = params
        hidden = ops.matmul(X, W1) + ops.broadcast_to(b, (12, 4))
        margin = ops.matmul(hidden, W2) * T
        return ops.summation(ops.log(ops.exp(margin) + 1.0)) / 36.0

    return params, loss


def _train(optimizer, params, loss, steps):
    for _ in range(steps):
        optimizer.reset_grad()
        loss().backward()
        optimizer.step()


def _report_params(prefix, params):
    for name, p in zip(("W1", "b", "W2"), params):
        report(f"{prefix}{name}", p.numpy())


@case(part="optim", points=3, **TRAJECTORY)
def sgd_plain():
    import needle as ndl

    params, loss = _problem(2701)
    _train(ndl.optim.SGD(params, lr=0.5), params, loss, 6)
    _report_params("", params)


@case(part="optim", points=4, **TRAJECTORY)
def sgd_momentum():
    import needle as ndl

    params, loss = _problem(2711)
    optimizer = ndl.optim.SGD(params, lr=0.8, momentum=0.85)
    _train(optimizer, params, loss, 1)
    _report_params("after_1_", params)  # u = (1 - m) g on the first step
    _train(optimizer, params, loss, 5)
    _report_params("after_6_", params)


@case(part="optim", points=3, **TRAJECTORY)
def sgd_weight_decay():
    import needle as ndl

    params, loss = _problem(2721)
    _train(ndl.optim.SGD(params, lr=0.4, weight_decay=0.15), params, loss, 6)
    _report_params("plain_", params)
    params, loss = _problem(2722)
    _train(ndl.optim.SGD(params, lr=0.6, momentum=0.6, weight_decay=0.1), params, loss, 6)
    _report_params("momentum_", params)


@case(part="optim", points=4, **TRAJECTORY)
def adam():
    import needle as ndl

    params, loss = _problem(2731)
    optimizer = ndl.optim.Adam(params, lr=0.03)
    _train(optimizer, params, loss, 1)
    _report_params("after_1_", params)
    _train(optimizer, params, loss, 5)
    _report_params("after_6_", params)
    params, loss = _problem(2732)
    _train(ndl.optim.Adam(params, lr=0.05, beta1=0.7, beta2=0.9, eps=1e-3), params, loss, 6)
    _report_params("betas_", params)


@case(part="optim", points=3, **TRAJECTORY)
def adam_weight_decay():
    import needle as ndl

    params, loss = _problem(2741)
    _train(ndl.optim.Adam(params, lr=0.04, weight_decay=0.3), params, loss, 6)
    _report_params("", params)


@case(part="optim", points=3, rtol=0.0, atol=0.0, timeout=30)
def memory_stays_flat_over_300_steps():
    import needle as ndl

    for name, make in (
        ("sgd", lambda p: ndl.optim.SGD(p, lr=0.05, momentum=0.9, weight_decay=0.01)),
        ("adam", lambda p: ndl.optim.Adam(p, lr=0.001, weight_decay=0.01)),
    ):
        params, loss = _problem(2751)
        optimizer = make(params)
        _train(optimizer, params, loss, 5)
        at_5 = live_values()
        _train(optimizer, params, loss, 295)
        report(f"{name}_values_added_from_step_5_to_300", np.int64(live_values() - at_5))
