"""apps/simple_ml.py: MNIST parsing, the softmax loss and the two-layer network's SGD epoch,
all built on needle's autodiff and checked against hand-derived numpy gradients and torch."""
import math

import numpy as np
import pytest

import needle as ndl
from conftest import initial_weights, make_classification, write_idx_images, write_idx_labels
from gradcheck import gradcheck
from simple_ml import loss_err, nn_epoch, parse_mnist, softmax_loss


def one_hot(y, classes):
    encoded = np.zeros((len(y), classes))
    encoded[np.arange(len(y)), y] = 1
    return encoded


def numpy_loss(Z, y):
    Z = Z - Z.max(axis=1, keepdims=True)
    return float(np.mean(np.log(np.exp(Z).sum(axis=1)) - Z[np.arange(len(y)), y]))


def numpy_nn_step(X, y, W1, W2, lr):
    """One SGD step of the two-layer net, with the gradient derived by hand (hw0's formula)."""
    hidden = np.maximum(X @ W1, 0)
    logits = hidden @ W2
    probs = np.exp(logits - logits.max(axis=1, keepdims=True))
    probs /= probs.sum(axis=1, keepdims=True)
    G2 = (probs - one_hot(y, W2.shape[1])) / len(y)
    G1 = (G2 @ W2.T) * (hidden > 0)
    return W1 - lr * X.T @ G1, W2 - lr * hidden.T @ G2


# --- parse_mnist -----------------------------------------------------------------


@pytest.mark.hw1_parse_mnist
def test_parse_mnist_scales_and_flattens(idx_files):
    image_file, label_file, images, labels = idx_files
    X, y = parse_mnist(str(image_file), str(label_file))
    assert X.dtype == np.float32 and y.dtype == np.uint8
    assert X.shape == (25, 784) and y.shape == (25,)
    assert X.min() == 0.0 and X.max() == 1.0
    np.testing.assert_allclose(X, images.reshape(25, 784) / 255.0, rtol=1e-6)
    np.testing.assert_array_equal(y, labels)


@pytest.mark.hw1_parse_mnist
def test_parse_mnist_rejects_swapped_files(idx_files):
    image_file, label_file, _, _ = idx_files
    with pytest.raises(ValueError, match="magic"):
        parse_mnist(str(label_file), str(image_file))


@pytest.mark.hw1_parse_mnist
def test_parse_mnist_rejects_mismatched_counts(tmp_path):
    write_idx_images(tmp_path / "i.gz", np.zeros((5, 2, 2), dtype=np.uint8))
    write_idx_labels(tmp_path / "l.gz", np.zeros(4, dtype=np.uint8))
    with pytest.raises(ValueError, match="5 images.*4 labels"):
        parse_mnist(str(tmp_path / "i.gz"), str(tmp_path / "l.gz"))


# --- softmax_loss ----------------------------------------------------------------


@pytest.mark.hw1_softmax_loss
@pytest.mark.parametrize("batch, classes", [(1, 2), (7, 3), (50, 10)])
def test_softmax_loss_is_a_scalar_tensor_with_the_right_value(batch, classes):
    rng = np.random.default_rng(batch)
    Z = rng.standard_normal((batch, classes)).astype(np.float32) * 3
    y = rng.integers(0, classes, batch)
    loss = softmax_loss(ndl.Tensor(Z), ndl.Tensor(one_hot(y, classes).astype(np.float32)))
    assert isinstance(loss, ndl.Tensor) and loss.shape == ()
    assert float(loss.numpy()) == pytest.approx(numpy_loss(Z, y), rel=1e-5)


@pytest.mark.hw1_softmax_loss
def test_softmax_loss_of_uniform_logits_is_log_classes():
    loss = softmax_loss(ndl.Tensor(np.zeros((4, 10))), ndl.Tensor(one_hot([1, 2, 3, 4], 10)))
    assert float(loss.numpy()) == pytest.approx(math.log(10))


@pytest.mark.hw1_softmax_loss
def test_softmax_loss_gradient_is_softmax_minus_one_hot():
    rng = np.random.default_rng(4)
    Z, y = rng.standard_normal((6, 4)), rng.integers(0, 4, 6)
    logits = ndl.Tensor(Z)
    softmax_loss(logits, ndl.Tensor(one_hot(y, 4))).backward()
    probs = np.exp(Z) / np.exp(Z).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(logits.grad.numpy(), (probs - one_hot(y, 4)) / 6, rtol=1e-10)


@pytest.mark.hw1_softmax_loss
def test_softmax_loss_gradient_matches_central_differences():
    rng = np.random.default_rng(5)
    labels = one_hot(rng.integers(0, 5, 8), 5)
    gradcheck(lambda Z: softmax_loss(Z, ndl.Tensor(labels, requires_grad=False)), rng.standard_normal((8, 5)))


