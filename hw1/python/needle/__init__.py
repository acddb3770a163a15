"""needle: a small deep learning library with reverse-mode automatic differentiation.

    import needle as ndl
    x = ndl.Tensor([[1.0, 2.0]])
"""
from . import ops
from .ops import *
from .autograd import Tensor, cpu, all_devices

from . import init
from .init import ones, zeros, zeros_like, ones_like
