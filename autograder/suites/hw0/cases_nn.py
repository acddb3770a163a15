"""hw0 nn_epoch: one SGD epoch of ReLU(X W1) W2 in numpy, W1 and W2 updated in place.

The weights are reported after the call (the caller's float32 arrays). Inputs are chosen
so that no hidden pre-activation lies within float rounding of 0, where ReLU's mask
could flip between equally correct implementations.
"""

from dlsys_harness import case, report
from _data import classification, two_layer_weights


def train_and_report(seeds, examples, input_dim, hidden_dim, classes, epochs=1, **options):
    """Run nn_epoch `epochs` times on generated data (seeds: data, weights); report W1 and W2."""
    from simple_ml import nn_epoch

    X, y = classification(seeds[0], examples, input_dim, classes)
    W1, W2 = two_layer_weights(seeds[1], input_dim, hidden_dim, classes)
    for _ in range(epochs):
        nn_epoch(X, y, W1, W2, **options)
    report("W1", W1)
    report("W2", W2)


@case(part="nn", points=6, rtol=1e-5, atol=1e-5, timeout=30)
def nn_one_full_batch_step():
    train_and_report((8001, 8002), 30, 7, 12, 4, lr=0.25, batch=30)


@case(part="nn", points=7, rtol=1e-5, atol=1e-5, timeout=30)
def nn_minibatches_with_a_short_last_one():
    # 71 examples in batches of 25: 25, 25, then 21
    train_and_report((8003, 8004), 71, 9, 16, 5, lr=0.3, batch=25)


@case(part="nn", points=6, rtol=1e-5, atol=1e-5, timeout=30)
def nn_default_lr_and_batch():
    # lr=0.1 and batch=100 by default: 230 examples are batches of 100, 100 and 30
    train_and_report((8100, 8101), 230, 12, 20, 6)


@case(part="nn", points=6, rtol=1e-4, atol=1e-5, timeout=60)
def nn_three_epochs_ten_classes():
    train_and_report((8262, 8263), 320, 30, 48, 10, epochs=3, lr=0.2, batch=40)
