"""The numpy backend (NEEDLE_BACKEND=np): needle's arrays are plain numpy arrays, and the only
device is the CPU; `cpu_numpy()` is the same CPU and `cuda()` is never enabled.

The device interface here (`zeros`, `ones`, `randn`, `rand`, `one_hot`, `empty`, `full`) is the
one the NDArray backend's devices keep.
"""
import numpy

__device_name__ = "numpy"


class Device:
    """Indicates the device supporting an NDArray."""


class CPUDevice(Device):
    """The CPU, through numpy."""

    def __repr__(self):
        return "needle.cpu()"

    def __hash__(self):
        return self.__repr__().__hash__()

    def __eq__(self, other):
        return isinstance(other, CPUDevice)

    def enabled(self):
        return True

    def zeros(self, *shape, dtype="float32"):
        return numpy.zeros(shape, dtype=dtype)

    def ones(self, *shape, dtype="float32"):
        return numpy.ones(shape, dtype=dtype)

    def randn(self, *shape):
        # numpy's global generator, so that numpy.random.seed() makes needle reproducible
        return numpy.random.randn(*shape)

    def rand(self, *shape):
        return numpy.random.rand(*shape)

    def one_hot(self, n, i, dtype="float32"):
        return numpy.eye(n, dtype=dtype)[i]

    def empty(self, shape, dtype="float32"):
        return numpy.empty(shape, dtype=dtype)

    def full(self, shape, fill_value, dtype="float32"):
        return numpy.full(shape, fill_value, dtype=dtype)


def cpu():
    """Return the CPU device."""
    return CPUDevice()


def cpu_numpy():
    """With numpy arrays the numpy CPU is the CPU."""
    return CPUDevice()


class _MissingDevice(Device):
    """A device this backend cannot run on: `enabled()` is False and it holds no arrays."""

    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return f"needle.{self.name}()"

    def __eq__(self, other):
        return isinstance(other, _MissingDevice) and other.name == self.name

    def __hash__(self):
        return hash(self.name)

    def enabled(self):
        return False


def cuda():
    """The numpy backend has no GPU: use NEEDLE_BACKEND=nd for cuda()."""
    return _MissingDevice("cuda")


def default_device():
    return cpu()


def all_devices():
    """Return every device this backend supports."""
    return [cpu()]
