"""PyTorch counterparts of needle's modules, for the tests that use torch as the oracle.

Nothing here imports torch: every helper takes the torch module (the `torch` fixture) as its
first argument, so that test files import this module even where torch is not installed.
The mirrors are built in float64 from needle's float32 values, so the oracle itself adds no
rounding worth speaking of. needle's Linear keeps its weight as (in, out) and its bias as
(1, out); torch keeps (out, in) and (out,): the helpers transpose and reshape on the way.
"""
import numpy as np

import needle as ndl
import needle.nn as nn


def leaf(torch, array):
    """A float64 torch tensor that requires grad, from a numpy array or a needle Tensor."""
    values = array.numpy() if isinstance(array, ndl.Tensor) else array
    return torch.tensor(np.asarray(values, dtype=np.float64), requires_grad=True)


def as_numpy(tensor):
    return tensor.detach().cpu().numpy()


def check_against_torch(torch, module, mirror, X, G, rtol, atol, grad_rtol=None, grad_atol=None):
    """Run `module` (needle) and `mirror` (torch) on X, backpropagate the output weight G
    through both (the gradient of sum(out * G)), and compare the outputs and the input
    gradients. Build the mirror before calling: a BatchNorm1d in training updates its running
    statistics on the forward pass. Parameter gradients are left to the caller."""
    x = ndl.Tensor(X)
    out = module(x)
    out.backward(ndl.Tensor(G))
    tx = leaf(torch, X)
    t_out = mirror(tx)
    (t_out * torch.tensor(G, dtype=torch.float64)).sum().backward()
    np.testing.assert_allclose(out.numpy(), as_numpy(t_out), rtol=rtol, atol=atol)
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=grad_rtol or rtol, atol=grad_atol or atol)


def linear_to_torch(torch, layer):
    """torch.nn.Linear with `layer`'s weight (transposed) and bias."""
    has_bias = layer.bias is not None
    mirror = torch.nn.Linear(layer.in_features, layer.out_features, bias=has_bias, dtype=torch.float64)
    with torch.no_grad():
        mirror.weight.copy_(torch.tensor(layer.weight.numpy().T, dtype=torch.float64))
        if has_bias:
            mirror.bias.copy_(torch.tensor(layer.bias.numpy().reshape(-1), dtype=torch.float64))
    return mirror


def batchnorm_to_torch(torch, layer):
    """torch.nn.BatchNorm1d with `layer`'s weight, bias, running statistics, eps, momentum and mode."""
    mirror = torch.nn.BatchNorm1d(layer.dim, eps=layer.eps, momentum=layer.momentum, dtype=torch.float64)
    with torch.no_grad():
        mirror.weight.copy_(torch.tensor(layer.weight.numpy(), dtype=torch.float64))
        mirror.bias.copy_(torch.tensor(layer.bias.numpy(), dtype=torch.float64))
        mirror.running_mean.copy_(torch.tensor(layer.running_mean.numpy(), dtype=torch.float64))
        mirror.running_var.copy_(torch.tensor(layer.running_var.numpy(), dtype=torch.float64))
    return mirror.train(layer.training)


def layernorm_to_torch(torch, layer):
    """torch.nn.LayerNorm over the last dimension with `layer`'s weight, bias and eps."""
    mirror = torch.nn.LayerNorm(layer.dim, eps=layer.eps, dtype=torch.float64)
    with torch.no_grad():
        mirror.weight.copy_(torch.tensor(layer.weight.numpy(), dtype=torch.float64))
        mirror.bias.copy_(torch.tensor(layer.bias.numpy(), dtype=torch.float64))
    return mirror


def residual_class(torch):
    class Residual(torch.nn.Module):
        """fn(x) + x."""

        def __init__(self, fn):
            super().__init__()
            self.fn = fn

        def forward(self, x):
            return self.fn(x) + x

    return Residual


