"""needle: a small deep learning library with reverse-mode automatic differentiation,
neural network modules, optimizers and data loading.

    import needle as ndl
    model = ndl.nn.Sequential(ndl.nn.Linear(784, 100), ndl.nn.ReLU(), ndl.nn.Linear(100, 10))
"""
from . import ops
from .ops import *
from .autograd import Tensor, cpu, all_devices

from . import init
from .init import ones, zeros, zeros_like, ones_like

from . import data
from . import nn
from . import optim
