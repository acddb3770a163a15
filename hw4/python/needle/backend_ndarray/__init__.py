"""needle's NDArray backend: strided arrays over numpy, C++ and CUDA buffers.

    import needle.backend_ndarray as nd
    a = nd.array([[1.0, 2.0], [3.0, 4.0]], device=nd.cpu())
"""
from .ndarray import *
from .array_functions import *
