"""needle: a small deep learning library with reverse-mode automatic differentiation,
neural network modules, optimizers and data loading, on the CPU (C++ or numpy) and the GPU.

    import needle as ndl
    device = ndl.cuda() if ndl.cuda().enabled() else ndl.cpu()
    model = ndl.nn.Sequential(ndl.nn.Linear(784, 100, device=device), ndl.nn.ReLU(),
                              ndl.nn.Linear(100, 10, device=device))
"""
from . import ops
from .ops import *
from .autograd import Tensor, TensorTuple
from .backend_selection import all_devices, cpu, cpu_numpy, cuda, default_device

from . import init
from .init import ones, zeros, zeros_like, ones_like

from . import data
from . import nn
from . import optim
