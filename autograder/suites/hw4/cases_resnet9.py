"""hw4 resnet9: CIFAR10Dataset, DataLoader on a device, ResNet9, and the CIFAR-10 loops
(epoch_general_cifar10, train_cifar10, evaluate_cifar10 in apps/simple_ml.py).

CIFAR10Dataset reads batch files in the real format written into a temporary folder (never
course data): pickles of dicts with bytes keys, b"data" a uint8 (n, 3072) array (red, green,
blue planes of 32 x 32), b"labels" a list of ints. The five training batches have different
sizes, so reading them out of order shows. Images are graded as values (float64), labels as
int64.

ResNet9 is built right after `np.random.seed`; its parameters are graded through
`report_fingerprints` (shapes, sums, norms, projections, each sorted), so the module structure
is the student's own as long as every layer draws the course's values in the course's order.
Its logits and the last Linear's gradients are graded in training mode (BatchNorm over the
batch) and its logits in eval mode after that step. The loops are graded on a small linear model over a few images, so they do not depend on
ResNet9, and ResNet9 does not depend on them: the accuracy and the example-weighted average
loss they return, and the parameters after training.

Tolerances: dataset and loader values are exact up to the float32 division by 255 (1e-6);
seeded parameters rtol = 1e-6; ResNet9 outputs rtol = atol = 1e-3 (eight convolutions and
batch normalizations, each adding float32 rounding of a few 1e-6 in whatever order its sums
go); the loops rtol = atol = 1e-4.
"""
import numpy as np

from dlsys_harness import case, report
from _data import temporary_folder
from _formats import write_cifar10_batch
from _hw4 import device, f64, normal, report_fingerprints, scalar, tensor

DATA = dict(rtol=1e-6, atol=1e-6, timeout=30)


def _write_batch(path, seed, count):
    """A CIFAR-10 batch file of `count` random images, as the real ones are laid out."""
    rng = np.random.default_rng(seed)
    data = rng.integers(0, 256, (count, 3072), dtype=np.uint8)
    data[0, :2] = (0, 255)  # both extremes: dividing by 255 and min-max scaling agree
    write_cifar10_batch(path, data, rng.integers(0, 10, count), name="testing batch")


def _cifar_folder(folder, seed):
    """data_batch_1..5 of 3, 2, 4, 1, 2 images and a test_batch of 3."""
    for k, count in enumerate((3, 2, 4, 1, 2), 1):
        _write_batch(folder / f"data_batch_{k}", seed + k, count)
    _write_batch(folder / "test_batch", seed + 10, 3)
    return str(folder)


def _channels_reversed_and_doubled(image):
    """A transform of the suite's own for a (3, 32, 32) image (deterministic, order-sensitive)."""
    return image[::-1] * 2.0


def _shifted(image):
    return image - 0.5


@case(part="resnet9", points=2, **DATA)
def cifar10_dataset_items():
    import needle as ndl

    with temporary_folder() as folder:
        base = _cifar_folder(folder, 5601)
        train = ndl.data.CIFAR10Dataset(base, train=True)
        test = ndl.data.CIFAR10Dataset(base, train=False)
        report("train_length", np.int64(len(train)))
        report("test_length", np.int64(len(test)))
        for i in (0, 4, 8, 11):  # in batches 1, 2, 3 and 5
            image, label = train[i]
            report(f"train_image_{i}", f64(image))
            report(f"train_label_{i}", np.int64(label))
        report("train_labels", np.array([int(train[i][1]) for i in range(len(train))], dtype=np.int64))
        image, label = test[2]
        report("test_image_2", f64(image))
        report("test_label_2", np.int64(label))
        transformed = ndl.data.CIFAR10Dataset(base, train=False, transforms=[_channels_reversed_and_doubled, _shifted])
        report("transformed_test_image_1", f64(transformed[1][0]))


def _indexed_images(seed, count):
    """An NDArrayDataset of float32 (3, 4, 4) samples and labels equal to their index."""
    import needle as ndl

    return ndl.data.NDArrayDataset(normal(seed, count, 3, 4, 4), np.arange(count, dtype=np.float32))


@case(part="resnet9", points=1.5, **DATA)
def dataloader_on_the_device(device_name):
    import needle as ndl

    dev = device(device_name)
    loader = ndl.data.DataLoader(_indexed_images(5621, 11), batch_size=4, device=dev, dtype="float32")
    batches = list(loader)
    report("batches", np.int64(len(batches)))
    for number, (X, y) in enumerate(batches):
        report(f"batch_{number}_X", f64(X))
        report(f"batch_{number}_y", f64(y))
        report(f"batch_{number}_on_device", np.int64(X.device == dev and y.device == dev))
    np.random.seed(5622)
    shuffled = ndl.data.DataLoader(_indexed_images(5623, 9), batch_size=3, shuffle=True, device=dev)
    for epoch in range(2):
        report(f"shuffled_epoch_{epoch}_y", np.concatenate([f64(y) for _, y in shuffled]))


