import numpy as np
import pytest
from chargpt.checkpoint import is_quantized, load, save
from chargpt.quantize import quantize_model


def test_float_round_trip_keeps_every_logit(trained, tmp_path):
    model, _ = trained
    loaded = load(save(model, tmp_path / "float.npz"))
    ids = np.random.default_rng(0).integers(0, 97, size=(2, 16))
    assert loaded.config == model.config and not is_quantized(loaded)
    np.testing.assert_array_equal(loaded(ids).numpy(), model(ids).numpy())


def test_int8_round_trip_keeps_the_int8_weights(trained, tmp_path):
    model, _ = trained
    quantized = quantize_model(load(save(model, tmp_path / "float.npz")))
    loaded = load(save(quantized, tmp_path / "int8.npz"))
    assert is_quantized(loaded)
    ids = np.random.default_rng(0).integers(0, 97, size=(2, 16))
    np.testing.assert_array_equal(loaded(ids).numpy(), quantized(ids).numpy())
    assert loaded.head.weight_int8.dtype == np.int8
    assert (tmp_path / "int8.npz").stat().st_size < (tmp_path / "float.npz").stat().st_size


def test_loading_something_else_is_a_clear_error(tmp_path):
    np.savez(tmp_path / "other.npz", weights=np.zeros(3))
    with pytest.raises(ValueError, match="not a CharGPT checkpoint"):
        load(tmp_path / "other.npz")
