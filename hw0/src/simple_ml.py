"""hw0: softmax regression and a two-layer network in plain numpy.

Everything here works on whole minibatches with matrix operations; the only
Python loop is over the minibatches of an epoch.
"""
import gzip
import struct

import numpy as np

try:
    from simple_ml_ext import softmax_regression_epoch_cpp
except ImportError:  # the C++ extension is built by `pip install -e .` at the repo root
    softmax_regression_epoch_cpp = None


def add(x, y):
    """A trivial function to check that the tests can find your code.

    Args:
        x (Python number or numpy array)
        y (Python number or numpy array)

    Return:
        Sum of x + y
    """
    ### BEGIN YOUR SOLUTION
    return x + y
    ### END YOUR SOLUTION


def parse_mnist(image_filename, label_filename):
    """Read images and labels from gzipped files in the MNIST idx format.

    Args:
        image_filename (str): gzipped idx3 file of uint8 images (magic 2051).
        label_filename (str): gzipped idx1 file of uint8 labels (magic 2049).

    Returns:
        Tuple (X, y):
            X (numpy.ndarray[np.float32]): 2D array of shape (num_examples, rows*cols),
                with values scaled to [0.0, 1.0] (the minimum possible pixel becomes
                0.0 and the maximum 1.0).
            y (numpy.ndarray[dtype=np.uint8]): 1D array of shape (num_examples,)
                with the class labels (0..9 for MNIST).

    Raises:
        ValueError: a file is not an idx file of the expected kind, is truncated,
            or the two files hold different numbers of examples.
    """
    ### BEGIN YOUR SOLUTION
    with gzip.open(image_filename, "rb") as f:
        header = f.read(16)
        if len(header) < 16:
            raise ValueError(f"{image_filename}: too short for an idx3 image header")
        magic, count, rows, cols = struct.unpack(">4I", header)
        if magic != 2051:
            raise ValueError(f"{image_filename}: magic number {magic}, expected 2051 (idx3 images)")
        pixels = np.frombuffer(f.read(), dtype=np.uint8)
    if pixels.size != count * rows * cols:
        raise ValueError(
            f"{image_filename}: header announces {count} images of {rows}x{cols} "
            f"({count * rows * cols} bytes), file holds {pixels.size} bytes"
        )

    with gzip.open(label_filename, "rb") as f:
        header = f.read(8)
        if len(header) < 8:
            raise ValueError(f"{label_filename}: too short for an idx1 label header")
        magic, label_count = struct.unpack(">2I", header)
        if magic != 2049:
            raise ValueError(f"{label_filename}: magic number {magic}, expected 2049 (idx1 labels)")
        y = np.frombuffer(f.read(), dtype=np.uint8)
    if y.size != label_count:
        raise ValueError(f"{label_filename}: header announces {label_count} labels, file holds {y.size}")
    if label_count != count:
        raise ValueError(f"{image_filename} holds {count} images but {label_filename} holds {label_count} labels")

    X = pixels.reshape(count, rows * cols).astype(np.float32) / np.float32(255.0)
    return X, y.copy()
    ### END YOUR SOLUTION


def softmax_loss(Z, y):
    """Average softmax (cross-entropy) loss over a batch.

    loss = mean_i( log(sum_j exp(Z[i, j])) - Z[i, y[i]] )

    Args:
        Z (np.ndarray[np.float32]): 2D array of shape (batch_size, num_classes)
            holding the logits of each class.
        y (np.ndarray[np.uint8]): 1D array of shape (batch_size,) with the true
            label of each example.

    Returns:
        Average softmax loss over the sample.
    """
    ### BEGIN YOUR SOLUTION
    Z = np.asarray(Z)
    z_max = Z.max(axis=1, keepdims=True)  # subtract the row max so exp cannot overflow
    log_sum_exp = np.log(np.exp(Z - z_max).sum(axis=1)) + z_max[:, 0]
    return np.mean(log_sum_exp - Z[np.arange(Z.shape[0]), y])
    ### END YOUR SOLUTION


def softmax_regression_epoch(X, y, theta, lr=0.1, batch=100):
    """One epoch of minibatch SGD for softmax regression, updating theta in place.

    For each minibatch (X_b, y_b) of m examples, in order:
        grad = X_b^T (softmax(X_b theta) - I_y) / m
        theta -= lr * grad
    where I_y is the one-hot encoding of y_b. The last minibatch may be smaller.

    Args:
        X (np.ndarray[np.float32]): 2D input array of size (num_examples x input_dim).
        y (np.ndarray[np.uint8]): 1D class label array of size (num_examples,).
        theta (np.ndarrray[np.float32]): 2D array of softmax regression parameters,
            of shape (input_dim, num_classes).
        lr (float): step size (learning rate) for SGD.
        batch (int): size of SGD minibatch.

    Returns:
        None
    """
    ### BEGIN YOUR SOLUTION
    for start in range(0, X.shape[0], batch):
        X_b, y_b = X[start:start + batch], y[start:start + batch]
        Z = X_b @ theta
        probs = np.exp(Z - Z.max(axis=1, keepdims=True))  # shifted: exp cannot overflow
        probs /= probs.sum(axis=1, keepdims=True)
        probs[np.arange(len(y_b)), y_b] -= 1  # softmax - I_y
        theta -= lr * (X_b.T @ probs) / len(y_b)
    ### END YOUR SOLUTION


