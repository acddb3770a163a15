"""needle.optim's SGD and Adam. On a quadratic loss whose gradient A * theta + C is known in
closed form, several steps are replayed by hand in numpy with the course's rules: weight decay
added to the gradient first (g = grad + wd * theta), SGD momentum as an average
(u = m * u + (1 - m) * g, from u = 0), Adam with bias correction over the step count t. On a
small network, the steps are compared with torch.optim.SGD (momentum 0, where torch agrees with
the course) and torch.optim.Adam (whose weight_decay is the same L2 term), with the weights
copied in. Also: reset_grad, parameters without a gradient left alone, and memory that stays
flat over a thousand training steps (needle.autograd.TENSOR_COUNTER), which an optimizer that
keeps graph references (state built from p.grad instead of p.grad.data) breaks."""
import gc

import numpy as np
import pytest

import needle as ndl
import needle.nn as nn
import torch_models

pytestmark = pytest.mark.hw2_optim

SHAPES = [(3, 4), (5,)]


class Quadratic:
    """loss(theta) = sum(0.5 * A * theta**2 + C * theta) over two parameters; gradient A * theta + C."""

    def __init__(self, seed=0):
        rng = np.random.default_rng(seed)
        self.A = [rng.uniform(0.5, 2.0, s) for s in SHAPES]
        self.C = [rng.uniform(1.0, 3.0, s) * rng.choice([-1.0, 1.0], s) for s in SHAPES]
        self.start = [rng.standard_normal(s).astype(np.float32) for s in SHAPES]

    def parameters(self):
        return [nn.Parameter(theta.copy()) for theta in self.start]

    def loss(self, params):
        total = None
        for p, A, C in zip(params, self.A, self.C):
            a = ndl.Tensor(A.astype(np.float32), requires_grad=False)
            c = ndl.Tensor(C.astype(np.float32), requires_grad=False)
            term = (a * p * p * 0.5 + c * p).sum()
            total = term if total is None else total + term
        return total

    def gradient(self, thetas):
        return [A * theta + C for theta, A, C in zip(thetas, self.A, self.C)]


def run_needle(problem, make_optimizer, steps):
    params = problem.parameters()
    opt = make_optimizer(params)
    history = []
    for _ in range(steps):
        opt.reset_grad()
        problem.loss(params).backward()
        opt.step()
        history.append([p.numpy().copy() for p in params])
    return params, history


def sgd_by_hand(problem, steps, lr, momentum=0.0, weight_decay=0.0):
    thetas = [theta.astype(np.float64) for theta in problem.start]
    u = [np.zeros_like(theta) for theta in thetas]
    history = []
    for _ in range(steps):
        grads = [g + weight_decay * theta for g, theta in zip(problem.gradient(thetas), thetas)]
        u = [momentum * u_i + (1 - momentum) * g for u_i, g in zip(u, grads)]
        thetas = [theta - lr * u_i for theta, u_i in zip(thetas, u)]
        history.append(thetas)
    return history


def adam_by_hand(problem, steps, lr, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0):
    thetas = [theta.astype(np.float64) for theta in problem.start]
    m = [np.zeros_like(theta) for theta in thetas]
    v = [np.zeros_like(theta) for theta in thetas]
    history = []
    for t in range(1, steps + 1):
        grads = [g + weight_decay * theta for g, theta in zip(problem.gradient(thetas), thetas)]
        m = [beta1 * m_i + (1 - beta1) * g for m_i, g in zip(m, grads)]
        v = [beta2 * v_i + (1 - beta2) * g**2 for v_i, g in zip(v, grads)]
        m_hat = [m_i / (1 - beta1**t) for m_i in m]
        v_hat = [v_i / (1 - beta2**t) for v_i in v]
        thetas = [theta - lr * mh / (np.sqrt(vh) + eps) for theta, mh, vh in zip(thetas, m_hat, v_hat)]
        history.append(thetas)
    return history


def assert_histories_match(ours, expected, rtol=1e-5, atol=1e-6):
    for step, (got, want) in enumerate(zip(ours, expected), start=1):
        for position, (g, w) in enumerate(zip(got, want)):
            np.testing.assert_allclose(g, w, rtol=rtol, atol=atol, err_msg=f"step {step}, parameter {position}")


# --- SGD by hand ----------------------------------------------------------------------------

SGD_SETTINGS = [
    pytest.param(dict(lr=0.1), id="plain"),
    pytest.param(dict(lr=0.1, momentum=0.9), id="momentum"),
    pytest.param(dict(lr=0.05, momentum=0.5), id="momentum-0.5"),
    pytest.param(dict(lr=0.1, weight_decay=0.2), id="weight-decay"),
    pytest.param(dict(lr=0.1, momentum=0.8, weight_decay=0.05), id="momentum-and-weight-decay"),
]


