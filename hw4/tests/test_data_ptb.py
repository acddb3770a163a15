"""The Penn Treebank pipeline on tiny text files (datafiles.write_ptb): Dictionary ids stable and
in order of first sight, `<eos>` after every line, max_lines honoured exactly for train and
test, one dictionary across both files (train first), clear errors naming the missing file and
`dlsys data fetch ptb`; batchify's shape and column layout (trailing ids dropped); get_batch's
shapes and values, the short last chunk, and its Tensors on every device."""
import numpy as np
import pytest

import needle as ndl
from datafiles import write_ptb
from devices import ALL_DEVICES
from needle.data import Corpus, Dictionary, batchify, get_batch

pytestmark = pytest.mark.hw4_language_model

# PTB's own layout: a leading and a trailing space on every line.
TRAIN = [" the cat sat ", " the dog sat down ", " a cat ", " end of train "]
TEST = [" the bird sat ", " a new word ", " more "]


# --- Dictionary -----------------------------------------------------------------------------


def test_dictionary_numbers_words_in_order_of_first_sight():
    dictionary = Dictionary()
    assert len(dictionary) == 0
    assert [dictionary.add_word(w) for w in ["b", "a", "b", "c", "a"]] == [0, 1, 0, 2, 1]
    assert len(dictionary) == 3
    assert dictionary.idx2word == ["b", "a", "c"]
    assert dictionary.word2idx == {"b": 0, "a": 1, "c": 2}


# --- Corpus and tokenize --------------------------------------------------------------------


def test_tokenize_appends_eos_to_every_line(tmp_path):
    write_ptb(tmp_path, ["a b c", "b  d", "", "\ta\tc  "], [])
    corpus = Corpus(str(tmp_path))
    words = [corpus.dictionary.idx2word[i] for i in corpus.train]
    assert words == ["a", "b", "c", "<eos>", "b", "d", "<eos>", "<eos>", "a", "c", "<eos>"]
    assert corpus.train == [0, 1, 2, 3, 1, 4, 3, 3, 0, 2, 3]
    assert corpus.test == []


def test_one_dictionary_numbers_train_then_test(tmp_path):
    write_ptb(tmp_path, TRAIN, TEST)
    corpus = Corpus(str(tmp_path))
    train_words = "the cat sat <eos> the dog sat down <eos> a cat <eos> end of train <eos>".split()
    test_words = "the bird sat <eos> a new word <eos> more <eos>".split()
    assert [corpus.dictionary.idx2word[i] for i in corpus.train] == train_words
    assert [corpus.dictionary.idx2word[i] for i in corpus.test] == test_words
    # ids in order of first sight, train read first: the test file's new words come last
    assert corpus.dictionary.idx2word == list(dict.fromkeys(train_words + test_words))
    assert corpus.train[:4] == [0, 1, 2, 3]
    assert corpus.test[:4] == [0, corpus.dictionary.word2idx["bird"], 2, 3]
    assert corpus.dictionary.word2idx["bird"] == len(dict.fromkeys(train_words))
    assert len(corpus.dictionary) == 14


@pytest.mark.parametrize("max_lines", [0, 1, 2, 3, 10, None])
def test_max_lines_reads_exactly_that_many_lines_of_each_file(tmp_path, max_lines):
    write_ptb(tmp_path, TRAIN, TEST)
    corpus = Corpus(str(tmp_path), max_lines=max_lines)
    n = len(TRAIN) if max_lines is None else max_lines
    train = [w for line in TRAIN[:n] for w in line.split() + ["<eos>"]]
    test = [w for line in TEST[:n] for w in line.split() + ["<eos>"]]
    assert [corpus.dictionary.idx2word[i] for i in corpus.train] == train
    assert [corpus.dictionary.idx2word[i] for i in corpus.test] == test
    assert len(corpus.dictionary) == len(set(train + test))  # unread lines add no words


def test_tokenize_on_its_own_extends_the_dictionary(tmp_path):
    write_ptb(tmp_path, ["x y"], ["y z"])
    corpus = Corpus(str(tmp_path))
    (tmp_path / "extra.txt").write_text("z w\nq\nr\n")
    assert corpus.tokenize(str(tmp_path / "extra.txt"), max_lines=1) == [3, 4, 2]
    assert corpus.dictionary.idx2word == ["x", "y", "<eos>", "z", "w"]


def test_a_missing_train_file_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="dlsys data fetch ptb") as error:
        Corpus(str(tmp_path / "ptb"))
    assert str(tmp_path / "ptb" / "train.txt") in str(error.value)


def test_a_missing_test_file_is_named(tmp_path):
    write_ptb(tmp_path, TRAIN, TEST)
    (tmp_path / "test.txt").unlink()
    with pytest.raises(FileNotFoundError, match="dlsys data fetch ptb") as error:
        Corpus(str(tmp_path))
    assert str(tmp_path / "test.txt") in str(error.value)


