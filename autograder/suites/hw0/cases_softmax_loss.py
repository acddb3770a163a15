"""hw0 softmax_loss: the mean softmax loss on new logits.

The README asks for the value, not its dtype (the reference returns numpy's float32 mean
of float32 logits; a float64 computation is as correct), so the loss is reported as a
float64 scalar. Its shape stays the returned one: a scalar, not a 1-element array.
"""
import numpy as np

from dlsys_harness import case, report


def _as_float64(loss):
    return np.asarray(loss, dtype=np.float64)


@case(part="softmax_loss", points=5, rtol=1e-5, atol=1e-6, timeout=20)
def softmax_loss_six_classes():
    from simple_ml import softmax_loss

    rng = np.random.default_rng(60606)
    Z = (2.5 * rng.standard_normal((17, 6))).astype(np.float32)
    y = rng.integers(0, 6, 17).astype(np.uint8)
    report("loss", _as_float64(softmax_loss(Z, y)))


@case(part="softmax_loss", points=5, rtol=1e-5, atol=1e-6, timeout=20)
def softmax_loss_ten_classes_batch_64():
    from simple_ml import softmax_loss

    rng = np.random.default_rng(70707)
    Z = rng.uniform(-4.0, 6.0, (64, 10)).astype(np.float32)
    y = rng.integers(0, 10, 64).astype(np.uint8)
    report("loss", _as_float64(softmax_loss(Z, y)))


@case(part="softmax_loss", points=5, rtol=1e-5, atol=1e-5, timeout=20)
def softmax_loss_large_logits_stay_finite():
    # Rows shifted by hundreds: exp() overflows float32 unless each row's maximum is subtracted
    # (README). The loss itself stays moderate, except one row whose true logit is far below.
    from simple_ml import softmax_loss

    rng = np.random.default_rng(80808)
    Z = 3.0 * rng.standard_normal((9, 5)) + rng.choice([-750.0, 400.0, 900.0], size=(9, 1))
    y = rng.integers(0, 5, 9).astype(np.uint8)
    Z[4, y[4]] -= 300.0
    report("loss", _as_float64(softmax_loss(Z.astype(np.float32), y)))