def mirror(torch, module):
    """The torch module computing what the needle `module` computes, built from needle's
    standard modules found in it (recursively) with their current values copied in."""
    if isinstance(module, nn.Linear):
        return linear_to_torch(torch, module)
    if isinstance(module, nn.BatchNorm1d):
        return batchnorm_to_torch(torch, module)
    if isinstance(module, nn.LayerNorm1d):
        return layernorm_to_torch(torch, module)
    if isinstance(module, nn.ReLU):
        return torch.nn.ReLU()
    if isinstance(module, nn.Identity):
        return torch.nn.Identity()
    if isinstance(module, nn.Flatten):
        return torch.nn.Flatten()
    if isinstance(module, nn.Dropout):
        return torch.nn.Dropout(module.p).train(module.training)
    if isinstance(module, nn.Sequential):
        return torch.nn.Sequential(*[mirror(torch, m) for m in module.modules])
    if isinstance(module, nn.Residual):
        return residual_class(torch)(mirror(torch, module.fn))
    raise TypeError(f"no torch mirror for {type(module).__name__}")


def mlp_resnet(torch, dim, hidden_dim=100, num_blocks=3, num_classes=10, norm="batch", drop_prob=0.1):
    """The course's MLPResNet written directly in torch (float64):

        Linear(dim, hidden) -> ReLU -> num_blocks x ResidualBlock(hidden, hidden // 2) -> Linear(hidden, classes)
        ResidualBlock(d, h) = ReLU(x + Norm(Linear(h, d)(Dropout(ReLU(Norm(Linear(d, h)(x)))))))

    Its parameters, in `parameters()` order, are the ones needle's MLPResNet lists in the same order.
    """
    Residual = residual_class(torch)
    f64 = torch.float64

    def make_norm(width):
        if norm == "batch":
            return torch.nn.BatchNorm1d(width, dtype=f64)
        return torch.nn.LayerNorm(width, dtype=f64)

    def block(d, h):
        return torch.nn.Sequential(
            Residual(
                torch.nn.Sequential(
                    torch.nn.Linear(d, h, dtype=f64),
                    make_norm(h),
                    torch.nn.ReLU(),
                    torch.nn.Dropout(drop_prob),
                    torch.nn.Linear(h, d, dtype=f64),
                    make_norm(d),
                )
            ),
            torch.nn.ReLU(),
        )

    return torch.nn.Sequential(
        torch.nn.Linear(dim, hidden_dim, dtype=f64),
        torch.nn.ReLU(),
        *[block(hidden_dim, hidden_dim // 2) for _ in range(num_blocks)],
        torch.nn.Linear(hidden_dim, num_classes, dtype=f64),
    )


def load_needle_values(torch, torch_model, needle_model):
    """Copy needle's parameters (in `parameters()` order) and its BatchNorm1d running statistics
    (in `children()` order) into `torch_model`, whose own orders must line up with them."""
    torch_params = list(torch_model.parameters())
    needle_params = needle_model.parameters()
    assert len(torch_params) == len(needle_params), (
        f"needle's model has {len(needle_params)} parameters, the course's architecture has {len(torch_params)}"
    )
    with torch.no_grad():
        for position, (target, source) in enumerate(zip(torch_params, needle_params)):
            values = source.numpy()
            if target.ndim == 2:
                values = values.T  # a Linear weight: needle (in, out), torch (out, in)
            else:
                values = values.reshape(-1)  # a Linear bias (1, out) or a norm's (dim,)
            assert values.shape == tuple(target.shape), (
                f"parameter {position}: needle's has shape {source.shape}, the course's architecture "
                f"expects {tuple(target.shape)} here"
            )
            target.copy_(torch.tensor(values, dtype=torch.float64))
        torch_norms = [m for m in torch_model.modules() if isinstance(m, torch.nn.BatchNorm1d)]
        needle_norms = [m for m in needle_model.children() if isinstance(m, nn.BatchNorm1d)]
        assert len(torch_norms) == len(needle_norms)
        for target, source in zip(torch_norms, needle_norms):
            target.running_mean.copy_(torch.tensor(source.running_mean.numpy(), dtype=torch.float64))
            target.running_var.copy_(torch.tensor(source.running_var.numpy(), dtype=torch.float64))
    return torch_model
