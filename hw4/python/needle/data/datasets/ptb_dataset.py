"""The Penn Treebank as word ids, and its arrangement into batches for truncated BPTT."""
import os

import numpy as np

from ...autograd import Tensor

__all__ = ["Dictionary", "Corpus", "batchify", "get_batch"]


class Dictionary(object):
    """
    Creates a dictionary from a list of words, mapping each word to a
    unique integer.
    Attributes:
    word2idx: dictionary mapping from a word to its unique ID
    idx2word: list of words in the dictionary, in the order they were added
        to the dictionary (i.e. each word only appears once in this list)
    """

    def __init__(self):
        self.word2idx = {}
        self.idx2word = []

    def add_word(self, word):
        """
        Input: word of type str
        If the word is not in the dictionary, adds the word to the dictionary
        and appends to the list of words.
        Returns the word's unique ID.
        """
        ### BEGIN YOUR SOLUTION
        if word not in self.word2idx:
            self.word2idx[word] = len(self.idx2word)
            self.idx2word.append(word)
        return self.word2idx[word]
        ### END YOUR SOLUTION

    def __len__(self):
        """
        Returns the number of unique words in the dictionary.
        """
        ### BEGIN YOUR SOLUTION
        return len(self.idx2word)
        ### END YOUR SOLUTION


class Corpus(object):
    """
    Creates corpus from train, and test txt files.

    `base_dir` holds `train.txt` and `test.txt` (`dlsys data fetch ptb` downloads them);
    one dictionary numbers the words of both, train first. `max_lines` reads only that many
    lines of each file (all when None).

    Example:
        >>> corpus = Corpus("data/ptb", max_lines=100)
        >>> train = batchify(corpus.train, batch_size=16, device=ndl.cpu(), dtype="float32")
    """

    def __init__(self, base_dir, max_lines=None):
        self.dictionary = Dictionary()
        self.train = self.tokenize(os.path.join(base_dir, "train.txt"), max_lines)
        self.test = self.tokenize(os.path.join(base_dir, "test.txt"), max_lines)

    def tokenize(self, path, max_lines=None):
        """
        Input:
        path - path to text file
        max_lines - maximum number of lines to read in
        Tokenizes a text file, first adding each word in the file to the dictionary,
        and then tokenizing the text file to a list of IDs. When adding words to the
        dictionary (and tokenizing the file content) '<eos>' should be appended to
        the end of each line in order to properly account for the end of the sentence.
        Output:
        ids: List of ids
        """
        if not os.path.isfile(path):
            raise FileNotFoundError(f"Corpus: no file {path}; `dlsys data fetch ptb` downloads the Penn Treebank")
        ### BEGIN YOUR SOLUTION
        ids = []
        with open(path) as f:
            for number, line in enumerate(f):
                if max_lines is not None and number >= max_lines:
                    break
                ids.extend(self.dictionary.add_word(word) for word in line.split() + ["<eos>"])
        return ids
        ### END YOUR SOLUTION


def batchify(data, batch_size, device, dtype):
    """
    Starting from sequential data, batchify arranges the dataset into columns.
    For instance, with the alphabet as the sequence and batch size 4, we'd get
    ┌ a g m s ┐
    │ b h n t │
    │ c i o u │
    │ d j p v │
    │ e k q w │
    └ f l r x ┘.
    Each column is treated as independent by the model, which means that the
    dependence of e. g. 'g' on 'f' cannot be learned, but allows more efficient
    batch processing.
    If the data cannot be evenly divided by the batch size, trailing data is dropped.
    Inputs:
    data - list of word ids
    batch_size - number of columns
    device, dtype - unused: the result stays numpy; get_batch makes the Tensors
    Returns the data arranged into batch_size columns (nbatch, batch_size)
    """
    if batch_size < 1 or len(data) < batch_size:
        raise ValueError(f"batchify: cannot arrange {len(data)} ids into {batch_size} columns")
    ### BEGIN YOUR SOLUTION
    nbatch = len(data) // batch_size
    return np.array(data[: nbatch * batch_size]).reshape(batch_size, nbatch).T
    ### END YOUR SOLUTION


def get_batch(batches, i, bptt, device=None, dtype=None):
    """
    get_batch subdivides the source data into chunks of length bptt.
    If source is equal to the example output of the batchify function, with
    a bptt-limit of 2, we'd get the following two Variables for i = 0:
    ┌ a g m s ┐ ┌ b h n t ┐
    └ b h n t ┘ └ c i o u ┘
    Note that despite the name of the function, the subdivison of data is not
    done along the batch dimension (i.e. dimension 1), since that was handled
    by the batchify function. The chunks are along dimension 0, corresponding
    to the seq_len dimension in the LSTM or RNN.
    Inputs:
    batches - numpy array returned from batchify function
    i - index
    bptt - Sequence length
    Returns:
    data - Tensor of shape (bptt, bs) with cached data as NDArray
    target - Tensor of shape (bptt*bs,) with cached data as NDArray
    The last chunk is shorter: its length is min(bptt, nbatch - 1 - i).
    """
    if not 0 <= i < batches.shape[0] - 1:
        raise ValueError(f"get_batch: i must be in [0, {batches.shape[0] - 1}) for {batches.shape[0]} rows, got {i}")
    ### BEGIN YOUR SOLUTION
    seq_len = min(bptt, batches.shape[0] - 1 - i)
    data = Tensor(batches[i : i + seq_len], device=device, dtype=dtype, requires_grad=False)
    target = Tensor(batches[i + 1 : i + 1 + seq_len].flatten(), device=device, dtype=dtype, requires_grad=False)
    return data, target
    ### END YOUR SOLUTION
