"""Public tests for hw0. Run them from hw0/ with `python -m pytest` (or `dlsys test hw0`).

The oracles are independent of the code under test: explicit loops, central
finite differences, and PyTorch when it is installed.
"""
import math

import numpy as np
import pytest

import simple_ml
from conftest import initial_weights, make_classification, write_idx_images, write_idx_labels
from simple_ml import add, loss_err, nn_epoch, parse_mnist, softmax_loss, softmax_regression_epoch

try:
    import simple_ml_ext
except ImportError:
    simple_ml_ext = None


def numerical_gradient(f, x, eps=1e-6):
    """Central differences of the scalar function f at x (float64), one coordinate at a time."""
    x = x.astype(np.float64)
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        original = x[index]
        x[index] = original + eps
        plus = f(x)
        x[index] = original - eps
        minus = f(x)
        x[index] = original
        grad[index] = (plus - minus) / (2 * eps)
    return grad


def reference_loss(Z, y):
    """Softmax loss written the slow, obvious way, in float64."""
    total = 0.0
    for row, label in zip(np.asarray(Z, dtype=np.float64), y):
        top = row.max()
        total += top + math.log(sum(math.exp(z - top) for z in row)) - row[label]
    return total / len(y)


# --- add ---------------------------------------------------------------------

@pytest.mark.hw0_add
def test_add_numbers_and_arrays():
    assert add(5, 6) == 11
    assert add(3.2, 1.0) == pytest.approx(4.2)
    assert type(add(4.0, 4)) is float
    np.testing.assert_array_equal(add(np.array([1, 2]), np.array([5, 6])), np.array([6, 8]))


# --- parse_mnist ---------------------------------------------------------------

@pytest.mark.hw0_parse_mnist
def test_parse_mnist_shapes_dtypes_and_scaling(idx_files):
    image_file, label_file, images, labels = idx_files
    X, y = parse_mnist(str(image_file), str(label_file))
    assert X.dtype == np.float32 and y.dtype == np.uint8
    assert X.shape == (25, 784) and y.shape == (25,)
    assert X.min() == 0.0 and X.max() == 1.0
    np.testing.assert_allclose(X, images.reshape(25, 784) / 255.0, rtol=1e-6)
    np.testing.assert_array_equal(y, labels)


@pytest.mark.hw0_parse_mnist
def test_parse_mnist_non_square_images(tmp_path):
    images = np.arange(4 * 3 * 5, dtype=np.uint8).reshape(4, 3, 5)
    write_idx_images(tmp_path / "i.gz", images)
    write_idx_labels(tmp_path / "l.gz", np.array([3, 1, 4, 1]))
    X, y = parse_mnist(str(tmp_path / "i.gz"), str(tmp_path / "l.gz"))
    assert X.shape == (4, 15)
    np.testing.assert_allclose(X[2], images[2].ravel() / 255.0, rtol=1e-6)
    np.testing.assert_array_equal(y, [3, 1, 4, 1])


@pytest.mark.hw0_parse_mnist
def test_parse_mnist_rejects_swapped_files(idx_files):
    image_file, label_file, _, _ = idx_files
    with pytest.raises(ValueError, match="magic"):
        parse_mnist(str(label_file), str(image_file))


@pytest.mark.hw0_parse_mnist
def test_parse_mnist_rejects_mismatched_counts(tmp_path):
    write_idx_images(tmp_path / "i.gz", np.zeros((5, 2, 2), dtype=np.uint8))
    write_idx_labels(tmp_path / "l.gz", np.zeros(4, dtype=np.uint8))
    with pytest.raises(ValueError, match="5 images.*4 labels"):
        parse_mnist(str(tmp_path / "i.gz"), str(tmp_path / "l.gz"))


@pytest.mark.hw0_parse_mnist
def test_parse_mnist_rejects_truncated_images(tmp_path):
    import gzip
    import struct
    with gzip.open(tmp_path / "i.gz", "wb") as f:
        f.write(struct.pack(">4I", 2051, 10, 28, 28) + bytes(100))
    write_idx_labels(tmp_path / "l.gz", np.zeros(10, dtype=np.uint8))
    with pytest.raises(ValueError, match="10 images"):
        parse_mnist(str(tmp_path / "i.gz"), str(tmp_path / "l.gz"))


# --- softmax_loss --------------------------------------------------------------

@pytest.mark.hw0_softmax_loss
@pytest.mark.parametrize("batch, classes", [(1, 2), (7, 3), (50, 10)])
def test_softmax_loss_matches_explicit_formula(batch, classes):
    rng = np.random.default_rng(batch)
    Z = rng.standard_normal((batch, classes)).astype(np.float32) * 3
    y = rng.integers(0, classes, batch).astype(np.uint8)
    assert softmax_loss(Z, y) == pytest.approx(reference_loss(Z, y), rel=1e-5)


