"""hw1: the softmax loss and a two-layer network trained with needle's automatic differentiation.

Run from the homework folder (`hw1/`), as the course's notebooks do; this file puts
`python/` on the path so that `import needle` finds this homework's needle.
"""
import gzip
import struct
import sys

import numpy as np

sys.path.append("python/")
import needle as ndl


def parse_mnist(image_filesname, label_filename):
    """Read an images and labels file in MNIST format.  See this page:
    http://yann.lecun.com/exdb/mnist/ for a description of the file format.

    Args:
        image_filesname (str): name of gzipped images file in MNIST format
        label_filename (str): name of gzipped labels file in MNIST format

    Returns:
        Tuple (X,y):
            X (numpy.ndarray[np.float32]): 2D numpy array containing the loaded
                data.  The dimensionality of the data should be
                (num_examples x input_dim) where 'input_dim' is the full
                dimension of the data, e.g., since MNIST images are 28x28, it
                will be 784.  Values should be of type np.float32, and the data
                should be normalized to have a minimum value of 0.0 and a
                maximum value of 1.0.

            y (numpy.ndarray[dtype=np.uint8]): 1D numpy array containing the
                labels of the examples.  Values should be of type np.uint8 and
                for MNIST will contain the values 0-9.

    Raises:
        ValueError: a file is not an idx file of the expected kind, is truncated,
            or the two files hold different numbers of examples.
    """
    ### BEGIN YOUR SOLUTION
    with gzip.open(image_filesname, "rb") as f:
        header = f.read(16)
        if len(header) < 16:
            raise ValueError(f"{image_filesname}: too short for an idx3 image header")
        magic, count, rows, cols = struct.unpack(">4I", header)
        if magic != 2051:
            raise ValueError(f"{image_filesname}: magic number {magic}, expected 2051 (idx3 images)")
        pixels = np.frombuffer(f.read(), dtype=np.uint8)
    if pixels.size != count * rows * cols:
        raise ValueError(
            f"{image_filesname}: header announces {count} images of {rows}x{cols} "
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
        raise ValueError(f"{image_filesname} holds {count} images but {label_filename} holds {label_count} labels")

    X = pixels.reshape(count, rows * cols).astype(np.float32) / np.float32(255.0)
    return X, y.copy()
    ### END YOUR SOLUTION


def softmax_loss(Z, y_one_hot):
    """Return softmax loss.  Note that for the purposes of this assignment,
    you don't need to worry about "nicely" scaling the numerical properties
    of the log-sum-exp computation, but can just compute this directly.

    Args:
        Z (ndl.Tensor[np.float32]): 2D Tensor of shape
            (batch_size, num_classes), containing the logit predictions for
            each class.
        y_one_hot (ndl.Tensor): 2D Tensor of shape (batch_size, num_classes)
            containing a 1 at the index of the true label of each example and
            zeros elsewhere.

    Returns:
        Average softmax loss over the sample. (ndl.Tensor[np.float32])
    """
    ### BEGIN YOUR SOLUTION
    batch_size = Z.shape[0]
    log_sum_exp = ndl.log(ndl.exp(Z).sum(axes=(1,)))
    true_class_logit = (Z * y_one_hot).sum(axes=(1,))
    return (log_sum_exp - true_class_logit).sum() / batch_size
    ### END YOUR SOLUTION


def nn_epoch(X, y, W1, W2, lr=0.1, batch=100):
    """Run a single epoch of SGD for a two-layer neural network defined by the
    weights W1 and W2 (with no bias terms):
        logits = ReLU(X * W1) * W2
    The function should use the step size lr, and the specified batch size (and
    again, without randomizing the order of X).

    Args:
        X (np.ndarray[np.float32]): 2D input array of size
            (num_examples x input_dim).
        y (np.ndarray[np.uint8]): 1D class label array of size (num_examples,)
        W1 (ndl.Tensor[np.float32]): 2D array of first layer weights, of shape
            (input_dim, hidden_dim)
        W2 (ndl.Tensor[np.float32]): 2D array of second layer weights, of shape
            (hidden_dim, num_classes)
        lr (float): step size (learning rate) for SGD
        batch (int): size of SGD mini-batch

    Returns:
        Tuple: (W1, W2)
            W1: ndl.Tensor[np.float32]
            W2: ndl.Tensor[np.float32]
    """
    ### BEGIN YOUR SOLUTION
    num_classes = W2.shape[1]
    for start in range(0, X.shape[0], batch):
        X_batch = ndl.Tensor(X[start : start + batch], requires_grad=False)
        labels = y[start : start + batch]
        y_one_hot = np.zeros((labels.shape[0], num_classes), dtype=X.dtype)
        y_one_hot[np.arange(labels.shape[0]), labels] = 1

        logits = ndl.relu(X_batch @ W1) @ W2
        loss = softmax_loss(logits, ndl.Tensor(y_one_hot, requires_grad=False))
        loss.backward()

        # Step on raw arrays: the new weights must not carry this batch's graph along.
        W1 = ndl.Tensor(W1.numpy() - lr * W1.grad.numpy(), dtype=W1.dtype)
        W2 = ndl.Tensor(W2.numpy() - lr * W2.grad.numpy(), dtype=W2.dtype)
    return W1, W2
    ### END YOUR SOLUTION


### CODE BELOW IS FOR ILLUSTRATION, YOU DO NOT NEED TO EDIT


def loss_err(h, y):
    """Helper function to compute both loss and error"""
    y_one_hot = np.zeros((y.shape[0], h.shape[-1]))
    y_one_hot[np.arange(y.size), y] = 1
    y_ = ndl.Tensor(y_one_hot)
    return softmax_loss(h, y_).numpy(), np.mean(h.numpy().argmax(axis=1) != y)