# --- batchify -------------------------------------------------------------------------------


def test_batchify_lays_the_alphabet_into_columns():
    letters = [ord(c) - ord("a") for c in "abcdefghijklmnopqrstuvwxyz"]
    batches = batchify(letters, 4, ndl.cpu(), "float32")
    assert isinstance(batches, np.ndarray) and batches.shape == (6, 4)
    columns = ["abcdef", "ghijkl", "mnopqr", "stuvwx"]  # y and z dropped
    for j, column in enumerate(columns):
        assert "".join(chr(ord("a") + int(k)) for k in batches[:, j]) == column


@pytest.mark.parametrize("n, batch_size", [(20, 4), (23, 4), (7, 7), (9, 1), (10, 3)])
def test_batchify_column_j_is_the_jth_contiguous_chunk(n, batch_size):
    data = list(range(100, 100 + n))
    batches = batchify(data, batch_size, None, None)
    nbatch = n // batch_size
    assert batches.shape == (nbatch, batch_size)
    for j in range(batch_size):
        assert batches[:, j].tolist() == data[j * nbatch : (j + 1) * nbatch]


def test_batchify_refuses_too_few_ids():
    with pytest.raises(ValueError, match="batchify"):
        batchify([1, 2, 3], 4, None, None)


# --- get_batch ------------------------------------------------------------------------------


def ten_by_three():
    """batchify of 0..29 in 3 columns: row r is (r, 10 + r, 20 + r)."""
    return batchify(list(range(30)), 3, None, None)


@pytest.mark.parametrize("device", ALL_DEVICES)
@pytest.mark.parametrize("i, bptt, length", [(0, 4, 4), (2, 4, 4), (5, 4, 4), (6, 4, 3), (8, 4, 1), (0, 20, 9)])
def test_get_batch_shapes_values_and_the_short_last_chunk(device, i, bptt, length):
    batches = ten_by_three()
    data, target = get_batch(batches, i, bptt, device=device, dtype="float32")
    assert data.shape == (length, 3) and target.shape == (length * 3,)
    for tensor in (data, target):
        assert isinstance(tensor, ndl.Tensor)
        assert tensor.device == device and tensor.dtype == "float32"
    expected = np.array([[r, 10 + r, 20 + r] for r in range(i, i + length)])
    np.testing.assert_array_equal(data.numpy(), expected)
    np.testing.assert_array_equal(target.numpy(), (expected + 1).flatten())  # each id's next id


def test_get_batch_targets_are_the_next_row_flattened_row_by_row():
    batches = batchify([5, 1, 4, 9, 2, 6, 8, 3, 7, 0, 11, 12], 2, None, None)  # columns 5 1 4 9 2 6 | 8 3 7 0 11 12
    data, target = get_batch(batches, 1, 2)
    np.testing.assert_array_equal(data.numpy(), [[1, 3], [4, 7]])
    np.testing.assert_array_equal(target.numpy(), [4, 7, 9, 0])
    assert data.device == ndl.cpu()


@pytest.mark.parametrize("device", ALL_DEVICES)
def test_chunks_of_an_epoch_cover_every_row_once(device):
    batches = ten_by_three()
    chunks = [get_batch(batches, i, 4, device=device, dtype="float32") for i in range(0, 9, 4)]
    assert [data.shape[0] for data, _ in chunks] == [4, 4, 1]
    np.testing.assert_array_equal(np.concatenate([d.numpy() for d, _ in chunks]), batches[:-1])
    np.testing.assert_array_equal(np.concatenate([t.numpy() for _, t in chunks]), batches[1:].flatten())


@pytest.mark.parametrize("i", [-1, 9, 10])
def test_get_batch_refuses_a_row_with_no_target(i):
    with pytest.raises(ValueError, match="get_batch"):
        get_batch(ten_by_three(), i, 4)


@pytest.mark.parametrize("device", ALL_DEVICES)
def test_corpus_to_batches_on_the_device(tmp_path, device):
    write_ptb(tmp_path, TRAIN, TEST)
    corpus = Corpus(str(tmp_path))
    batches = batchify(corpus.train, 2, device, "float32")
    assert batches.shape == (8, 2)  # 16 ids
    data, target = get_batch(batches, 0, 3, device=device, dtype="float32")
    assert data.device == device and target.device == device
    np.testing.assert_array_equal(data.numpy()[:, 0], corpus.train[:3])
    np.testing.assert_array_equal(data.numpy()[:, 1], corpus.train[8:11])
    np.testing.assert_array_equal(target.numpy(), np.array([corpus.train[1:4], corpus.train[9:12]]).T.flatten())
