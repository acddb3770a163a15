// hw0: one epoch of softmax regression in C++, exposed to Python with pybind11.
//
// Built by the repository's one build (`pip install -e .` at the repo root), which
// writes the module `simple_ml_ext` next to this file.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <sstream>
#include <string>
#include <vector>

namespace py = pybind11;

void softmax_regression_epoch_cpp(const float *X, const unsigned char *y,
                                  float *theta, size_t m, size_t n, size_t k,
                                  float lr, size_t batch)
{
    /**
     * A C++ version of the softmax regression epoch code.  This should run a
     * single epoch over the data defined by X and y (and sizes m,n,k), and
     * modify theta in place.  Your function will probably want to allocate
     * (and then delete) some helper arrays to store the logits and gradients.
     *
     * Args:
     *     X (const float *): pointer to X data, of size m*n, stored in row
     *          major (C) format                                   // (m, n)
     *     y (const unsigned char *): pointer to y data, of size m // (m,)
     *     theta (float *): pointer to theta data, of size n*k, stored in row
     *          major (C) format                                   // (n, k)
     *     m (size_t): number of examples
     *     n (size_t): input dimension
     *     k (size_t): number of classes
     *     lr (float): learning rate / SGD step size
     *     batch (int): SGD minibatch size
     *
     * Returns:
     *     (None)
     */

    // BEGIN YOUR SOLUTION
    // Every inner loop runs along the input dimension n (784 for MNIST), not along
    // the few classes k, so that it is long, contiguous and vectorized: theta is
    // kept transposed while the minibatches are processed.
    std::vector<float> theta_t(k * n);   // (k, n): theta transposed
    std::vector<float> probs(batch * k); // (b, k): softmax(X_b theta) - I_y
    std::vector<float> grad_t(k * n);    // (k, n): (X_b^T probs)^T
    for (size_t p = 0; p < n; ++p)
        for (size_t j = 0; j < k; ++j) theta_t[j * n + p] = theta[p * k + j];

    for (size_t start = 0; start < m; start += batch) {
        const size_t b = std::min(batch, m - start);
        const float *X_b = X + start * n;

        for (size_t i = 0; i < b; ++i) {
            float *row = &probs[i * k];
            const float *x = X_b + i * n;
            for (size_t j = 0; j < k; ++j) {  // logits = X_b theta
                const float *w = &theta_t[j * n];
                float acc = 0.0f;
#pragma omp simd reduction(+ : acc)
                for (size_t p = 0; p < n; ++p) acc += x[p] * w[p];
                row[j] = acc;
            }
            // softmax, shifted by the row max, minus the one-hot label
            const float row_max = *std::max_element(row, row + k);
            float total = 0.0f;
            for (size_t j = 0; j < k; ++j) {
                row[j] = std::exp(row[j] - row_max);
                total += row[j];
            }
            for (size_t j = 0; j < k; ++j) row[j] /= total;
            row[y[start + i]] -= 1.0f;
        }

        // grad^T = probs^T X_b, then theta -= lr * grad / b
        std::fill(grad_t.begin(), grad_t.end(), 0.0f);
        for (size_t i = 0; i < b; ++i) {
            const float *x = X_b + i * n;
            for (size_t j = 0; j < k; ++j) {
                const float coeff = probs[i * k + j];
                float *g = &grad_t[j * n];
#pragma omp simd
                for (size_t p = 0; p < n; ++p) g[p] += coeff * x[p];
            }
        }
        const float step = lr / static_cast<float>(b);
#pragma omp simd
        for (size_t q = 0; q < k * n; ++q) theta_t[q] -= step * grad_t[q];
    }

    for (size_t p = 0; p < n; ++p)
        for (size_t j = 0; j < k; ++j) theta[p * k + j] = theta_t[j * n + p];
    // END YOUR SOLUTION
}


/**
 * This is the pybind11 code that wraps the function above.  It's only role is
 * wrap the function above in a Python module, and you do not need to make any
 * edits to the code. It checks every argument first, so that a wrong shape or
 * dtype is an exception naming it instead of a crash or a silent copy.
 */
namespace {

std::string shape_of(const py::array &a)
{
    std::ostringstream out;
    out << "(";
    for (py::ssize_t d = 0; d < a.ndim(); ++d) out << (d ? ", " : "") << a.shape(d);
    out << (a.ndim() == 1 ? ",)" : ")");
    return out.str();
}

void check_arguments(const py::array_t<float> &X, const py::array_t<unsigned char> &y,
                     const py::array &theta)
{
    if (!theta.dtype().is(py::dtype::of<float>()) || theta.ndim() != 2 ||
        !(theta.flags() & py::array::c_style) || !theta.writeable()) {
        throw py::type_error("theta must be a writeable, C-contiguous 2-D float32 array "
                             "(it is updated in place); got dtype " +
                             std::string(py::str(theta.dtype())) + " and shape " + shape_of(theta));
    }
    if (X.ndim() != 2) throw py::value_error("X must be 2-D (num_examples, input_dim), got shape " + shape_of(X));
    if (y.ndim() != 1) throw py::value_error("y must be 1-D (num_examples,), got shape " + shape_of(y));
    if (X.shape(0) != y.shape(0))
        throw py::value_error("X has shape " + shape_of(X) + " but y has shape " + shape_of(y) +
                              ": they need the same number of examples");
    if (X.shape(1) != theta.shape(0))
        throw py::value_error("X has shape " + shape_of(X) + " but theta has shape " + shape_of(theta) +
                              ": theta needs one row per input dimension");
    const unsigned char *labels = y.data();
    for (py::ssize_t i = 0; i < y.shape(0); ++i) {
        if (labels[i] >= theta.shape(1))
            throw py::value_error("y[" + std::to_string(i) + "] = " + std::to_string(labels[i]) +
                                  " is not a class of theta with shape " + shape_of(theta));
    }
}

}  // namespace

PYBIND11_MODULE(simple_ml_ext, m)
{
    m.doc() = "hw0: softmax regression epoch in C++";
    m.def(
        "softmax_regression_epoch_cpp",
        [](py::array_t<float, py::array::c_style | py::array::forcecast> X,
           py::array_t<unsigned char, py::array::c_style | py::array::forcecast> y,
           py::array theta, float lr, int batch) {
            if (batch < 1) throw py::value_error("batch must be at least 1, got " + std::to_string(batch));
            check_arguments(X, y, theta);
            float *theta_data = static_cast<float *>(theta.mutable_data());
            const size_t m_ = X.shape(0), n = X.shape(1), k = theta.shape(1);
            py::gil_scoped_release release;
            softmax_regression_epoch_cpp(X.data(), y.data(), theta_data, m_, n, k, lr,
                                         static_cast<size_t>(batch));
        },
        py::arg("X"), py::arg("y"), py::arg("theta"), py::arg("lr") = 0.1f, py::arg("batch") = 100,
        "One epoch of minibatch SGD for softmax regression; updates theta in place.");
}
