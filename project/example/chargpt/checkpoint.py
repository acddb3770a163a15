"""Save a CharGPT (float or int8) to one .npz file and load it back.

The file holds the config (JSON), whether the Linear layers are int8, and every array by its
attribute path (e.g. `transformer.layers.modules.0.attn.q_projection.weight`): the model is
rebuilt from the config, quantized when it was, and each array put back where its name says.
"""
import json
from pathlib import Path

import numpy as np

from ._needle import ndl, nn
from .model import CharGPT, GPTConfig
from .quantize import Int8Linear, quantize_model


def _slots(value, prefix=""):
    """(name, owner, key, array) for every Parameter and numpy array inside a module."""
    if isinstance(value, nn.Module):
        items = vars(value).items()
    elif isinstance(value, (list, tuple)):
        items = ((str(i), item) for i, item in enumerate(value))
    else:
        return
    for key, child in items:
        name = f"{prefix}{key}"
        if isinstance(child, nn.Parameter):
            yield name, value, key, child.numpy()
        elif isinstance(child, np.ndarray):
            yield name, value, key, child
        else:
            yield from _slots(child, name + ".")


def is_quantized(model: CharGPT) -> bool:
    return any(isinstance(module, Int8Linear) for module in model.children())


def save(model: CharGPT, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    arrays = {name: array for name, _, _, array in _slots(model)}
    header = json.dumps({"config": model.config.to_dict(), "int8": is_quantized(model)})
    with path.open("wb") as file:  # a file object: np.savez would append ".npz" to a bare name
        np.savez(file, __header__=np.array(header), **arrays)
    return path


def load(path: str | Path, device=None) -> CharGPT:
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no checkpoint at {path}: train one first (python -m chargpt train)")
    with np.load(path, allow_pickle=False) as data:
        if "__header__" not in data:
            raise ValueError(f"{path} is not a CharGPT checkpoint (no __header__)")
        header = json.loads(str(data["__header__"]))
        model = CharGPT(GPTConfig(**header["config"]), device=device)
        if header["int8"]:
            quantize_model(model)
        slots = list(_slots(model))
        missing = sorted({name for name, *_ in slots} - set(data.files))
        if missing:
            raise ValueError(f"{path} lacks arrays for {', '.join(missing[:3])}{' ...' if len(missing) > 3 else ''}")
        for name, owner, key, current in slots:
            array = data[name]
            if array.shape != current.shape or array.dtype != current.dtype:
                raise ValueError(f"{path}: {name} is {array.dtype}{array.shape}, the model expects "
                                 f"{current.dtype}{current.shape}")
            target = getattr(owner, key)  # owners of arrays are modules: a tuple only holds modules here
            if isinstance(target, nn.Parameter):
                target.data = ndl.Tensor(array, device=model.device, requires_grad=False)
            else:
                setattr(owner, key, array.copy())
    return model
