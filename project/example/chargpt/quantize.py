"""Int8 weight-only quantization of a model's Linear layers, one scale per output channel.

For a weight W (in_features, out_features), column j gets scale_j = max_i |W_ij| / 127 and
stores q_ij = round(W_ij / scale_j) in int8. Then x W ~= (x q) * scale: the matmul runs on q
(converted to float32, exact for integers up to 127) and one multiply per output rescales it.
Each weight is off by at most scale_j / 2, so |(x W)_j - (x q scale)_j| <= scale_j / 2 * sum_i |x_i|,
the bound the tests check. Activations, biases, LayerNorms and embeddings stay float32.

needle has no int8 NDArray, so the int8 weights live in numpy and are widened to float32 for
each matmul: the weights take a quarter of the memory at rest, and each call pays a conversion.
"""
import numpy as np

from ._needle import ndl, nn


def quantize_weight(weight: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(q int8 (in, out), scale float32 (out,)) for a float weight (in, out)."""
    if weight.ndim != 2:
        raise ValueError(f"quantize_weight: expected a 2-D weight, got shape {weight.shape}")
    scale = np.abs(weight).max(axis=0) / 127.0
    scale = np.where(scale == 0, 1.0, scale).astype(np.float32)  # an all-zero column stays zero
    q = np.clip(np.rint(weight / scale), -127, 127).astype(np.int8)
    return q, scale


class Int8Linear(nn.Module):
    """A Linear whose weight is int8 with a float32 scale per output channel (inference only)."""

    def __init__(self, in_features: int, out_features: int, bias: bool = True, device=None):
        super().__init__()
        self.in_features, self.out_features = in_features, out_features
        self.device = device or ndl.cpu()
        self.weight_int8 = np.zeros((in_features, out_features), dtype=np.int8)
        self.scale = np.ones(out_features, dtype=np.float32)
        self.bias = nn.Parameter(np.zeros((1, out_features), dtype=np.float32), device=self.device) if bias else None

    @classmethod
    def from_linear(cls, linear: nn.Linear) -> "Int8Linear":
        layer = cls(linear.in_features, linear.out_features, bias=linear.bias is not None,
                    device=linear.weight.device)
        layer.weight_int8, layer.scale = quantize_weight(linear.weight.numpy())
        if linear.bias is not None:
            layer.bias = linear.bias
        return layer

    def forward(self, x):
        if len(x.shape) != 2 or x.shape[1] != self.in_features:
            raise ValueError(f"Int8Linear: expected input (N, {self.in_features}), got shape {x.shape}")
        weight = ndl.Tensor(self.weight_int8.astype(np.float32), device=self.device, requires_grad=False)
        out = x @ weight
        scale = ndl.Tensor(self.scale.reshape((1, self.out_features)), device=self.device, requires_grad=False)
        out = out * scale.broadcast_to(out.shape)
        if self.bias is not None:
            out = out + self.bias.broadcast_to(out.shape)
        return out


def quantize_model(module: nn.Module) -> nn.Module:
    """Replace every nn.Linear inside `module` (in attributes, lists and tuples) by an
    Int8Linear, in place; returns `module`."""

    def convert(value):
        if isinstance(value, nn.Linear):
            return Int8Linear.from_linear(value)
        if isinstance(value, nn.Module):
            for name, child in vars(value).items():
                setattr(value, name, convert(child))
            return value
        if isinstance(value, (list, tuple)):
            return type(value)(convert(item) for item in value)
        return value

    return convert(module)


def weight_bytes(module: nn.Module) -> int:
    """Bytes held by the model's weights: float parameters and int8 weights with their scales."""
    total = 0

    def visit(value, seen):
        nonlocal total
        if id(value) in seen:
            return
        seen.add(id(value))
        if isinstance(value, nn.Parameter):
            total += value.numpy().nbytes
        elif isinstance(value, np.ndarray):
            total += value.nbytes
        elif isinstance(value, nn.Module):
            for child in vars(value).values():
                visit(child, seen)
        elif isinstance(value, (list, tuple)):
            for item in value:
                visit(item, seen)

    visit(module, set())
    return total