@pytest.mark.parametrize("settings", SGD_SETTINGS)
def test_sgd_steps_match_the_course_rule_by_hand(settings):
    problem = Quadratic(seed=1)
    _, ours = run_needle(problem, lambda params: ndl.optim.SGD(params, **settings), steps=8)
    assert_histories_match(ours, sgd_by_hand(problem, 8, **settings))


def test_sgd_first_momentum_step_moves_by_one_minus_momentum_of_the_gradient():
    # u starts at 0, so u_1 = (1 - m) g: torch's SGD would move by the whole gradient here
    problem = Quadratic(seed=2)
    params, _ = run_needle(problem, lambda params: ndl.optim.SGD(params, lr=0.5, momentum=0.9), steps=1)
    for p, theta, g in zip(params, problem.start, problem.gradient(problem.start)):
        np.testing.assert_allclose(p.numpy(), theta - 0.5 * 0.1 * g, rtol=1e-5, atol=1e-6)


def test_sgd_keeps_float32_parameters_and_updates_them_in_place():
    problem = Quadratic(seed=3)
    params = problem.parameters()
    opt = ndl.optim.SGD(params, lr=0.1, momentum=0.9, weight_decay=0.01)
    for _ in range(3):
        opt.reset_grad()
        problem.loss(params).backward()
        opt.step()
    assert opt.params == params
    for p, theta in zip(params, problem.start):
        assert isinstance(p, nn.Parameter) and p.dtype == np.float32
        assert not np.allclose(p.numpy(), theta)


# --- Adam by hand ---------------------------------------------------------------------------

ADAM_SETTINGS = [
    pytest.param(dict(lr=0.1), id="defaults"),
    pytest.param(dict(lr=0.05, weight_decay=0.3), id="weight-decay"),
    pytest.param(dict(lr=0.02, beta1=0.5, beta2=0.9, eps=1e-3), id="betas-eps"),
]


@pytest.mark.parametrize("settings", ADAM_SETTINGS)
def test_adam_steps_match_the_course_rule_by_hand(settings):
    problem = Quadratic(seed=4)
    _, ours = run_needle(problem, lambda params: ndl.optim.Adam(params, **settings), steps=8)
    assert_histories_match(ours, adam_by_hand(problem, 8, **settings))


def test_adam_first_step_is_lr_times_the_gradient_sign():
    # with bias correction, m_hat = g and v_hat = g**2 after one step
    problem = Quadratic(seed=5)
    params, _ = run_needle(problem, lambda params: ndl.optim.Adam(params, lr=0.01), steps=1)
    for p, theta, g in zip(params, problem.start, problem.gradient(problem.start)):
        np.testing.assert_allclose(p.numpy(), theta - 0.01 * np.sign(g), rtol=1e-5, atol=1e-6)


def test_adam_counts_steps_for_bias_correction():
    problem = Quadratic(seed=6)
    params = problem.parameters()
    opt = ndl.optim.Adam(params, lr=0.05)
    expected = adam_by_hand(problem, 4, lr=0.05)
    for step in range(4):
        opt.reset_grad()
        problem.loss(params).backward()
        opt.step()
        assert opt.t == step + 1
        for p, want in zip(params, expected[step]):
            np.testing.assert_allclose(p.numpy(), want, rtol=1e-5, atol=1e-6)


# --- against torch on a small network -------------------------------------------------------


def network_and_batches(seed):
    np.random.seed(seed)
    model = nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 4))
    rng = np.random.default_rng(seed)
    batches = [
        (rng.standard_normal((12, 6)).astype(np.float32), rng.integers(0, 4, 12).astype(np.uint8)) for _ in range(5)
    ]
    return model, batches


def compare_with_torch(torch, make_needle, make_torch, seed, rtol=1e-4, atol=1e-5):
    model, batches = network_and_batches(seed)
    mirror = torch_models.mirror(torch, model)
    opt, t_opt = make_needle(model.parameters()), make_torch(mirror.parameters())
    loss_fn = nn.SoftmaxLoss()
    for step, (X, y) in enumerate(batches, start=1):
        opt.reset_grad()
        loss_fn(model(ndl.Tensor(X, requires_grad=False)), ndl.Tensor(y, requires_grad=False)).backward()
        opt.step()
        t_opt.zero_grad()
        torch.nn.functional.cross_entropy(mirror(torch.tensor(X, dtype=torch.float64)), torch.tensor(y, dtype=torch.long)).backward()
        t_opt.step()
        for position, (ours, theirs) in enumerate(zip(model.parameters(), mirror.parameters())):
            expected = torch_models.as_numpy(theirs)
            expected = expected.T if expected.ndim == 2 else expected.reshape(ours.shape)
            np.testing.assert_allclose(ours.numpy(), expected, rtol=rtol, atol=atol, err_msg=f"step {step}, parameter {position}")