@pytest.mark.hw1_softmax_loss
def test_softmax_loss_matches_torch(torch):
    rng = np.random.default_rng(3)
    Z, y = rng.standard_normal((20, 6)), rng.integers(0, 6, 20)
    expected = torch.nn.functional.cross_entropy(torch.tensor(Z), torch.tensor(y))
    loss = softmax_loss(ndl.Tensor(Z), ndl.Tensor(one_hot(y, 6)))
    assert float(loss.numpy()) == pytest.approx(expected.item(), rel=1e-10)


# --- nn_epoch --------------------------------------------------------------------


@pytest.mark.hw1_nn_epoch
def test_nn_epoch_full_batch_step_matches_the_hand_derived_gradient():
    X, y = make_classification(40, 6, 3, seed=1)
    W1, W2 = initial_weights(6, 8, 3)
    expected_W1, expected_W2 = numpy_nn_step(X.astype(np.float64), y, W1.astype(np.float64), W2.astype(np.float64), 0.2)
    new_W1, new_W2 = nn_epoch(X, y, ndl.Tensor(W1), ndl.Tensor(W2), lr=0.2, batch=40)
    np.testing.assert_allclose(new_W1.numpy(), expected_W1, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(new_W2.numpy(), expected_W2, rtol=1e-4, atol=1e-6)


@pytest.mark.hw1_nn_epoch
def test_nn_epoch_steps_through_minibatches_in_order():
    # 53 examples with batch 10: five full minibatches, then one of 3, each a mean over its own size
    X, y = make_classification(53, 5, 4, seed=2)
    W1, W2 = initial_weights(5, 7, 4, seed=3)
    expected_W1, expected_W2 = W1.astype(np.float64), W2.astype(np.float64)
    for start in range(0, 53, 10):
        X_b, y_b = X[start : start + 10].astype(np.float64), y[start : start + 10]
        expected_W1, expected_W2 = numpy_nn_step(X_b, y_b, expected_W1, expected_W2, 0.5)
    new_W1, new_W2 = nn_epoch(X, y, ndl.Tensor(W1), ndl.Tensor(W2), lr=0.5, batch=10)
    np.testing.assert_allclose(new_W1.numpy(), expected_W1, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(new_W2.numpy(), expected_W2, rtol=1e-4, atol=1e-5)


@pytest.mark.hw1_nn_epoch
def test_nn_epoch_returns_fresh_float32_leaves():
    X, y = make_classification(30, 4, 3)
    W1, W2 = initial_weights(4, 5, 3)
    new_W1, new_W2 = nn_epoch(X, y, ndl.Tensor(W1), ndl.Tensor(W2))
    for new in (new_W1, new_W2):
        assert isinstance(new, ndl.Tensor) and new.dtype == np.float32
        assert new.is_leaf()  # no graph from the epoch hangs on to the weights
    assert new_W1.shape == (4, 5) and new_W2.shape == (5, 3)


@pytest.mark.hw1_nn_epoch
def test_nn_epoch_matches_torch(torch):
    X, y = make_classification(24, 5, 3, seed=4)
    W1, W2 = initial_weights(5, 6, 3, seed=5)
    t1, t2 = torch.tensor(W1, requires_grad=True), torch.tensor(W2, requires_grad=True)
    for start in range(0, 24, 8):
        logits = torch.relu(torch.tensor(X[start : start + 8]) @ t1) @ t2
        torch.nn.functional.cross_entropy(logits, torch.tensor(y[start : start + 8], dtype=torch.long)).backward()
        with torch.no_grad():
            t1 -= 0.3 * t1.grad
            t2 -= 0.3 * t2.grad
        t1.grad, t2.grad = None, None
    new_W1, new_W2 = nn_epoch(X, y, ndl.Tensor(W1), ndl.Tensor(W2), lr=0.3, batch=8)
    np.testing.assert_allclose(new_W1.numpy(), t1.detach().numpy(), rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(new_W2.numpy(), t2.detach().numpy(), rtol=1e-4, atol=1e-6)


@pytest.mark.hw1_nn_epoch
def test_nn_epoch_lowers_loss_and_error():
    X, y = make_classification(400, 20, 5, seed=6)
    W1, W2 = initial_weights(20, 32, 5, seed=7)
    W1, W2 = ndl.Tensor(W1), ndl.Tensor(W2)
    loss_before, err_before = loss_err(ndl.relu(ndl.Tensor(X) @ W1) @ W2, y)
    for _ in range(5):
        W1, W2 = nn_epoch(X, y, W1, W2, lr=0.2, batch=50)
    loss_after, err_after = loss_err(ndl.relu(ndl.Tensor(X) @ W1) @ W2, y)
    assert loss_after < 0.5 * loss_before and err_after < err_before


def test_loss_err_reports_mean_loss_and_error_rate():
    logits = np.array([[2.0, 0.0], [0.0, 2.0], [2.0, 0.0]])
    loss, err = loss_err(ndl.Tensor(logits), np.array([0, 1, 1]))
    assert err == pytest.approx(1 / 3)
    assert float(loss) == pytest.approx(numpy_loss(logits, np.array([0, 1, 1])))
