"""The convolutional layer: images in NCHW, as PyTorch takes them, over the NHWC `ops.conv`."""
import math
import numbers

import needle.init as init
from needle import ops
from needle.autograd import Tensor

from .nn_basic import Module, Parameter


def _square(value, name: str) -> int:
    """An int, or a pair (v, v) of equal ints: the layer only has square kernels and strides."""
    if isinstance(value, (tuple, list)):
        if len(value) != 2 or value[0] != value[1]:
            raise ValueError(f"Conv: {name} must be an int or a pair of equal ints, got {value}")
        value = value[0]
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"Conv: {name} must be a positive int, got {value}")
    return int(value)


class Conv(Module):
    """2-D convolution with "same" padding: y = conv(x, weight) + bias.

    Args:
        in_channels: channels of the input image.
        out_channels: channels of the output image (one kernel each).
        kernel_size: side k of the square kernel (an int, or a pair (k, k)).
        stride: step between windows (default 1).
        bias: whether to add a learned bias per output channel (default True).

    Shape: x is (N, in_channels, H, W); y is (N, out_channels, ceil(H / stride), ceil(W / stride))
    for odd k, with padding k // 2 on every side. `weight` is (k, k, in_channels, out_channels)
    from kaiming_uniform(fan_in = in_channels * k * k, fan_out = out_channels * k * k); `bias` is
    (out_channels,), uniform on +-1 / sqrt(in_channels * k * k), drawn after the weight.

    Example:
        >>> conv = Conv(3, 16, 3, stride=2)
        >>> conv(Tensor(numpy.zeros((8, 3, 32, 32)))).shape
        (8, 16, 16, 16)
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, bias=True, device=None, dtype="float32"):
        super().__init__()
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = _square(kernel_size, "kernel_size")
        self.stride = _square(stride, "stride")
        self.padding = self.kernel_size // 2
        ### BEGIN YOUR SOLUTION
        k = self.kernel_size
        self.weight = Parameter(init.kaiming_uniform(
            in_channels * k * k, out_channels * k * k, shape=(k, k, in_channels, out_channels),
            device=device, dtype=dtype))
        self.bias = None
        if bias:
            bound = 1.0 / math.sqrt(in_channels * k * k)
            self.bias = Parameter(init.rand(out_channels, low=-bound, high=bound, device=device, dtype=dtype))
        ### END YOUR SOLUTION

    def forward(self, x: Tensor) -> Tensor:
        if len(x.shape) != 4 or x.shape[1] != self.in_channels:
            raise ValueError(f"Conv: expected input of shape (N, {self.in_channels}, H, W), got shape {x.shape}")
        ### BEGIN YOUR SOLUTION
        x = x.transpose((1, 2)).transpose((2, 3))  # NCHW -> NHWC
        out = ops.conv(x, self.weight, stride=self.stride, padding=self.padding)
        if self.bias is not None:
            out = out + self.bias.reshape((1, 1, 1, self.out_channels)).broadcast_to(out.shape)
        return out.transpose((2, 3)).transpose((1, 2))  # NHWC -> NCHW
        ### END YOUR SOLUTION