@case(part="resnet9", points=1.5, rtol=1e-6, atol=1e-6, timeout=60)
def resnet9_seeded_parameters(device_name):
    from models import ResNet9

    dev = device(device_name)
    np.random.seed(5631)
    model = ResNet9(device=dev)
    params = model.parameters()
    report("parameter_count", np.int64(sum(int(np.prod(p.shape)) for p in params)))
    report_fingerprints("parameters", params)


@case(part="resnet9", points=2, rtol=1e-3, atol=1e-3, timeout=60)
def resnet9_forward_and_last_layer_gradient(device_name):
    import needle.nn as nn
    from models import ResNet9

    dev = device(device_name)
    np.random.seed(5641)
    model = ResNet9(device=dev)
    x = tensor(normal(5642, 4, 3, 32, 32), dev, requires_grad=False)
    logits = model(x)
    report("train_logits", f64(logits))
    loss = nn.SoftmaxLoss()(logits, tensor(np.float32([3, 7, 0, 9]), dev, requires_grad=False))
    report("train_loss", scalar(loss))
    loss.backward()
    # the last Linear (128 -> 10): the parameters of that shape, whatever the model calls them
    last = [p for p in model.parameters() if tuple(p.shape) in ((128, 10), (1, 10))]
    report("last_linear_grads", np.concatenate([f64(p.grad).ravel() for p in sorted(last, key=lambda p: -p.shape[0])]))
    model.eval()
    report("eval_logits", f64(model(tensor(normal(5643, 3, 3, 32, 32), dev, requires_grad=False))))


def _linear_classifier(dev, seed):
    """Flatten, then Linear(48, 10), seeded: the loops are graded without ResNet9."""
    import needle.nn as nn

    np.random.seed(seed)
    linear = nn.Linear(48, 10, device=dev)
    return nn.Sequential(nn.Flatten(), linear), linear


def _image_loader(dev, seed, count, batch_size):
    import needle as ndl

    rng = np.random.default_rng(seed)
    images = normal(seed, count, 3, 4, 4)
    labels = rng.integers(0, 10, count).astype(np.float32)
    return ndl.data.DataLoader(ndl.data.NDArrayDataset(images, labels), batch_size=batch_size, device=dev)


LOOPS = dict(rtol=1e-4, atol=1e-4, timeout=60)


@case(part="resnet9", points=1.5, **LOOPS)
def cifar10_epoch_and_evaluate(device_name):
    import needle as ndl
    import needle.nn as nn
    from simple_ml import epoch_general_cifar10, evaluate_cifar10

    dev = device(device_name)
    model, linear = _linear_classifier(dev, 5655)
    loader = _image_loader(dev, 5652, 10, 4)  # batches of 4, 4 and 2: the average weighs examples
    accuracy, loss = evaluate_cifar10(model, loader)
    report("evaluate_accuracy", scalar(accuracy))
    report("evaluate_loss", scalar(loss))
    opt = ndl.optim.SGD(model.parameters(), lr=0.1)
    accuracy, loss = epoch_general_cifar10(loader, model, nn.SoftmaxLoss(), opt)
    report("train_epoch_accuracy", scalar(accuracy))
    report("train_epoch_loss", scalar(loss))
    report("weight_after", f64(linear.weight))
    accuracy, loss = epoch_general_cifar10(loader, model)  # no optimizer: evaluation
    report("eval_epoch_accuracy", scalar(accuracy))
    report("eval_epoch_loss", scalar(loss))


@case(part="resnet9", points=1.5, **LOOPS)
def cifar10_train(device_name):
    import needle as ndl
    from simple_ml import train_cifar10

    dev = device(device_name)
    model, linear = _linear_classifier(dev, 5661)
    loader = _image_loader(dev, 5662, 14, 5)
    accuracy, loss = train_cifar10(model, loader, n_epochs=3, optimizer=ndl.optim.Adam, lr=0.01, weight_decay=0.01)
    report("last_epoch_accuracy", scalar(accuracy))
    report("last_epoch_loss", scalar(loss))
    report("weight_after", f64(linear.weight))
    report("bias_after", f64(linear.bias))
