"""hw2 mlp_resnet (apps/mlp_resnet.py): ResidualBlock, MLPResNet, epoch and train_mnist.

ResidualBlock and MLPResNet are built after `numpy.random.seed`, so their parameters are
drawn in the course's order (each Linear's weight, then its bias, layer after layer). Their
parameter counts and shapes and their eval-mode outputs are one case, their training-mode
outputs (Dropout's masks come from the same generator; BatchNorm1d uses the batch's
statistics) another, so that a bug in Dropout costs only the training cases here. The block
is built with norm=LayerNorm1d (the norm argument is passed on), MLPResNet with its default
BatchNorm1d. Outputs are reported as float64 (their dtype is not what is graded). Float32
through a few layers and normalizations: rtol = 1e-4, atol = 1e-5.

`epoch` reseeds numpy with 4 and returns (error rate, mean loss) over every example. Its
cases grade epoch itself: they feed it a plain list of batches (no DataLoader), train with
plain SGD, and use a small Sequential whose parameters are set from a seed (not drawn by
the initializers) with a module that halves its input in training mode only, so that
whether epoch put the model in training or in eval mode shows in the values. Every dataset
size is a multiple of the batch size, so the mean over examples and the mean of the batch
losses agree. Error rates count argmax decisions: no decision of the reference lies within
1e-3 of a tie, nor any ReLU input within 1e-4 of 0 (checked when the suite was written), so
a rate is either right or a real difference.

`train_mnist` reads small idx files written into a temporary folder (class prototypes plus
noise, 28 x 28), trains the default MLPResNet with SGD (a multiple of the batch size, again)
and returns the last training epoch's figures and the test figures, reported one by one.
It uses everything in hw2, so bugs elsewhere cost points here too.
"""
import numpy as np

from dlsys_harness import case, report
from _data import temporary_folder, write_idx_images, write_idx_labels
from _hw2 import digit_images, f64, labels, normal, scalar, shapes

MODEL = dict(rtol=1e-4, atol=1e-5)


def _summary(prefix, model):
    params = model.parameters()
    report(f"{prefix}parameter_count", np.int64(len(params)))
    report(f"{prefix}parameter_shapes", shapes(params))
    report(f"{prefix}parameter_elements", np.int64(sum(int(np.prod(p.shape)) for p in params)))


def _block(seed):
    import needle.nn as nn
    from mlp_resnet import ResidualBlock

    np.random.seed(seed)
    return ResidualBlock(6, 10, norm=nn.LayerNorm1d, drop_prob=0.3)


@case(part="mlp_resnet", points=2, timeout=10, **MODEL)
def residual_block_structure_and_eval():
    import needle as ndl

    block = _block(2901)
    _summary("", block)
    block.eval()
    report("eval_out", f64(block(ndl.Tensor(normal(2902, 5, 6, shift=0.3)))))


@case(part="mlp_resnet", points=2, timeout=10, **MODEL)
def residual_block_training():
    import needle as ndl

    block = _block(2901)
    x = ndl.Tensor(normal(2902, 5, 6, shift=0.3))
    np.random.seed(2903)
    report("train_out", f64(block(x)))  # Dropout after the first norm's ReLU
    report("train_out_again", f64(block(x)))


def _resnet(seed):
    from mlp_resnet import MLPResNet

    np.random.seed(seed)
    return MLPResNet(9, hidden_dim=8, num_blocks=2, num_classes=4, drop_prob=0.2)  # BatchNorm1d by default


@case(part="mlp_resnet", points=2, timeout=10, **MODEL)
def mlp_resnet_structure_and_eval():
    import needle as ndl
    from mlp_resnet import MLPResNet

    model = _resnet(2911)
    _summary("", model)
    model.eval()  # running statistics still at zeros and ones
    report("eval_out", f64(model(ndl.Tensor(normal(2912, 7, 9, shift=0.2)))))
    np.random.seed(2914)
    _summary("default_", MLPResNet(5))  # hidden_dim 100, 3 blocks, 10 classes