@pytest.mark.parametrize("weight_decay", [0.0, 0.1])
def test_sgd_without_momentum_matches_torch(weight_decay, torch):
    compare_with_torch(
        torch,
        lambda params: ndl.optim.SGD(params, lr=0.5, weight_decay=weight_decay),
        lambda params: torch.optim.SGD(params, lr=0.5, weight_decay=weight_decay),
        seed=7,
    )


@pytest.mark.parametrize("weight_decay", [0.0, 0.1])
def test_adam_matches_torch(weight_decay, torch):
    compare_with_torch(
        torch,
        lambda params: ndl.optim.Adam(params, lr=0.01, weight_decay=weight_decay),
        lambda params: torch.optim.Adam(params, lr=0.01, weight_decay=weight_decay),
        seed=8,
    )


def test_adam_with_other_betas_matches_torch(torch):
    compare_with_torch(
        torch,
        lambda params: ndl.optim.Adam(params, lr=0.02, beta1=0.8, beta2=0.99, eps=1e-6, weight_decay=0.01),
        lambda params: torch.optim.Adam(params, lr=0.02, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.01),
        seed=9,
    )


# --- bookkeeping ----------------------------------------------------------------------------

OPTIMIZERS = [
    pytest.param(lambda params: ndl.optim.SGD(params, lr=0.1), id="sgd"),
    pytest.param(lambda params: ndl.optim.SGD(params, lr=0.1, momentum=0.9, weight_decay=0.01), id="sgd-momentum-wd"),
    pytest.param(lambda params: ndl.optim.Adam(params, lr=0.01), id="adam"),
    pytest.param(lambda params: ndl.optim.Adam(params, lr=0.01, weight_decay=0.01), id="adam-wd"),
]


@pytest.mark.parametrize("make_optimizer", OPTIMIZERS)
def test_reset_grad_forgets_every_gradient(make_optimizer):
    np.random.seed(10)
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    opt = make_optimizer(model.parameters())
    X = ndl.Tensor(np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32), requires_grad=False)
    nn.SoftmaxLoss()(model(X), ndl.Tensor(np.array([0, 1, 1, 0, 1]))).backward()
    assert all(p.grad is not None for p in model.parameters())
    opt.step()
    opt.reset_grad()
    assert all(p.grad is None for p in model.parameters())


@pytest.mark.parametrize("make_optimizer", OPTIMIZERS)
def test_parameters_without_a_gradient_are_left_alone(make_optimizer):
    problem = Quadratic(seed=11)
    used, unused = problem.parameters()
    opt = make_optimizer([used, unused])
    before = unused.numpy().copy()
    for _ in range(3):
        opt.reset_grad()
        a = ndl.Tensor(problem.A[0].astype(np.float32), requires_grad=False)
        (a * used * used).sum().backward()
        assert unused.grad is None
        opt.step()
    np.testing.assert_array_equal(unused.numpy(), before)
    assert not np.allclose(used.numpy(), problem.start[0])


def test_optimizers_refuse_something_that_is_not_a_tensor():
    for optimizer in (ndl.optim.SGD, ndl.optim.Adam):
        with pytest.raises(TypeError, match="parameter 1"):
            optimizer([nn.Parameter(np.ones(2)), np.ones(2)])


@pytest.mark.parametrize("make_optimizer", OPTIMIZERS)
def test_memory_stays_flat_over_a_thousand_training_steps(make_optimizer):
    np.random.seed(12)
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
    opt = make_optimizer(model.parameters())
    rng = np.random.default_rng(12)
    X = ndl.Tensor(rng.standard_normal((16, 4)).astype(np.float32), requires_grad=False)
    y = ndl.Tensor(rng.integers(0, 3, 16).astype(np.uint8), requires_grad=False)
    loss_fn = nn.SoftmaxLoss()

    def train(steps):
        for _ in range(steps):
            opt.reset_grad()
            loss_fn(model(X), y).backward()
            opt.step()
        gc.collect()
        return ndl.autograd.TENSOR_COUNTER

    after_ten = train(10)
    after_a_thousand = train(1000)
    assert after_a_thousand - after_ten <= 5, (
        f"{after_a_thousand - after_ten} more tensors alive after 1000 more steps: "
        "the optimizer keeps references to old graphs (use p.grad.data and p.data)"
    )
