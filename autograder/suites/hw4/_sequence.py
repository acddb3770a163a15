"""Helpers for the RNN and LSTM cases: cells given weights of the suite's own, and the
gradients of a sequence layer's outputs.

Only numpy at import time; needle comes in through the modules the cases pass.
"""
from dlsys_harness import report
from _hw4 import f64, normal, set_parameter, tensor

CELL_PARAMETERS = ("W_ih", "W_hh", "bias_ih", "bias_hh")


def set_cell(cell, seed, input_size, hidden_size, gates, bias=True, scale=0.4):
    """Give a cell W_ih (input, gates*hidden), W_hh (hidden, gates*hidden) and, with `bias`,
    bias_ih and bias_hh (gates*hidden,): Gaussian values of `scale` drawn from `seed`."""
    width = gates * hidden_size
    set_parameter(cell, "W_ih", normal(seed, input_size, width, scale=scale))
    set_parameter(cell, "W_hh", normal(seed + 1, hidden_size, width, scale=scale))
    if bias:
        set_parameter(cell, "bias_ih", normal(seed + 2, width, scale=scale))
        set_parameter(cell, "bias_hh", normal(seed + 3, width, scale=scale))


def cell_parameters(cell, bias=True):
    """(name, Parameter) of a cell, in the documented order."""
    return [(name, getattr(cell, name)) for name in CELL_PARAMETERS[:4 if bias else 2]]


def weighted_sum(dev, seed, *tensors):
    """sum_i sum(tensors[i] * W_i) for fixed random W_i: a scalar whose gradient weighs every
    element of every output differently."""
    total = None
    for i, t in enumerate(tensors):
        term = (t * tensor(normal(seed + i, *t.shape), dev, requires_grad=False)).sum()
        total = term if total is None else total + term
    return total


def report_grads(prefix, named):
    """Report the gradient of each (name, Tensor) as `<prefix>_<name>_grad`."""
    for name, t in named:
        report(f"{prefix}_{name}_grad", f64(t.grad))