@case(part="mlp_resnet", points=2, timeout=10, **MODEL)
def mlp_resnet_training():
    import needle as ndl

    model = _resnet(2911)
    np.random.seed(2913)
    report("train_out", f64(model(ndl.Tensor(normal(2912, 7, 9, shift=0.2)))))


def _batches(seed, count, batch, classes, shape=(4, 4, 1)):
    """A list of (X, y) batches of float32 images in [0, 1] around one prototype per class."""
    import needle as ndl

    rng = np.random.default_rng(seed)
    prototypes = rng.random((classes, *shape))
    y = labels(seed + 1, count, classes)
    X = np.clip(prototypes[y] + 0.25 * rng.standard_normal((count, *shape)), 0, 1).astype(np.float32)
    return [(ndl.Tensor(X[i:i + batch], requires_grad=False), ndl.Tensor(y[i:i + batch], requires_grad=False))
            for i in range(0, count, batch)]


def _model(seed):
    """Linear(16, 12) -> ReLU -> a probe of the mode -> Linear(12, 5), with parameters set from
    `seed` (not drawn by the initializers: these cases grade epoch, not Linear's draws). The
    probe halves its input in training mode and passes it on in eval mode."""
    import needle as ndl
    import needle.nn as nn

    class ModeProbe(nn.Module):
        def forward(self, x):
            return x * 0.5 if self.training else x

    first, last = nn.Linear(16, 12), nn.Linear(12, 5)
    rng = np.random.default_rng(seed)
    for p in (first.weight, first.bias, last.weight, last.bias):
        p.data = ndl.Tensor((0.6 * rng.standard_normal(p.shape)).astype(np.float32), requires_grad=False)
    return nn.Sequential(first, nn.ReLU(), ModeProbe(), last), last


def _report_epoch(name, result):
    error, loss = result
    report(f"{name}_error", scalar(error))
    report(f"{name}_loss", scalar(loss))


@case(part="mlp_resnet", points=2, timeout=20, **MODEL)
def epoch_training():
    import needle as ndl
    from mlp_resnet import epoch

    data = _batches(2921, 48, 8, 5)
    model, last = _model(2922)
    optimizer = ndl.optim.SGD(model.parameters(), lr=0.2)
    _report_epoch("first", epoch(data, model, optimizer))
    _report_epoch("second", epoch(data, model, optimizer))
    report("last_weight", last.weight.numpy())


@case(part="mlp_resnet", points=2, timeout=20, **MODEL)
def epoch_evaluation():
    import needle as ndl
    from mlp_resnet import epoch

    data = _batches(2931, 40, 10, 5)
    model, last = _model(2932)
    model.train()
    _report_epoch("eval_before", epoch(data, model))  # no optimizer: model.eval()
    optimizer = ndl.optim.SGD(model.parameters(), lr=0.3)
    _report_epoch("train", epoch(data, model, optimizer))  # training again: model.train()
    _report_epoch("eval_after", epoch(data, model))
    report("last_weight", last.weight.numpy())  # evaluation changes no parameter


@case(part="mlp_resnet", points=3, timeout=60, **MODEL)
def train_mnist_on_small_files():
    import needle as ndl
    from mlp_resnet import train_mnist

    train_images, train_labels = digit_images(2940, 2941, 60, 10)
    test_images, test_labels = digit_images(2940, 2942, 30, 10)
    with temporary_folder() as folder:
        write_idx_images(folder / "train-images-idx3-ubyte.gz", train_images)
        write_idx_labels(folder / "train-labels-idx1-ubyte.gz", train_labels)
        write_idx_images(folder / "t10k-images-idx3-ubyte.gz", test_images)
        write_idx_labels(folder / "t10k-labels-idx1-ubyte.gz", test_labels)
        result = train_mnist(batch_size=15, epochs=2, optimizer=ndl.optim.SGD, lr=0.05, weight_decay=0.01,
                             hidden_dim=24, data_dir=str(folder))
    for name, value in zip(("train_error", "train_loss", "test_error", "test_loss"), result):
        report(name, scalar(value))