@pytest.mark.hw0_softmax_loss
def test_softmax_loss_of_uniform_logits_is_log_classes():
    assert softmax_loss(np.zeros((4, 10), dtype=np.float32), np.arange(4)) == pytest.approx(math.log(10), rel=1e-6)


@pytest.mark.hw0_softmax_loss
def test_softmax_loss_is_stable_for_large_logits():
    Z = np.array([[1000.0, 0.0], [0.0, 1000.0]], dtype=np.float32)
    loss = softmax_loss(Z, np.array([0, 0], dtype=np.uint8))
    assert np.isfinite(loss) and loss == pytest.approx(500.0, rel=1e-5)


@pytest.mark.hw0_softmax_loss
def test_softmax_loss_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    Z = rng.standard_normal((20, 6)).astype(np.float32)
    y = rng.integers(0, 6, 20).astype(np.uint8)
    expected = torch.nn.functional.cross_entropy(torch.tensor(Z), torch.tensor(y, dtype=torch.long))
    assert softmax_loss(Z, y) == pytest.approx(expected.item(), rel=1e-5)


# --- softmax_regression_epoch ----------------------------------------------------

def softmax_regression_loss(X, y):
    return lambda theta: reference_loss(X.astype(np.float64) @ theta, y)


@pytest.mark.hw0_softmax_regression
@pytest.mark.parametrize("num_examples, input_dim, classes", [(12, 4, 3), (30, 6, 5)])
def test_softmax_regression_full_batch_step_is_a_gradient_step(num_examples, input_dim, classes):
    X, y = make_classification(num_examples, input_dim, classes, seed=num_examples)
    theta = np.random.default_rng(0).standard_normal((input_dim, classes)).astype(np.float32) * 0.1
    expected = theta - 0.3 * numerical_gradient(softmax_regression_loss(X, y), theta)
    softmax_regression_epoch(X, y, theta, lr=0.3, batch=num_examples)
    np.testing.assert_allclose(theta, expected, rtol=1e-4, atol=1e-6)


@pytest.mark.hw0_softmax_regression
def test_softmax_regression_epoch_steps_through_minibatches_in_order():
    # 53 examples with batch 10: five full minibatches, then one of 3, each a mean over its own size
    X, y = make_classification(53, 7, 4, seed=5)
    theta = np.zeros((7, 4), dtype=np.float32)
    expected = theta.astype(np.float64)
    for start in range(0, 53, 10):
        X_b, y_b = X[start:start + 10], y[start:start + 10]
        expected -= 0.5 * numerical_gradient(softmax_regression_loss(X_b, y_b), expected)
    softmax_regression_epoch(X, y, theta, lr=0.5, batch=10)
    np.testing.assert_allclose(theta, expected, rtol=1e-4, atol=1e-6)


@pytest.mark.hw0_softmax_regression
def test_softmax_regression_updates_theta_in_place():
    X, y = make_classification(20, 5, 3)
    theta = np.zeros((5, 3), dtype=np.float32)
    same_object = theta
    assert softmax_regression_epoch(X, y, theta, lr=0.1, batch=5) is None
    assert same_object is theta and np.abs(theta).sum() > 0
    assert theta.dtype == np.float32


@pytest.mark.hw0_softmax_regression
def test_softmax_regression_matches_torch_autograd():
    torch = pytest.importorskip("torch")
    X, y = make_classification(16, 5, 4, seed=9)
    theta = np.random.default_rng(1).standard_normal((5, 4)).astype(np.float32)
    t = torch.tensor(theta, requires_grad=True)
    torch.nn.functional.cross_entropy(torch.tensor(X) @ t, torch.tensor(y, dtype=torch.long)).backward()
    expected = theta - 0.2 * t.grad.numpy()
    softmax_regression_epoch(X, y, theta, lr=0.2, batch=16)
    np.testing.assert_allclose(theta, expected, rtol=1e-5, atol=1e-6)


@pytest.mark.hw0_softmax_regression
def test_softmax_regression_lowers_the_loss():
    X, y = make_classification(300, 20, 5, seed=2)
    theta = np.zeros((20, 5), dtype=np.float32)
    before = softmax_loss(X @ theta, y)
    for _ in range(5):
        softmax_regression_epoch(X, y, theta, lr=0.5, batch=50)
    assert softmax_loss(X @ theta, y) < 0.5 * before


# --- nn_epoch --------------------------------------------------------------------

