import numpy as np
import pytest
from chargpt import corpus


def test_encode_decode_round_trip_and_unknown_characters():
    text = 'def f(x):\n    return "é" + x\t'
    ids = corpus.encode(text)
    assert ids.dtype == np.uint8 and len(ids) == len(text)
    assert corpus.decode(ids) == text.replace("é", corpus.UNKNOWN).replace("\t", corpus.UNKNOWN)
    assert corpus.VOCAB_SIZE == 97  # fixed: NUL for unknown, newline, the 95 printable ASCII


def test_split_is_deterministic_by_whole_files(tmp_path):
    for index in range(20):
        (tmp_path / f"m{index:02d}.py").write_text(f"x = {index}\n")
    (tmp_path / "pkg").mkdir()  # packages are not part of the corpus
    (tmp_path / "pkg" / "inner.py").write_text("ignored = True\n")
    first = corpus.load_corpus(stdlib=tmp_path)
    again = corpus.load_corpus(stdlib=tmp_path)
    assert first.files == 20
    assert np.array_equal(first.train, again.train) and np.array_equal(first.validation, again.validation)
    assert corpus.decode(first.validation) == "x = 9\n\nx = 19\n"  # every 10th file, sorted by name


def test_empty_stdlib_folder_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="no \\*.py files"):
        corpus.load_corpus(stdlib=tmp_path)


def test_unigram_loss_is_the_cross_entropy_of_smoothed_frequencies():
    train = np.array([1, 1, 1, 2], dtype=np.uint8)
    counts = np.ones(corpus.VOCAB_SIZE)
    counts[1] += 3
    counts[2] += 1
    expected = -np.log(counts[[1, 2]] / counts.sum()).mean()
    assert corpus.unigram_loss(train, np.array([1, 2], dtype=np.uint8)) == pytest.approx(expected)
