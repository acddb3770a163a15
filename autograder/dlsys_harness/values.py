"""Values as they travel out of the sandbox: dtype, shape and raw bytes, nothing executable.

Decoding never unpickles, so a forged value can at worst be a wrong number.
"""
from __future__ import annotations

import base64

import numpy as np

MAX_VALUE_BYTES = 8 * 2**20


class UnreportableValue(TypeError):
    """A value a case cannot report (not numeric, too large)."""


def encode(value) -> dict:
    """A numeric value (number, numpy array, or anything with `.numpy()`) as a JSON-able dict."""
    if hasattr(value, "numpy") and not isinstance(value, np.ndarray):
        value = value.numpy()
    array = np.asarray(value)
    if array.dtype.kind not in "biuf":
        raise UnreportableValue(f"cannot report a value of type {type(value).__name__} (dtype {array.dtype}): "
                          "report numbers or numeric arrays")
    if array.nbytes > MAX_VALUE_BYTES:
        raise UnreportableValue(f"value of {array.nbytes} bytes is larger than the {MAX_VALUE_BYTES} allowed")
    little = array.astype(array.dtype.newbyteorder("<"), copy=False)
    return {"dtype": array.dtype.str.lstrip("<>|="), "shape": list(array.shape),
            "data": base64.b64encode(np.ascontiguousarray(little).tobytes()).decode("ascii")}


def decode(encoded: dict) -> np.ndarray:
    """The array an `encode` produced; a malformed record raises ValueError."""
    try:
        dtype = np.dtype(str(encoded["dtype"])).newbyteorder("<")
        if dtype.kind not in "biuf":
            raise ValueError(f"dtype {dtype} is not numeric")
        shape = tuple(int(n) for n in encoded["shape"])
        data = base64.b64decode(encoded["data"], validate=True)
        return np.frombuffer(data, dtype=dtype).reshape(shape).astype(dtype.newbyteorder("="))
    except (KeyError, TypeError, ValueError) as error:
        raise ValueError(f"malformed value: {error}") from None