def two_layer_loss(X, y, W1=None, W2=None):
    """The network's loss as a function of whichever weight matrix is left free."""
    X = X.astype(np.float64)
    if W2 is not None:
        return lambda w1: reference_loss(np.maximum(X @ w1, 0) @ W2, y)
    return lambda w2: reference_loss(np.maximum(X @ W1, 0) @ w2, y)


@pytest.mark.hw0_nn
def test_nn_full_batch_step_is_a_gradient_step():
    X, y = make_classification(15, 6, 3, seed=4)
    W1, W2 = initial_weights(6, 8, 3, seed=4)
    expected_W1 = W1 - 0.2 * numerical_gradient(two_layer_loss(X, y, W2=W2.astype(np.float64)), W1)
    expected_W2 = W2 - 0.2 * numerical_gradient(two_layer_loss(X, y, W1=W1.astype(np.float64)), W2)
    nn_epoch(X, y, W1, W2, lr=0.2, batch=15)
    np.testing.assert_allclose(W1, expected_W1, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(W2, expected_W2, rtol=1e-4, atol=1e-5)


@pytest.mark.hw0_nn
def test_nn_epoch_steps_through_minibatches_in_order():
    X, y = make_classification(23, 5, 3, seed=6)
    W1, W2 = initial_weights(5, 7, 3, seed=6)
    expected_W1, expected_W2 = W1.astype(np.float64), W2.astype(np.float64)
    for start in range(0, 23, 10):  # 10, 10, then a partial minibatch of 3
        X_b, y_b = X[start:start + 10], y[start:start + 10]
        grad_W1 = numerical_gradient(two_layer_loss(X_b, y_b, W2=expected_W2), expected_W1)
        grad_W2 = numerical_gradient(two_layer_loss(X_b, y_b, W1=expected_W1), expected_W2)
        expected_W1, expected_W2 = expected_W1 - 0.1 * grad_W1, expected_W2 - 0.1 * grad_W2
    nn_epoch(X, y, W1, W2, lr=0.1, batch=10)
    np.testing.assert_allclose(W1, expected_W1, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(W2, expected_W2, rtol=1e-4, atol=1e-5)


@pytest.mark.hw0_nn
def test_nn_epoch_matches_torch_autograd():
    torch = pytest.importorskip("torch")
    X, y = make_classification(12, 4, 3, seed=8)
    W1, W2 = initial_weights(4, 6, 3, seed=8)
    t1, t2 = torch.tensor(W1, requires_grad=True), torch.tensor(W2, requires_grad=True)
    logits = torch.relu(torch.tensor(X) @ t1) @ t2
    torch.nn.functional.cross_entropy(logits, torch.tensor(y, dtype=torch.long)).backward()
    expected_W1, expected_W2 = W1 - 0.1 * t1.grad.numpy(), W2 - 0.1 * t2.grad.numpy()
    nn_epoch(X, y, W1, W2, lr=0.1, batch=12)
    np.testing.assert_allclose(W1, expected_W1, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(W2, expected_W2, rtol=1e-5, atol=1e-6)


@pytest.mark.hw0_nn
def test_nn_epoch_updates_in_place_and_lowers_the_loss():
    X, y = make_classification(400, 20, 5, seed=3)
    W1, W2 = initial_weights(20, 32, 5, seed=3)
    ids = id(W1), id(W2)
    before = softmax_loss(np.maximum(X @ W1, 0) @ W2, y)
    for _ in range(5):
        assert nn_epoch(X, y, W1, W2, lr=0.2, batch=50) is None
    assert (id(W1), id(W2)) == ids
    assert softmax_loss(np.maximum(X @ W1, 0) @ W2, y) < 0.5 * before


# --- loss_err and the training loops -----------------------------------------------

@pytest.mark.hw0_softmax_loss
def test_loss_err():
    h = np.array([[2.0, 1.0, 0.0], [0.0, 3.0, 0.0], [1.0, 0.0, 0.5], [0.0, 0.0, 4.0]], dtype=np.float32)
    y = np.array([0, 1, 2, 1], dtype=np.uint8)
    loss, err = loss_err(h, y)
    assert loss == pytest.approx(reference_loss(h, y), rel=1e-6)
    assert err == pytest.approx(0.5)


@pytest.mark.hw0_softmax_regression
def test_train_softmax_prints_an_epoch_table_and_learns(capsys):
    X, y = make_classification(500, 30, 4, seed=11)
    theta = simple_ml.train_softmax(X[:400], y[:400], X[400:], y[400:], epochs=3, lr=0.5, batch=50)
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].split("|")[1:-1] == [" Epoch ", " Train Loss ", " Train Err ", " Test Loss ", " Test Err "]
    assert len(lines) == 4 and all(line.startswith("|") for line in lines)
    assert loss_err(X[400:] @ theta, y[400:])[1] < 0.1


@pytest.mark.hw0_nn
def test_train_nn_prints_an_epoch_table_and_learns(capsys):
    X, y = make_classification(500, 30, 4, seed=12)
    W1, W2 = simple_ml.train_nn(X[:400], y[:400], X[400:], y[400:], hidden_dim=50, epochs=3, lr=0.2, batch=50)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 4 and "Test Err" in lines[0]
    assert loss_err(np.maximum(X[400:] @ W1, 0) @ W2, y[400:])[1] < 0.1


# --- the C++ epoch -------------------------------------------------------------------

@pytest.fixture
def ext():
    if simple_ml_ext is None:
        pytest.fail("simple_ml_ext is not built: run `pip install -e .` at the repository root")
    return simple_ml_ext


@pytest.mark.hw0_cpp
@pytest.mark.parametrize(
    "num_examples, input_dim, classes, batch",
    [(50, 5, 3, 10), (53, 7, 4, 10), (100, 20, 10, 100), (7, 3, 2, 50), (1, 4, 2, 1)],
)
def test_cpp_epoch_matches_numpy(ext, num_examples, input_dim, classes, batch):
    X, y = make_classification(num_examples, input_dim, classes, seed=num_examples)
    theta_numpy = np.random.default_rng(2).standard_normal((input_dim, classes)).astype(np.float32) * 0.1
    theta_cpp = theta_numpy.copy()
    softmax_regression_epoch(X, y, theta_numpy, lr=0.3, batch=batch)
    assert ext.softmax_regression_epoch_cpp(X, y, theta_cpp, lr=0.3, batch=batch) is None
    np.testing.assert_allclose(theta_cpp, theta_numpy, rtol=1e-5, atol=1e-6)


@pytest.mark.hw0_cpp
def test_cpp_epoch_full_batch_step_is_a_gradient_step(ext):
    X, y = make_classification(10, 4, 3, seed=21)
    theta = np.zeros((4, 3), dtype=np.float32)
    expected = theta - 0.4 * numerical_gradient(softmax_regression_loss(X, y), theta)
    ext.softmax_regression_epoch_cpp(X, y, theta, lr=0.4, batch=10)
    np.testing.assert_allclose(theta, expected, rtol=1e-4, atol=1e-6)


@pytest.mark.hw0_cpp
def test_cpp_training_reproduces_numpy_training(ext, capsys):
    X, y = make_classification(300, 16, 4, seed=13)
    theta_numpy = simple_ml.train_softmax(X[:200], y[:200], X[200:], y[200:], epochs=2, lr=0.2, batch=50)
    numpy_table = capsys.readouterr().out
    theta_cpp = simple_ml.train_softmax(X[:200], y[:200], X[200:], y[200:], epochs=2, lr=0.2, batch=50, cpp=True)
    assert capsys.readouterr().out == numpy_table
    np.testing.assert_allclose(theta_cpp, theta_numpy, rtol=1e-5, atol=1e-6)


@pytest.mark.hw0_cpp
def test_cpp_rejects_a_theta_it_cannot_update_in_place(ext):
    X, y = make_classification(10, 4, 3)
    with pytest.raises(TypeError, match="float32.*float64"):
        ext.softmax_regression_epoch_cpp(X, y, np.zeros((4, 3)), lr=0.1, batch=5)
    with pytest.raises(TypeError, match="C-contiguous"):
        ext.softmax_regression_epoch_cpp(X, y, np.zeros((4, 3), dtype=np.float32, order="F"), lr=0.1, batch=5)


@pytest.mark.hw0_cpp
def test_cpp_names_both_shapes_on_mismatch(ext):
    X, y = make_classification(10, 4, 3)
    with pytest.raises(ValueError, match=r"\(10, 4\).*\(5, 3\)"):
        ext.softmax_regression_epoch_cpp(X, y, np.zeros((5, 3), dtype=np.float32), lr=0.1, batch=5)
    with pytest.raises(ValueError, match=r"\(10, 4\).*\(9,\)"):
        ext.softmax_regression_epoch_cpp(X, y[:9], np.zeros((4, 3), dtype=np.float32), lr=0.1, batch=5)


@pytest.mark.hw0_cpp
def test_cpp_rejects_labels_outside_theta_and_bad_batch(ext):
    X, y = make_classification(10, 4, 3)
    y[7] = 3
    with pytest.raises(ValueError, match=r"y\[7\] = 3"):
        ext.softmax_regression_epoch_cpp(X, y, np.zeros((4, 3), dtype=np.float32), lr=0.1, batch=5)
    with pytest.raises(ValueError, match="batch"):
        ext.softmax_regression_epoch_cpp(X, y, np.zeros((4, 4), dtype=np.float32), lr=0.1, batch=0)
