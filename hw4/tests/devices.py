"""The devices hw4's tests run on, as pytest parameters.

    @pytest.mark.parametrize("device", DEVICES)          # cpu() and cuda()
    @pytest.mark.parametrize("device", ALL_DEVICES)      # cpu_numpy() too

cuda() is skipped, with the reason, when no GPU (or no CUDA build) is there.
"""
import pytest

import needle as ndl

_NO_GPU = pytest.mark.skipif(not ndl.cuda().enabled(), reason="no GPU: cuda() is not enabled")

CPU = pytest.param(ndl.cpu(), id="cpu")
CUDA = pytest.param(ndl.cuda(), id="cuda", marks=_NO_GPU)
CPU_NUMPY = pytest.param(ndl.cpu_numpy(), id="cpu_numpy")

DEVICES = [CPU, CUDA]
ALL_DEVICES = [CPU_NUMPY, CPU, CUDA]
