"""hw4 rnn: nn.RNNCell, nn.RNN (stacked layers unrolled over a sequence) and nn.Embedding.

Seeded cases build the layers right after `np.random.seed` and report their parameters
(W_ih, W_hh, bias_ih, bias_hh uniform on +-sqrt(1/hidden), drawn in that order, cell after
cell for a stack; Embedding's weight standard normal) and an output. The other cases give
every cell weights of the suite's own (`rnn_cells[k].W_ih`, ... as the docstrings name them),
so they grade the computation alone: outputs, the last hidden states, and the gradients of a
weighted sum of both for the inputs, the initial state and every parameter.

Tolerances: rtol = atol = 1e-4. A few steps of float32 products of at most 8 terms, through
tanh; the gradients go back through the same steps (accumulated across the time steps in any
order). The ReLU cells' pre-activations all stay at least 5e-4 away from 0 (checked against
float64 PyTorch), so a kink never flips between equally correct implementations. Seeded
parameters: 1e-6.
"""
import numpy as np

from dlsys_harness import case, report
from _hw4 import backward_with_weight, device, f64, normal, tensor
from _sequence import cell_parameters, report_grads, set_cell, weighted_sum

SEQUENCE = dict(rtol=1e-4, atol=1e-4, timeout=30)


@case(part="rnn", points=2, rtol=1e-6, atol=1e-6, timeout=30)
def rnn_seeded_parameters(device_name):
    import needle.nn as nn

    dev = device(device_name)
    np.random.seed(5701)
    cell = nn.RNNCell(5, 4, device=dev)
    for name, p in cell_parameters(cell):
        report(f"cell_{name}", f64(p))
    report("cell_out", f64(cell(tensor(normal(5702, 3, 5), dev))))
    np.random.seed(5703)
    no_bias = nn.RNNCell(3, 6, bias=False, device=dev)
    for name, p in cell_parameters(no_bias, bias=False):
        report(f"no_bias_{name}", f64(p))
    np.random.seed(5704)
    stack = nn.RNN(3, 4, num_layers=2, device=dev)
    output, h_n = stack(tensor(normal(5705, 5, 2, 3), dev))
    report("stack_output", f64(output))
    report("stack_h_n", f64(h_n))


@case(part="rnn", points=3, **SEQUENCE)
def rnn_cell_forward_and_backward(device_name):
    import needle.nn as nn

    dev = device(device_name)
    for name, seed, bias, nonlinearity, with_h in (("tanh", 5711, True, "tanh", True),
                                                     ("tanh_h_none", 5721, True, "tanh", False),
                                                     ("relu", 5731, True, "relu", True),
                                                     ("tanh_no_bias", 5741, False, "tanh", True)):
        cell = nn.RNNCell(6, 5, bias=bias, nonlinearity=nonlinearity, device=dev)
        set_cell(cell, seed, 6, 5, 1, bias=bias)
        x = tensor(normal(seed + 4, 4, 6), dev)
        h = tensor(normal(seed + 5, 4, 5), dev) if with_h else None
        out = cell(x, h)
        report(f"{name}_out", f64(out))
        backward_with_weight(out, seed + 6)
        named = [("x", x)] + cell_parameters(cell, bias)
        if with_h:
            named.append(("h", h))
        else:  # h = 0: W_hh's gradient is 0, or None where h @ W_hh was skipped
            named = [(n, t) for n, t in named if n != "W_hh"]
        report_grads(name, named)


def _stack(dev, seed, input_size, hidden_size, num_layers, nonlinearity="tanh"):
    import needle.nn as nn

    rnn = nn.RNN(input_size, hidden_size, num_layers=num_layers, nonlinearity=nonlinearity, device=dev)
    for k, cell in enumerate(rnn.rnn_cells):
        set_cell(cell, seed + 10 * k, input_size if k == 0 else hidden_size, hidden_size, 1)
    return rnn


@case(part="rnn", points=3, **SEQUENCE)
def rnn_layers_forward_and_backward(device_name):
    dev = device(device_name)
    rnn = _stack(dev, 5751, 4, 5, 2)
    x, h0 = tensor(normal(5781, 6, 3, 4), dev), tensor(normal(5782, 2, 3, 5), dev)
    output, h_n = rnn(x, h0)
    report("output", f64(output))
    report("h_n", f64(h_n))
    weighted_sum(dev, 5783, output, h_n).backward()
    named = [("x", x), ("h0", h0)]
    for k, cell in enumerate(rnn.rnn_cells):
        named += [(f"layer_{k}_{name}", p) for name, p in cell_parameters(cell)]
    report_grads("stack", named)
    # from zeros, three layers, one step and one sample
    output, h_n = _stack(dev, 5791, 2, 3, 3)(tensor(normal(5792, 1, 1, 2), dev))
    report("one_step_output", f64(output))
    report("one_step_h_n", f64(h_n))
    relu = _stack(dev, 5801, 3, 4, 2, nonlinearity="relu")
    output, h_n = relu(tensor(normal(5811, 4, 2, 3), dev))
    report("relu_output", f64(output))
    report("relu_h_n", f64(h_n))


@case(part="rnn", points=2, rtol=1e-5, atol=1e-5, timeout=30)
def embedding_lookup_and_gradient(device_name):
    import needle.nn as nn

    dev = device(device_name)
    np.random.seed(5821)
    embedding = nn.Embedding(9, 4, device=dev)
    report("seeded_weight", f64(embedding.weight))
    ids = np.float32([[3, 0, 8], [3, 5, 3], [1, 8, 2], [7, 3, 0]])  # repeats: their gradients add up
    out = embedding(tensor(ids, dev, requires_grad=False))
    report("out", f64(out))
    backward_with_weight(out, 5822)
    report("weight_grad", f64(embedding.weight.grad))
    report("one_id", f64(embedding(tensor(np.float32([[6]]), dev, requires_grad=False))))
