"""hw4 lstm: nn.LSTMCell and nn.LSTM (stacked layers unrolled over a sequence).

Seeded cases build the layers right after `np.random.seed` and report their parameters
(W_ih (input, 4 hidden), W_hh (hidden, 4 hidden), bias_ih, bias_hh (4 hidden,), uniform on
+-sqrt(1/hidden), drawn in that order, cell after cell for a stack) and outputs. The other
cases give every cell weights of the suite's own (`lstm_cells[k].W_ih`, ... as the docstrings
name them; gate columns in the order i, f, g, o), so they grade the computation alone: h and
c at every layer, and the gradients of a weighted sum of the outputs for the inputs, the
initial states and every parameter.

Tolerances: rtol = atol = 1e-4 (a few steps of float32 products of at most 8 terms through
sigmoid and tanh, and back). Seeded parameters: 1e-6.
"""
import numpy as np

from dlsys_harness import case, report
from _hw4 import device, f64, normal, tensor
from _sequence import cell_parameters, report_grads, set_cell, weighted_sum

SEQUENCE = dict(rtol=1e-4, atol=1e-4, timeout=30)


@case(part="lstm", points=2, rtol=1e-6, atol=1e-6, timeout=30)
def lstm_cell_seeded_parameters(device_name):
    import needle.nn as nn

    dev = device(device_name)
    np.random.seed(5901)
    cell = nn.LSTMCell(5, 3, device=dev)
    for name, p in cell_parameters(cell):
        report(f"cell_{name}", f64(p))
    h, c = cell(tensor(normal(5902, 2, 5), dev))
    report("cell_h", f64(h))
    report("cell_c", f64(c))
    np.random.seed(5903)
    no_bias = nn.LSTMCell(4, 2, bias=False, device=dev)
    for name, p in cell_parameters(no_bias, bias=False):
        report(f"no_bias_{name}", f64(p))


@case(part="lstm", points=3, **SEQUENCE)
def lstm_cell_forward_and_backward(device_name):
    import needle.nn as nn

    dev = device(device_name)
    for name, seed, bias, with_state in (("with_state", 5911, True, True), ("state_none", 5921, True, False),
                                         ("no_bias", 5931, False, True)):
        cell = nn.LSTMCell(6, 4, bias=bias, device=dev)
        set_cell(cell, seed, 6, 4, 4, bias=bias)
        x = tensor(normal(seed + 4, 3, 6), dev)
        state = None
        if with_state:
            state = (tensor(normal(seed + 5, 3, 4), dev), tensor(normal(seed + 6, 3, 4, scale=2.0), dev))
        h, c = cell(x, state)
        report(f"{name}_h", f64(h))
        report(f"{name}_c", f64(c))
        weighted_sum(dev, seed + 7, h, c).backward()
        named = [("x", x)] + cell_parameters(cell, bias)
        if with_state:
            named += [("h0", state[0]), ("c0", state[1])]
        else:  # h = 0: W_hh's gradient is 0, or None where h @ W_hh was skipped
            named = [(n, t) for n, t in named if n != "W_hh"]
        report_grads(name, named)


def _stack(dev, seed, input_size, hidden_size, num_layers, bias=True):
    import needle.nn as nn

    lstm = nn.LSTM(input_size, hidden_size, num_layers=num_layers, bias=bias, device=dev)
    for k, cell in enumerate(lstm.lstm_cells):
        set_cell(cell, seed + 10 * k, input_size if k == 0 else hidden_size, hidden_size, 4, bias=bias)
    return lstm


@case(part="lstm", points=3, **SEQUENCE)
def lstm_layers_forward_and_backward(device_name):
    dev = device(device_name)
    lstm = _stack(dev, 5941, 3, 4, 2)
    x = tensor(normal(5971, 5, 2, 3), dev)
    h0, c0 = tensor(normal(5972, 2, 2, 4), dev), tensor(normal(5973, 2, 2, 4), dev)
    output, (h_n, c_n) = lstm(x, (h0, c0))
    report("output", f64(output))
    report("h_n", f64(h_n))
    report("c_n", f64(c_n))
    weighted_sum(dev, 5974, output, h_n, c_n).backward()
    named = [("x", x), ("h0", h0), ("c0", c0)]
    for k, cell in enumerate(lstm.lstm_cells):
        named += [(f"layer_{k}_{name}", p) for name, p in cell_parameters(cell)]
    report_grads("stack", named)
    # from zeros, three layers without biases
    output, (h_n, c_n) = _stack(dev, 5981, 2, 3, 3, bias=False)(tensor(normal(5991, 4, 3, 2), dev))
    report("three_layers_output", f64(output))
    report("three_layers_h_n", f64(h_n))
    report("three_layers_c_n", f64(c_n))


@case(part="lstm", points=2, rtol=1e-5, atol=1e-5, timeout=30)
def lstm_seeded_layers(device_name):
    import needle.nn as nn

    dev = device(device_name)
    np.random.seed(5995)
    lstm = nn.LSTM(3, 4, num_layers=2, device=dev)
    for k, cell in enumerate(lstm.lstm_cells):
        for name, p in cell_parameters(cell):
            report(f"layer_{k}_{name}", f64(p))
    output, (h_n, c_n) = lstm(tensor(normal(5996, 6, 2, 3), dev))
    report("output", f64(output))
    report("h_n", f64(h_n))
    report("c_n", f64(c_n))
