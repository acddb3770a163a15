"""Values as they leave the sandbox: dtype, shape and bytes, never anything executable."""

import numpy as np
import pytest

from autograder.dlsys_harness import values


def test_values_round_trip_with_dtype_and_shape():
    for value in [np.float32(1.5), 3, 2.0, np.arange(12, dtype=np.int64).reshape(3, 4),
                  np.ones((2, 0), dtype=np.float32), np.array([True, False])]:
        decoded = values.decode(values.encode(value))
        expected = np.asarray(value)
        assert decoded.dtype == expected.dtype and decoded.shape == expected.shape
        np.testing.assert_array_equal(decoded, expected)


def test_values_refuse_what_is_not_a_number():
    with pytest.raises(TypeError, match="cannot report"):
        values.encode(np.array(["a"]))
    with pytest.raises(TypeError, match="cannot report"):
        values.encode({"a": 1})
    with pytest.raises(ValueError, match="malformed"):
        values.decode({"dtype": "O", "shape": [1], "data": ""})
    with pytest.raises(ValueError, match="malformed"):
        values.decode({"dtype": "f4", "shape": [3], "data": "AAAA"})
