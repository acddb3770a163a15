"""hw4's optimizers update the raw arrays of each device: SGD (plain, weight decay, momentum) and
Adam give the course's updates, checked against torch.optim on the same parameters and
gradients for a few steps (and, for SGD momentum, whose first step torch takes differently,
against the course rule in numpy). Gradients are set by hand, a new one each step."""
import numpy as np
import pytest
import torch

import needle as ndl
from devices import DEVICES

pytestmark = pytest.mark.hw4_ops

SHAPES = [(3, 4), (5,)]
STEPS = 4


def start_and_gradients(seed=0):
    rng = np.random.default_rng(seed)
    start = [rng.standard_normal(s).astype(np.float32) for s in SHAPES]
    grads = [[rng.standard_normal(s).astype(np.float32) for s in SHAPES] for _ in range(STEPS)]
    return start, grads


def run_needle(device, make_optimizer, seed=0):
    start, grads = start_and_gradients(seed)
    params = [ndl.Tensor(theta, device=device) for theta in start]
    opt = make_optimizer(params)
    history = []
    for step_grads in grads:
        opt.reset_grad()
        for p, g in zip(params, step_grads):
            p.grad = ndl.Tensor(g, device=device, requires_grad=False)
        opt.step()
        history.append([p.numpy().copy() for p in params])
    for p in params:
        assert p.dtype == "float32" and p.device == device and p.op is None
    return history


def run_torch(make_optimizer, seed=0):
    start, grads = start_and_gradients(seed)
    params = [torch.tensor(theta, requires_grad=True) for theta in start]
    opt = make_optimizer(params)
    history = []
    for step_grads in grads:
        for p, g in zip(params, step_grads):
            p.grad = torch.tensor(g)
        opt.step()
        history.append([p.detach().numpy().copy() for p in params])
    return history


def sgd_momentum_by_hand(lr, momentum, weight_decay, seed=0):
    """The course's momentum, an average from u = 0: u = m * u + (1 - m) * g."""
    thetas, grads = start_and_gradients(seed)
    thetas = [theta.astype(np.float64) for theta in thetas]
    u = [np.zeros_like(theta) for theta in thetas]
    history = []
    for step_grads in grads:
        g = [g_i + weight_decay * theta for g_i, theta in zip(step_grads, thetas)]
        u = [momentum * u_i + (1 - momentum) * g_i for u_i, g_i in zip(u, g)]
        thetas = [theta - lr * u_i for theta, u_i in zip(thetas, u)]
        history.append(thetas)
    return history


def assert_histories_match(ours, expected):
    for step, (got, want) in enumerate(zip(ours, expected), start=1):
        for position, (g, w) in enumerate(zip(got, want)):
            np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6, err_msg=f"step {step}, parameter {position}")


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("weight_decay", [0.0, 0.1])
def test_sgd_matches_torch(device, weight_decay):
    ours = run_needle(device, lambda ps: ndl.optim.SGD(ps, lr=0.5, weight_decay=weight_decay))
    assert_histories_match(ours, run_torch(lambda ps: torch.optim.SGD(ps, lr=0.5, weight_decay=weight_decay)))


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("weight_decay", [0.0, 0.05])
def test_sgd_momentum_is_the_course_average(device, weight_decay):
    ours = run_needle(device, lambda ps: ndl.optim.SGD(ps, lr=0.3, momentum=0.8, weight_decay=weight_decay))
    assert_histories_match(ours, sgd_momentum_by_hand(0.3, 0.8, weight_decay))


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("settings", [dict(lr=0.01), dict(lr=0.02, beta1=0.8, beta2=0.99, eps=1e-3, weight_decay=0.1)],
                         ids=["defaults", "betas-eps-weight-decay"])
def test_adam_matches_torch(device, settings):
    ours = run_needle(device, lambda ps: ndl.optim.Adam(ps, **settings))
    betas = (settings.get("beta1", 0.9), settings.get("beta2", 0.999))
    theirs = run_torch(lambda ps: torch.optim.Adam(ps, lr=settings["lr"], betas=betas, eps=settings.get("eps", 1e-8),
                                                   weight_decay=settings.get("weight_decay", 0.0)))
    assert_histories_match(ours, theirs)
