"""GPU discovery: the driver's answer (here, on a machine without a GPU: none, said why, never
raised), and the fake device list the routing tests and demos use."""
import importlib.util

import pytest

from autograder.devtools.gpus import Gpu, discover, parse_fake


def test_the_real_discovery_returns_the_gpus_or_says_why_there_are_none():
    found = discover()
    assert found.source
    for gpu in found.gpus:  # a GPU host (a lent device, GPU CI): real names and memory
        assert gpu.name and gpu.total_bytes > 0 and gpu.index >= 0
    if not found.gpus:
        assert "cuda" in found.source.lower()  # cuda-python's or the probe's own words


@pytest.mark.skipif(importlib.util.find_spec("cuda") is None, reason="cuda-python is not installed")
def test_cuda_python_answers_first_when_installed():
    assert discover().source.startswith("cuda-python")


def test_a_fake_device_list_stands_in_for_the_driver():
    found = discover("0:Fake A100:80, 1:Fake L4:24")
    assert found.gpus == (Gpu(0, "Fake A100", 80 * 2**30, 80 * 2**30), Gpu(1, "Fake L4", 24 * 2**30, 24 * 2**30))
    assert "fake" in found.source
    assert found.gpus[1].describe() == "1: Fake L4 (24 GiB, 24 GiB free)"


@pytest.mark.parametrize("spec", ["0:A100", "x:A100:80", "0:A100:lots"])
def test_a_malformed_fake_item_is_named(spec):
    with pytest.raises(ValueError, match=f"fake GPU '{spec}': expected index:name:GiB"):
        parse_fake(spec)
