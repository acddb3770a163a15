"""hw4 transformer: nn.TransformerLayer, nn.Transformer (learned positional embedding, a stack
of layers, sequence-first or batch-first) and the Transformer language model.

Every model is built right after `np.random.seed`, so its seeded parameters (created in the
order the docstrings give) are graded with its outputs: the output, and the gradients of a
weighted sum of it for the input and for every parameter (through `report_fingerprints`:
sorted shapes, sums, norms and projections, whatever the layers are called). The Transformer's
second value, zeros of the output's shape, is graded too. Dropout is 0, as in the course's
Transformer language model, so no mask is drawn during the forward passes that count.

Tolerances: rtol = atol = 1e-4. A layer is two LayerNorms, a softmax and sums of at most 32
float32 products; the ReLU's pre-activations here all stay at least 1e-3 away from 0
(checked in float64), so its kink never flips between equally correct implementations.
"""
import numpy as np

from dlsys_harness import case, report
from _hw4 import device, f64, integers, normal, report_fingerprints, scalar, tensor
from _sequence import weighted_sum

MODEL = dict(rtol=1e-4, atol=1e-4, timeout=60)


def _outputs(dev, prefix, model, x_shape, seed):
    """Report the model's output (and its second value, if it returns a pair) on a fixed input,
    and the gradients of a weighted sum of the output for the input and every parameter."""
    x = tensor(normal(seed, *x_shape), dev)
    out = model(x)
    if isinstance(out, tuple):
        out, second = out
        report(f"{prefix}_second", f64(second))
    report(f"{prefix}_out", f64(out))
    weighted_sum(dev, seed + 1, out).backward()
    report(f"{prefix}_x_grad", f64(x.grad))
    report_fingerprints(f"{prefix}_parameter_gradients", (p.grad for p in model.parameters()))


@case(part="transformer", points=3, **MODEL)
def transformer_layer(device_name):
    import needle.nn as nn

    dev = device(device_name)
    np.random.seed(6201)
    causal = nn.TransformerLayer(8, 2, 4, 16, device=dev)  # causal by default
    _outputs(dev, "causal", causal, (2, 5, 8), 6202)
    np.random.seed(6211)
    open_layer = nn.TransformerLayer(6, 3, 2, 10, causal=False, device=dev)
    _outputs(dev, "not_causal", open_layer, (3, 4, 6), 6212)


@case(part="transformer", points=3, **MODEL)
def transformer_sequence_first(device_name):
    import needle.nn as nn

    dev = device(device_name)
    np.random.seed(6221)
    model = nn.Transformer(8, 12, 2, num_head=2, dim_head=4, sequence_len=9, device=dev)
    _outputs(dev, "two_layers", model, (6, 2, 8), 6222)  # (seq_len, batch, features)


@case(part="transformer", points=2, **MODEL)
def transformer_batch_first_not_causal(device_name):
    import needle.nn as nn

    dev = device(device_name)
    np.random.seed(6231)
    model = nn.Transformer(6, 8, 1, num_head=3, dim_head=2, causal=False, batch_first=True, sequence_len=5,
                           device=dev)
    _outputs(dev, "one_layer", model, (3, 5, 6), 6232)  # (batch, seq_len, features); the longest sequence


@case(part="transformer", points=2, **MODEL)
def transformer_language_model(device_name):
    import needle.nn as nn
    from models import LanguageModel

    dev = device(device_name)
    np.random.seed(6241)
    model = LanguageModel(8, 13, 12, num_layers=1, seq_model="transformer", seq_len=6, device=dev)
    x = tensor(integers(6242, 13, 5, 2), dev, requires_grad=False)
    logits, h = model(x)
    report("logits", f64(logits))
    report("h", f64(h))
    loss = nn.SoftmaxLoss()(logits, tensor(integers(6243, 13, 10), dev, requires_grad=False))
    report("loss", scalar(loss))
    loss.backward()
    report_fingerprints("parameter_gradients", (p.grad for p in model.parameters()))
