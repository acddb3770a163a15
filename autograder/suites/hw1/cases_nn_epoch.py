"""hw1 nn_epoch (apps/simple_ml.py): one SGD epoch of ReLU(X W1) W2 with needle's autodiff.

The returned W1 and W2 are reported as returned: needle Tensors (`.numpy()` is called on
them) of float32, which the public tests require. Inputs are chosen so that no hidden
pre-activation lies within float rounding of 0, where ReLU's mask could flip between
equally correct implementations.
"""
import numpy as np

from dlsys_harness import case, report
from _data import classification, two_layer_weights


def _epoch(seed, num_examples, input_dim, hidden_dim, num_classes, **options):
    import needle as ndl
    from simple_ml import nn_epoch

    np.random.seed(seed)  # nothing here should draw from numpy's global generator; if it does, it is fixed
    X, y = classification(seed, num_examples, input_dim, num_classes)
    W1, W2 = two_layer_weights(seed + 1, input_dim, hidden_dim, num_classes)
    new_W1, new_W2 = nn_epoch(X, y, ndl.Tensor(W1), ndl.Tensor(W2), **options)
    report("W1", new_W1.numpy())
    report("W2", new_W2.numpy())


@case(part="nn_epoch", points=3, rtol=1e-5, atol=1e-5, timeout=60)
def nn_epoch_one_full_batch_step():
    _epoch(1601, 28, 6, 9, 4, lr=0.3, batch=28)


@case(part="nn_epoch", points=4, rtol=1e-5, atol=1e-5, timeout=60)
def nn_epoch_minibatches_with_a_short_last_one():
    # 47 examples in batches of 15: 15, 15, 15, then 2
    _epoch(1603, 47, 8, 11, 5, lr=0.5, batch=15)


@case(part="nn_epoch", points=3, rtol=1e-5, atol=1e-5, timeout=60)
def nn_epoch_default_lr_and_batch():
    # lr=0.1 and batch=100 by default: 230 examples are batches of 100, 100 and 30
    _epoch(8200, 230, 12, 16, 6)
