"""hw1 softmax_loss (apps/simple_ml.py): a scalar needle Tensor built from needle ops.

The value is reported as a float64 array of the returned shape (a scalar: shape ()).
Its dtype is not graded: the README does not fix it, and numpy itself decides it
differently across versions (numpy 1.x promotes a float32 numpy scalar divided by a
Python int to float64, numpy 2 keeps float32).
"""
import numpy as np

from dlsys_harness import case, report
from _data import one_hot


def _as_float64(tensor):
    return np.asarray(tensor.numpy(), dtype=np.float64)  # .numpy(): the loss must be a needle Tensor


@case(part="softmax_loss", points=3, rtol=1e-5, atol=1e-6, timeout=30)
def softmax_loss_float32_logits():
    import needle as ndl
    from simple_ml import softmax_loss

    rng = np.random.default_rng(1501)
    Z = (2.0 * rng.standard_normal((13, 7))).astype(np.float32)
    y = rng.integers(0, 7, 13)
    loss = softmax_loss(ndl.Tensor(Z), ndl.Tensor(one_hot(y, 7)))
    report("loss", _as_float64(loss))


@case(part="softmax_loss", points=3, rtol=1e-7, atol=1e-10, timeout=30)
def softmax_loss_one_example_and_a_wide_batch():
    import needle as ndl
    from simple_ml import softmax_loss

    rng = np.random.default_rng(1502)
    Z1, y1 = rng.standard_normal((1, 9)), rng.integers(0, 9, 1)
    report("one_example", _as_float64(softmax_loss(ndl.Tensor(Z1), ndl.Tensor(one_hot(y1, 9, np.float64)))))
    Z40, y40 = rng.uniform(-3.0, 3.0, (40, 12)), rng.integers(0, 12, 40)
    report("batch_40", _as_float64(softmax_loss(ndl.Tensor(Z40), ndl.Tensor(one_hot(y40, 12, np.float64)))))


@case(part="softmax_loss", points=4, rtol=1e-7, atol=1e-10, timeout=30)
def softmax_loss_can_be_differentiated():
    # the loss is built from needle ops, so backward gives (softmax(Z) - Y) / batch
    import needle as ndl
    from simple_ml import softmax_loss

    rng = np.random.default_rng(1503)
    Z, y = rng.standard_normal((9, 5)), rng.integers(0, 5, 9)
    logits = ndl.Tensor(Z)
    softmax_loss(logits, ndl.Tensor(one_hot(y, 5, np.float64), requires_grad=False)).backward()
    report("logits_grad", logits.grad.numpy().astype(np.float64))
