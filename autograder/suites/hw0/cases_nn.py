"""hw0 nn_epoch: one SGD epoch of ReLU(X W1) W2 in numpy, W1 and W2 updated in place.

The weights are reported after the call (the caller's float32 arrays). Inputs are chosen
so that no hidden pre-activation lies within float rounding of 0, where ReLU's mask
could flip between equally correct implementations.
"""

from dlsys_harness import case, report
from _data import classification, two_layer_weights


@case(part="nn", points=6, rtol=1e-5, atol=1e-5, timeout=30)
def nn_one_full_batch_step():
    from simple_ml import nn_epoch

    X, y = classification(8001, 30, 7, 4)
    W1, W2 = two_layer_weights(8002, 7, 12, 4)
    nn_epoch(X, y, W1, W2, lr=0.25, batch=30)
    report("W1", W1)
    report("W2", W2)


@case(part="nn", points=7, rtol=1e-5, atol=1e-5, timeout=30)
def nn_minibatches_with_a_short_last_one():
    # 71 examples in batches of 25: 25, 25, then 21
    from simple_ml import nn_epoch

    X, y = classification(8003, 71, 9, 5)
    W1, W2 = two_layer_weights(8004, 9, 16, 5)
    nn_epoch(X, y, W1, W2, lr=0.3, batch=25)
    report("W1", W1)
    report("W2", W2)


@case(part="nn", points=6, rtol=1e-5, atol=1e-5, timeout=30)
def nn_default_lr_and_batch():
    # lr=0.1 and batch=100 by default: 230 examples are batches of 100, 100 and 30
    from simple_ml import nn_epoch

    X, y = classification(8100, 230, 12, 6)
    W1, W2 = two_layer_weights(8101, 12, 20, 6)
    nn_epoch(X, y, W1, W2)
    report("W1", W1)
    report("W2", W2)


@case(part="nn", points=6, rtol=1e-4, atol=1e-5, timeout=60)
def nn_three_epochs_ten_classes():
    from simple_ml import nn_epoch

    X, y = classification(8262, 320, 30, 10)
    W1, W2 = two_layer_weights(8263, 30, 48, 10)
    for _ in range(3):
        nn_epoch(X, y, W1, W2, lr=0.2, batch=40)
    report("W1", W1)
    report("W2", W2)