def nn_epoch(X, y, W1, W2, lr=0.1, batch=100):
    """One epoch of minibatch SGD for a two-layer network, updating W1 and W2 in place.

    The network is  logits = ReLU(X W1) W2  with the softmax loss. For each
    minibatch of m examples, with Z1 = ReLU(X_b W1):
        G2 = softmax(Z1 W2) - I_y
        G1 = 1{Z1 > 0} * (G2 W2^T)
        W1 -= lr * X_b^T G1 / m
        W2 -= lr * Z1^T G2 / m

    Args:
        X (np.ndarray[np.float32]): 2D input array of size (num_examples x input_dim).
        y (np.ndarray[np.uint8]): 1D class label array of size (num_examples,).
        W1 (np.ndarray[np.float32]): 2D array of first layer weights, of shape
            (input_dim, hidden_dim).
        W2 (np.ndarray[np.float32]): 2D array of second layer weights, of shape
            (hidden_dim, num_classes).
        lr (float): step size (learning rate) for SGD.
        batch (int): size of SGD minibatch.

    Returns:
        None
    """
    ### BEGIN YOUR SOLUTION
    for start in range(0, X.shape[0], batch):
        X_b, y_b = X[start:start + batch], y[start:start + batch]
        Z1 = np.maximum(X_b @ W1, 0)
        Z2 = Z1 @ W2
        G2 = np.exp(Z2 - Z2.max(axis=1, keepdims=True))
        G2 /= G2.sum(axis=1, keepdims=True)
        G2[np.arange(len(y_b)), y_b] -= 1
        G1 = (Z1 > 0) * (G2 @ W2.T)
        W1 -= lr * (X_b.T @ G1) / len(y_b)
        W2 -= lr * (Z1.T @ G2) / len(y_b)
    ### END YOUR SOLUTION


### CODE BELOW IS FOR ILLUSTRATION, YOU DO NOT NEED TO EDIT


def loss_err(h, y):
    """Helper function to compute both loss and error"""
    return softmax_loss(h, y), np.mean(h.argmax(axis=1) != y)


def _print_header():
    print("| Epoch | Train Loss | Train Err | Test Loss | Test Err |")


def _print_row(epoch, train, test):
    print("|  {:>4} |    {:.5f} | {:.5f} |   {:.5f} | {:.5f} |".format(epoch, *train, *test))


def train_softmax(X_tr, y_tr, X_te, y_te, epochs=10, lr=0.5, batch=100, cpp=False):
    """Example function to fully train a softmax regression classifier.

    Prints a table with the loss and error of every epoch and returns theta.
    """
    theta = np.zeros((X_tr.shape[1], y_tr.max() + 1), dtype=np.float32)
    if cpp and softmax_regression_epoch_cpp is None:
        raise ImportError("simple_ml_ext is not built: run `pip install -e .` at the repository root")
    _print_header()
    for epoch in range(epochs):
        if not cpp:
            softmax_regression_epoch(X_tr, y_tr, theta, lr=lr, batch=batch)
        else:
            softmax_regression_epoch_cpp(X_tr, y_tr, theta, lr=lr, batch=batch)
        _print_row(epoch, loss_err(X_tr @ theta, y_tr), loss_err(X_te @ theta, y_te))
    return theta


def train_nn(X_tr, y_tr, X_te, y_te, hidden_dim=500, epochs=10, lr=0.5, batch=100):
    """Example function to train a two layer neural network.

    Prints a table with the loss and error of every epoch and returns (W1, W2).
    """
    n, k = X_tr.shape[1], y_tr.max() + 1
    np.random.seed(0)
    W1 = np.random.randn(n, hidden_dim).astype(np.float32) / np.sqrt(hidden_dim)
    W2 = np.random.randn(hidden_dim, k).astype(np.float32) / np.sqrt(k)
    _print_header()
    for epoch in range(epochs):
        nn_epoch(X_tr, y_tr, W1, W2, lr=lr, batch=batch)
        _print_row(
            epoch,
            loss_err(np.maximum(X_tr @ W1, 0) @ W2, y_tr),
            loss_err(np.maximum(X_te @ W1, 0) @ W2, y_te),
        )
    return W1, W2


if __name__ == "__main__":
    X_tr, y_tr = parse_mnist("data/train-images-idx3-ubyte.gz", "data/train-labels-idx1-ubyte.gz")
    X_te, y_te = parse_mnist("data/t10k-images-idx3-ubyte.gz", "data/t10k-labels-idx1-ubyte.gz")

    print("Training softmax regression")
    train_softmax(X_tr, y_tr, X_te, y_te, epochs=10, lr=0.1)

    print("\nTraining two layer neural network w/ 100 hidden units")
    train_nn(X_tr, y_tr, X_te, y_te, hidden_dim=100, epochs=20, lr=0.2)
