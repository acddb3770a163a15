"""The two models hw4 trains: ResNet9 on CIFAR-10 and a word-level LanguageModel on the Penn
Treebank (an RNN, an LSTM or a Transformer between an embedding and a linear decoder).

    from models import ResNet9, LanguageModel
    model = ResNet9(device=ndl.cpu())
    logits = model(images)                      # (N, 3, 32, 32) -> (N, 10)
"""
import sys

sys.path.append("./python")
import needle as ndl
import needle.nn as nn
import numpy as np

np.random.seed(0)

SEQ_MODELS = ("rnn", "lstm", "transformer")


def ConvBN(a, b, k, s, device=None, dtype="float32"):
    """Conv(a -> b channels, kernel k, stride s), then BatchNorm2d(b), then ReLU."""
    ### BEGIN YOUR SOLUTION
    return nn.Sequential(
        nn.Conv(a, b, k, stride=s, device=device, dtype=dtype),
        nn.BatchNorm2d(b, device=device, dtype=dtype),
        nn.ReLU(),
    )
    ### END YOUR SOLUTION


class ResNet9(ndl.nn.Module):
    """A small residual convolutional network for 32 x 32 colour images (431,946 parameters):

        ConvBN(3, 16, 7, 4) -> ConvBN(16, 32, 3, 2)
        -> Residual(ConvBN(32, 32, 3, 1) -> ConvBN(32, 32, 3, 1))
        -> ConvBN(32, 64, 3, 2) -> ConvBN(64, 128, 3, 2)
        -> Residual(ConvBN(128, 128, 3, 1) -> ConvBN(128, 128, 3, 1))
        -> Flatten -> Linear(128, 128) -> ReLU -> Linear(128, 10)

    where ConvBN(a, b, k, s) is Conv(a, b, k, stride=s), BatchNorm2d(b), ReLU. The layers are
    created in that order, so a seeded model draws the course's weights.

    Shape: x is (N, 3, 32, 32); the logits are (N, 10).

    Example:
        >>> model = ResNet9(device=ndl.cpu())
        >>> model(ndl.Tensor(numpy.zeros((2, 3, 32, 32), dtype="float32"))).shape
        (2, 10)
    """

    def __init__(self, device=None, dtype="float32"):
        super().__init__()
        ### BEGIN YOUR SOLUTION
        self.model = nn.Sequential(
            ConvBN(3, 16, 7, 4, device, dtype),
            ConvBN(16, 32, 3, 2, device, dtype),
            nn.Residual(nn.Sequential(ConvBN(32, 32, 3, 1, device, dtype), ConvBN(32, 32, 3, 1, device, dtype))),
            ConvBN(32, 64, 3, 2, device, dtype),
            ConvBN(64, 128, 3, 2, device, dtype),
            nn.Residual(nn.Sequential(ConvBN(128, 128, 3, 1, device, dtype), ConvBN(128, 128, 3, 1, device, dtype))),
            nn.Flatten(),
            nn.Linear(128, 128, device=device, dtype=dtype),
            nn.ReLU(),
            nn.Linear(128, 10, device=device, dtype=dtype),
        )
        ### END YOUR SOLUTION

    def forward(self, x):
        if len(x.shape) != 4 or tuple(x.shape[1:]) != (3, 32, 32):
            raise ValueError(f"ResNet9: expected images of shape (N, 3, 32, 32), got shape {x.shape}")
        ### BEGIN YOUR SOLUTION
        return self.model(x)
        ### END YOUR SOLUTION


class LanguageModel(nn.Module):
    """Next-word prediction: an embedding, a sequence model, and a linear decoder to word scores.

        logits = Linear(seq_model(Embedding(x), h))

    Args:
        embedding_size: features of each word vector.
        output_size: size of the dictionary (words in and scores out).
        hidden_size: features of the RNN/LSTM hidden state, or the width of the Transformer's MLP.
        num_layers: layers of the sequence model (default 1).
        seq_model: "rnn", "lstm" or "transformer" (default "rnn").
        seq_len: the longest sequence the Transformer's positional embedding covers (default 40).

    Layers are created in this order: nn.Embedding(output_size, embedding_size); nn.RNN or nn.LSTM
    (embedding_size, hidden_size, num_layers), or nn.Transformer(embedding_size, hidden_size,
    num_layers, sequence_len=seq_len); nn.Linear to output_size, from hidden_size (embedding_size
    for the Transformer, whose output keeps the input's width).

    Shape: x is (seq_len, bs) word ids; h is the sequence model's state: (num_layers, bs,
    hidden_size) for the RNN, a pair (h0, c0) of those for the LSTM, None to start from zeros.
    Returns (logits of shape (seq_len * bs, output_size), the new h).

    Example:
        >>> model = LanguageModel(30, 1000, 50, seq_model="lstm")
        >>> logits, (h, c) = model(ndl.Tensor(numpy.zeros((20, 4))))
        >>> logits.shape, h.shape
        ((80, 1000), (1, 4, 50))
    """

    def __init__(self, embedding_size, output_size, hidden_size, num_layers=1,
                 seq_model="rnn", seq_len=40, device=None, dtype="float32"):
        super(LanguageModel, self).__init__()
        if seq_model not in SEQ_MODELS:
            raise ValueError(f"LanguageModel: unknown seq_model {seq_model!r}, choose one of {SEQ_MODELS}")
        ### BEGIN YOUR SOLUTION
        self.embedding = nn.Embedding(output_size, embedding_size, device=device, dtype=dtype)
        if seq_model == "rnn":
            self.seq_model = nn.RNN(embedding_size, hidden_size, num_layers, device=device, dtype=dtype)
        elif seq_model == "lstm":
            self.seq_model = nn.LSTM(embedding_size, hidden_size, num_layers, device=device, dtype=dtype)
        else:
            self.seq_model = nn.Transformer(embedding_size, hidden_size, num_layers, device=device, dtype=dtype,
                                            sequence_len=seq_len)
            hidden_size = embedding_size  # the Transformer's output keeps the embedding's width
        self.linear = nn.Linear(hidden_size, output_size, device=device, dtype=dtype)
        ### END YOUR SOLUTION

    def forward(self, x, h=None):
        """Return (logits (seq_len * bs, output_size), h) for word ids x (seq_len, bs)."""
        if len(x.shape) != 2:
            raise ValueError(f"LanguageModel: expected word ids of shape (seq_len, bs), got shape {x.shape}")
        ### BEGIN YOUR SOLUTION
        out, h = self.seq_model(self.embedding(x), h)
        seq_len, batch, features = out.shape
        return self.linear(out.reshape((seq_len * batch, features))), h
        ### END YOUR SOLUTION
