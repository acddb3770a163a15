// The CUDA backend of needle's NDArray: the flat kernel table of
// python/needle/backend_ndarray/ndarray_backend_numpy.py (the spec every backend is tested
// against), over float32 buffers in GPU memory.
//
// Built by the repository's CMake (dlsys_cuda_module in cmake/dlsys_modules.cmake): nvcc -O3
// for sm_80 and sm_90, the CUDA runtime linked statically, into
// python/needle/backend_ndarray/ndarray_backend_cuda*.so. The module imports on a machine
// without a GPU; there Array(...) raises RuntimeError, which cuda() reads as "disabled".
// The same build by hand, from the homework folder:
//   nvcc -O3 -std=c++17 -shared -Xcompiler -fPIC \
//     -gencode arch=compute_80,code=sm_80 -gencode arch=compute_90,code=sm_90 \
//     $(python -m pybind11 --includes) src/ndarray_backend_cuda.cu \
//     -o python/needle/backend_ndarray/ndarray_backend_cuda$(python3-config --extension-suffix) -lcudart_static
// Never add --use_fast_math: expf, logf, tanhf and division must be the accurate ones.
//
// Conventions, as in the spec: sizes, shapes, strides and offsets count elements; strides
// may be negative (flip); every buffer is float32; `out` is written, never read (except
// through a setitem view). Kernels run on the default stream, so they run in call order and
// to_numpy's copy waits for them. A bad argument raises ValueError; a failed CUDA call
// raises RuntimeError naming the function and CUDA's error. A fault inside a kernel (an
// illegal address) is reported by the next CUDA call, which may belong to a later function:
// set NEEDLE_CUDA_SYNC=1 to wait after every launch and blame the kernel that faulted.
//
// The course hands this file out with every solution region emptied. Given: the CudaArray
// buffer, error checking, launch helpers, argument checks, fill, to_numpy, from_numpy and
// the module table. Students write: compact and the setitems, the elementwise and scalar
// ops, the reductions and matmul, with the kernels they launch.
#include <cuda_runtime.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

namespace needle {
namespace cuda {

namespace py = pybind11;

typedef float scalar_t;
const size_t ELEM_SIZE = sizeof(scalar_t);

// ---------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------

// Raise RuntimeError "<what>: <CUDA error name>: <CUDA error text>" if `status` is a failure.
void CheckCuda(cudaError_t status, const std::string &what)
{
    if (status == cudaSuccess)
        return;
    // Reset the runtime's last-error slot: this failure is reported now, and must not be
    // reported again by the launch check of the next, unrelated kernel.
    cudaGetLastError();
    throw std::runtime_error(what + ": " + cudaGetErrorName(status) + ": " + cudaGetErrorString(status));
}

// NEEDLE_CUDA_SYNC set (and not "0"): wait for every kernel right after its launch.
bool SyncAfterLaunch()
{
    static const bool sync = [] {
        const char *value = std::getenv("NEEDLE_CUDA_SYNC");
        return value != nullptr && *value != '\0' && std::string(value) != "0";
    }();
    return sync;
}

// Call right after a launch: a bad launch configuration raises here, naming `fn`.
void CheckLaunch(const char *fn)
{
    CheckCuda(cudaGetLastError(), std::string(fn) + ": kernel launch");
    if (SyncAfterLaunch())
        CheckCuda(cudaDeviceSynchronize(), std::string(fn) + ": kernel");
}

// ---------------------------------------------------------------------------------------
// The buffer
// ---------------------------------------------------------------------------------------

// `size` float32 values in GPU memory, freed with the Python object. cudaMalloc aligns to
// 256 bytes, so every buffer may be read as float4.
struct CudaArray {
    explicit CudaArray(size_t size) : size(size)
    {
        if (size > SIZE_MAX / ELEM_SIZE)
            throw std::invalid_argument("Array: size " + std::to_string(size) + " is too large");
        // An empty array still allocates one element: it probes the GPU like Array(1) does,
        // and has an address of its own like every other array.
        CheckCuda(cudaMalloc(&ptr, std::max<size_t>(size, 1) * ELEM_SIZE),
                  "Array(" + std::to_string(size) + "): cudaMalloc");
    }
    ~CudaArray()
    {
        if (ptr != nullptr && cudaFree(ptr) != cudaSuccess)
            cudaGetLastError();  // a destructor cannot raise (e.g. the runtime already unloaded at exit)
    }
    CudaArray(const CudaArray &) = delete;
    CudaArray &operator=(const CudaArray &) = delete;

    size_t ptr_as_int() const { return reinterpret_cast<size_t>(ptr); }

    scalar_t *ptr = nullptr;
    size_t size;
};

// ---------------------------------------------------------------------------------------
// Launch helpers and argument checks
// ---------------------------------------------------------------------------------------

#define BASE_THREAD_NUM 256
// Grids are capped at this many blocks (about four waves of 256-thread blocks on an H100);
// every kernel loops (grid-stride) over whatever one pass of the grid does not cover.
const size_t MAX_BLOCKS = 4096;

struct CudaDims {
    dim3 block, grid;
};

// 256-thread blocks for `size` work items, one per thread, at most MAX_BLOCKS blocks.
// size must be > 0: a grid of 0 blocks is a launch error.
CudaDims CudaOneDim(size_t size)
{
    CudaDims dims;
    size_t blocks = (size + BASE_THREAD_NUM - 1) / BASE_THREAD_NUM;
    dims.block = dim3(BASE_THREAD_NUM, 1, 1);
    dims.grid = dim3(static_cast<unsigned>(std::min(std::max<size_t>(blocks, 1), MAX_BLOCKS)), 1, 1);
    return dims;
}

// Shapes and strides travel to kernels by value in this fixed-size struct.
#define MAX_VEC_SIZE 8
struct CudaVec {
    uint32_t size;
    int64_t data[MAX_VEC_SIZE];
};

CudaVec VecToCuda(const std::vector<int64_t> &x, const char *fn)
{
    if (x.size() > MAX_VEC_SIZE)
        throw std::invalid_argument(std::string(fn) + ": the CUDA backend supports at most " +
                                    std::to_string(MAX_VEC_SIZE) + " dimensions, got " +
                                    std::to_string(x.size()));
    CudaVec vec{};
    vec.size = static_cast<uint32_t>(x.size());
    for (size_t i = 0; i < x.size(); i++)
        vec.data[i] = x[i];
    return vec;
}

// The number of elements of a shape; ValueError for a negative dimension.
size_t Prod(const std::vector<int64_t> &shape, const char *fn)
{
    size_t count = 1;
    for (int64_t dim : shape) {
        if (dim < 0)
            throw std::invalid_argument(std::string(fn) + ": negative dimension " + std::to_string(dim));
        count *= static_cast<size_t>(dim);
    }
    return count;
}

// The elements of the strided view (shape, strides, offset) of a buffer: how many, and the
// smallest and largest flat index they occupy (count 0: lo and hi mean nothing).
struct ViewSpan {
    size_t count;
    int64_t lo, hi;
};

// The span of the view (shape, strides, offset) of `arr`, after checking that every element
// lies inside the buffer: an index outside it would fault on the GPU, and a fault poisons
// the CUDA context for the rest of the process.
ViewSpan CheckView(const char *fn, const CudaArray &arr, const std::vector<int64_t> &shape,
                   const std::vector<int64_t> &strides, int64_t offset)
{
    if (shape.size() != strides.size())
        throw std::invalid_argument(std::string(fn) + ": shape has " + std::to_string(shape.size()) +
                                    " dimensions but strides has " + std::to_string(strides.size()));
    ViewSpan span{Prod(shape, fn), offset, offset};
    if (span.count == 0)
        return span;
    for (size_t d = 0; d < shape.size(); d++) {
        const int64_t reach = (shape[d] - 1) * strides[d];
        (reach < 0 ? span.lo : span.hi) += reach;
    }
    if (span.lo < 0 || span.hi >= static_cast<int64_t>(arr.size))
        throw std::invalid_argument(std::string(fn) + ": the view reaches flat indices " + std::to_string(span.lo) +
                                    ".." + std::to_string(span.hi) + ", outside the buffer of " +
                                    std::to_string(arr.size) + " elements");
    return span;
}

// ValueError unless `arr` (named `name` in the message) holds exactly `expected` elements.
void CheckSize(const char *fn, const char *name, const CudaArray &arr, size_t expected)
{
    if (arr.size != expected)
        throw std::invalid_argument(std::string(fn) + ": " + name + " has " + std::to_string(arr.size) +
                                    " elements, expected " + std::to_string(expected));
}

// ---------------------------------------------------------------------------------------
// Fill, and copies between host and device
// ---------------------------------------------------------------------------------------

// out: (size,) compact. out[i] = val.
__global__ void FillKernel(scalar_t *out, scalar_t val, size_t size)
{
    const size_t stride = static_cast<size_t>(blockDim.x) * gridDim.x;
    for (size_t i = static_cast<size_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < size; i += stride)
        out[i] = val;
}

void Fill(CudaArray *out, scalar_t val)
{
    if (out->size == 0)
        return;
    CudaDims dims = CudaOneDim(out->size);
    FillKernel<<<dims.grid, dims.block>>>(out->ptr, val, out->size);
    CheckLaunch("fill");
}

// A new C-contiguous numpy array holding the strided view (shape, strides, offset) of `a`.
// Copies the span of the buffer the view touches to the host, then lets numpy gather it.
py::array_t<scalar_t> ToNumpy(const CudaArray &a, std::vector<int64_t> shape, std::vector<int64_t> strides,
                              int64_t offset)
{
    const ViewSpan span = CheckView("to_numpy", a, shape, strides, offset);
    std::vector<py::ssize_t> numpy_shape(shape.begin(), shape.end());
    if (span.count == 0)
        return py::array_t<scalar_t>(numpy_shape);
    const size_t length = static_cast<size_t>(span.hi - span.lo + 1);
    py::array_t<scalar_t> host(static_cast<py::ssize_t>(length));
    CheckCuda(cudaMemcpy(host.mutable_data(), a.ptr + span.lo, length * ELEM_SIZE, cudaMemcpyDeviceToHost),
              "to_numpy: cudaMemcpy");
    std::vector<py::ssize_t> byte_strides;
    for (int64_t s : strides)
        byte_strides.push_back(static_cast<py::ssize_t>(s * static_cast<int64_t>(ELEM_SIZE)));
    py::array_t<scalar_t> view(numpy_shape, byte_strides, host.data() + (offset - span.lo), host);
    return view.attr("copy")().cast<py::array_t<scalar_t>>();
}

// a: a C-contiguous float32 numpy array with out.size elements; out = a, flattened.
void FromNumpy(py::array_t<scalar_t, py::array::c_style | py::array::forcecast> a, CudaArray *out)
{
    CheckSize("from_numpy", "out", *out, static_cast<size_t>(a.size()));
    if (out->size == 0)
        return;
    CheckCuda(cudaMemcpy(out->ptr, a.data(), out->size * ELEM_SIZE, cudaMemcpyHostToDevice),
              "from_numpy: cudaMemcpy");
}

// ---------------------------------------------------------------------------------------
// Compact and setitem
// ---------------------------------------------------------------------------------------

// BEGIN YOUR SOLUTION
// Views with at most 2^31 elements index with 32-bit integers: the coordinate divisions
// below are much cheaper than 64-bit ones, and i + grid stride cannot wrap around.
const size_t INDEX32_LIMIT = size_t(1) << 31;

// The flat buffer index of element i (in row-major order) of the view (shape, strides,
// offset): coordinates are peeled off i from the last axis. The loop runs over the fixed
// MAX_VEC_SIZE so that it unrolls with constant indices into the by-value structs (a
// dynamic index would copy them to local memory).
template <typename IndexT>
__device__ __forceinline__ int64_t StridedIndex(IndexT i, const CudaVec &shape, const CudaVec &strides,
                                                int64_t offset)
{
    int64_t index = offset;
#pragma unroll
    for (int d = MAX_VEC_SIZE - 1; d >= 0; d--) {
        if (d < static_cast<int>(shape.size)) {
            const IndexT dim = static_cast<IndexT>(shape.data[d]);
            index += static_cast<int64_t>(i % dim) * strides.data[d];
            i /= dim;
        }
    }
    return index;
}

// a: the strided view (shape, strides, offset) of a buffer; out: (size,) compact,
// size = prod(shape). out[i] = view[i]: one thread per element of out, so the compact side
// is written coalesced.
template <typename IndexT>
__global__ void CompactKernel(const scalar_t *a, scalar_t *out, IndexT size, CudaVec shape, CudaVec strides,
                              int64_t offset)
{
    const IndexT stride = static_cast<IndexT>(blockDim.x) * gridDim.x;
    for (IndexT i = static_cast<IndexT>(blockIdx.x) * blockDim.x + threadIdx.x; i < size; i += stride)
        out[i] = a[StridedIndex(i, shape, strides, offset)];
}

// a: (size,) compact (at least size elements); out: the strided view (shape, strides,
// offset) of a buffer, size = prod(shape). view[i] = a[i]: one thread per element of a.
template <typename IndexT>
__global__ void EwiseSetitemKernel(const scalar_t *a, scalar_t *out, IndexT size, CudaVec shape, CudaVec strides,
                                   int64_t offset)
{
    const IndexT stride = static_cast<IndexT>(blockDim.x) * gridDim.x;
    for (IndexT i = static_cast<IndexT>(blockIdx.x) * blockDim.x + threadIdx.x; i < size; i += stride)
        out[StridedIndex(i, shape, strides, offset)] = a[i];
}

// out: the strided view (shape, strides, offset) of a buffer, size = prod(shape). view[i] = val.
template <typename IndexT>
__global__ void ScalarSetitemKernel(scalar_t val, scalar_t *out, IndexT size, CudaVec shape, CudaVec strides,
                                    int64_t offset)
{
    const IndexT stride = static_cast<IndexT>(blockDim.x) * gridDim.x;
    for (IndexT i = static_cast<IndexT>(blockIdx.x) * blockDim.x + threadIdx.x; i < size; i += stride)
        out[StridedIndex(i, shape, strides, offset)] = val;
}
// END YOUR SOLUTION

// out (compact, prod(shape)) = the strided view (shape, strides, offset) of a, row-major.
void Compact(const CudaArray &a, CudaArray *out, std::vector<int64_t> shape, std::vector<int64_t> strides,
             int64_t offset)
{
    // BEGIN YOUR SOLUTION
    const size_t size = CheckView("compact", a, shape, strides, offset).count;
    CheckSize("compact", "out", *out, size);
    if (size == 0)
        return;
    const CudaVec shape_v = VecToCuda(shape, "compact"), strides_v = VecToCuda(strides, "compact");
    const CudaDims dims = CudaOneDim(size);
    if (size < INDEX32_LIMIT)
        CompactKernel<uint32_t><<<dims.grid, dims.block>>>(a.ptr, out->ptr, static_cast<uint32_t>(size), shape_v,
                                                            strides_v, offset);
    else
        CompactKernel<uint64_t><<<dims.grid, dims.block>>>(a.ptr, out->ptr, size, shape_v, strides_v, offset);
    CheckLaunch("compact");
    // END YOUR SOLUTION
}

// The strided view (shape, strides, offset) of out = a (compact, its first prod(shape) elements).
void EwiseSetitem(const CudaArray &a, CudaArray *out, std::vector<int64_t> shape, std::vector<int64_t> strides,
                  int64_t offset)
{
    // BEGIN YOUR SOLUTION
    const size_t size = CheckView("ewise_setitem", *out, shape, strides, offset).count;
    if (a.size < size)
        throw std::invalid_argument("ewise_setitem: a has " + std::to_string(a.size) +
                                    " elements, fewer than the view's " + std::to_string(size));
    if (size == 0)
        return;
    const CudaVec shape_v = VecToCuda(shape, "ewise_setitem"), strides_v = VecToCuda(strides, "ewise_setitem");
    const CudaDims dims = CudaOneDim(size);
    if (size < INDEX32_LIMIT)
        EwiseSetitemKernel<uint32_t><<<dims.grid, dims.block>>>(a.ptr, out->ptr, static_cast<uint32_t>(size),
                                                                 shape_v, strides_v, offset);
    else
        EwiseSetitemKernel<uint64_t><<<dims.grid, dims.block>>>(a.ptr, out->ptr, size, shape_v, strides_v, offset);
    CheckLaunch("ewise_setitem");
    // END YOUR SOLUTION
}

// The strided view (shape, strides, offset) of out, `size` = prod(shape) elements, = val.
void ScalarSetitem(size_t size, scalar_t val, CudaArray *out, std::vector<int64_t> shape,
                   std::vector<int64_t> strides, int64_t offset)
{
    // BEGIN YOUR SOLUTION
    const size_t count = CheckView("scalar_setitem", *out, shape, strides, offset).count;
    if (size != count)
        throw std::invalid_argument("scalar_setitem: size " + std::to_string(size) + " differs from the view's " +
                                    std::to_string(count) + " elements");
    if (count == 0)
        return;
    const CudaVec shape_v = VecToCuda(shape, "scalar_setitem"), strides_v = VecToCuda(strides, "scalar_setitem");
    const CudaDims dims = CudaOneDim(count);
    if (count < INDEX32_LIMIT)
        ScalarSetitemKernel<uint32_t><<<dims.grid, dims.block>>>(val, out->ptr, static_cast<uint32_t>(count),
                                                                  shape_v, strides_v, offset);
    else
        ScalarSetitemKernel<uint64_t><<<dims.grid, dims.block>>>(val, out->ptr, count, shape_v, strides_v, offset);
    CheckLaunch("scalar_setitem");
    // END YOUR SOLUTION
}

// ---------------------------------------------------------------------------------------
// Elementwise and scalar operations: a, b and out are compact and of one size
// ---------------------------------------------------------------------------------------

// BEGIN YOUR SOLUTION
// The operations, as functors the kernels below are instantiated with.
struct AddOp {
    __device__ scalar_t operator()(scalar_t x, scalar_t y) const { return x + y; }
};
struct MulOp {
    __device__ scalar_t operator()(scalar_t x, scalar_t y) const { return x * y; }
};
struct DivOp {
    __device__ scalar_t operator()(scalar_t x, scalar_t y) const { return x / y; }
};
// numpy's maximum: NaN if either is NaN (fmaxf would return the other operand), and y when
// the two compare equal (np.maximum(-0.0, 0.0) is 0.0, np.maximum(0.0, -0.0) is -0.0).
struct MaxOp {
    __device__ scalar_t operator()(scalar_t x, scalar_t y) const { return (x > y || isnan(x)) ? x : y; }
};
struct EqOp {
    __device__ scalar_t operator()(scalar_t x, scalar_t y) const { return x == y ? 1.0f : 0.0f; }
};
struct GeOp {
    __device__ scalar_t operator()(scalar_t x, scalar_t y) const { return x >= y ? 1.0f : 0.0f; }
};
// numpy's float32 power: powf, except for the exponents numpy computes another way
// (x**2 = x*x, x**0.5 = sqrt(x), x**-1 = 1/x), which differ from powf at the edges:
// powf(-inf, 0.5) is inf where numpy gives nan, powf(-0.0, 0.5) is 0.0 where numpy gives -0.0.
struct PowOp {
    __device__ scalar_t operator()(scalar_t x, scalar_t y) const
    {
        if (y == 2.0f)
            return x * x;
        if (y == 0.5f)
            return sqrtf(x);
        if (y == -1.0f)
            return 1.0f / x;
        return powf(x, y);
    }
};
struct LogOp {
    __device__ scalar_t operator()(scalar_t x) const { return logf(x); }
};
struct ExpOp {
    __device__ scalar_t operator()(scalar_t x) const { return expf(x); }
};
struct TanhOp {
    __device__ scalar_t operator()(scalar_t x) const { return tanhf(x); }
};
// A binary operation with its second operand fixed: the scalar ops run as unary ones.
template <typename Op>
struct WithScalar {
    Op op;
    scalar_t val;
    __device__ scalar_t operator()(scalar_t x) const { return op(x, val); }
};

// a, b, out: (size,) compact. out[i] = op(a[i], b[i]). With vec4 (all three 16-byte
// aligned) the first size/4*4 elements go as float4, four per thread and step; the last
// size%4 one per thread.
template <typename Op>
__global__ void EwiseBinaryKernel(const scalar_t *a, const scalar_t *b, scalar_t *out, size_t size, bool vec4, Op op)
{
    const size_t start = static_cast<size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    const size_t stride = static_cast<size_t>(blockDim.x) * gridDim.x;
    size_t done = 0;  // elements the float4 loop covers
    if (vec4) {
        const size_t size4 = size / 4;
        const float4 *a4 = reinterpret_cast<const float4 *>(a);
        const float4 *b4 = reinterpret_cast<const float4 *>(b);
        float4 *out4 = reinterpret_cast<float4 *>(out);
        for (size_t i = start; i < size4; i += stride) {
            const float4 x = a4[i], y = b4[i];
            out4[i] = make_float4(op(x.x, y.x), op(x.y, y.y), op(x.z, y.z), op(x.w, y.w));
        }
        done = size4 * 4;
    }
    for (size_t i = done + start; i < size; i += stride)
        out[i] = op(a[i], b[i]);
}

// a, out: (size,) compact. out[i] = op(a[i]); float4 as in EwiseBinaryKernel.
template <typename Op>
__global__ void EwiseUnaryKernel(const scalar_t *a, scalar_t *out, size_t size, bool vec4, Op op)
{
    const size_t start = static_cast<size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    const size_t stride = static_cast<size_t>(blockDim.x) * gridDim.x;
    size_t done = 0;
    if (vec4) {
        const size_t size4 = size / 4;
        const float4 *a4 = reinterpret_cast<const float4 *>(a);
        float4 *out4 = reinterpret_cast<float4 *>(out);
        for (size_t i = start; i < size4; i += stride) {
            const float4 x = a4[i];
            out4[i] = make_float4(op(x.x), op(x.y), op(x.z), op(x.w));
        }
        done = size4 * 4;
    }
    for (size_t i = done + start; i < size; i += stride)
        out[i] = op(a[i]);
}

bool Aligned16(const void *ptr) { return reinterpret_cast<uintptr_t>(ptr) % 16 == 0; }

template <typename Op>
void LaunchEwise(const char *fn, const CudaArray &a, const CudaArray &b, CudaArray *out, Op op)
{
    CheckSize(fn, "b", b, a.size);
    CheckSize(fn, "out", *out, a.size);
    if (a.size == 0)
        return;
    const bool vec4 = Aligned16(a.ptr) && Aligned16(b.ptr) && Aligned16(out->ptr);
    const CudaDims dims = CudaOneDim(vec4 ? (a.size + 3) / 4 : a.size);
    EwiseBinaryKernel<<<dims.grid, dims.block>>>(a.ptr, b.ptr, out->ptr, a.size, vec4, op);
    CheckLaunch(fn);
}

template <typename Op>
void LaunchUnary(const char *fn, const CudaArray &a, CudaArray *out, Op op)
{
    CheckSize(fn, "out", *out, a.size);
    if (a.size == 0)
        return;
    const bool vec4 = Aligned16(a.ptr) && Aligned16(out->ptr);
    const CudaDims dims = CudaOneDim(vec4 ? (a.size + 3) / 4 : a.size);
    EwiseUnaryKernel<<<dims.grid, dims.block>>>(a.ptr, out->ptr, a.size, vec4, op);
    CheckLaunch(fn);
}

template <typename Op>
void LaunchScalar(const char *fn, const CudaArray &a, scalar_t val, CudaArray *out, Op op)
{
    LaunchUnary(fn, a, out, WithScalar<Op>{op, val});
}
// END YOUR SOLUTION

void EwiseAdd(const CudaArray &a, const CudaArray &b, CudaArray *out)
{
    // BEGIN YOUR SOLUTION
    LaunchEwise("ewise_add", a, b, out, AddOp());
    // END YOUR SOLUTION
}

void ScalarAdd(const CudaArray &a, scalar_t val, CudaArray *out)
{
    // BEGIN YOUR SOLUTION
    LaunchScalar("scalar_add", a, val, out, AddOp());
    // END YOUR SOLUTION
}

void EwiseMul(const CudaArray &a, const CudaArray &b, CudaArray *out)
{
    // BEGIN YOUR SOLUTION
    LaunchEwise("ewise_mul", a, b, out, MulOp());
    // END YOUR SOLUTION
}

void ScalarMul(const CudaArray &a, scalar_t val, CudaArray *out)
{
    // BEGIN YOUR SOLUTION
    LaunchScalar("scalar_mul", a, val, out, MulOp());
    // END YOUR SOLUTION
}

void EwiseDiv(const CudaArray &a, const CudaArray &b, CudaArray *out)
{
    // BEGIN YOUR SOLUTION
    LaunchEwise("ewise_div", a, b, out, DivOp());
    // END YOUR SOLUTION
}

void ScalarDiv(const CudaArray &a, scalar_t val, CudaArray *out)
{
    // BEGIN YOUR SOLUTION
    LaunchScalar("scalar_div", a, val, out, DivOp());
    // END YOUR SOLUTION
}

void ScalarPower(const CudaArray &a, scalar_t val, CudaArray *out)
{
    // BEGIN YOUR SOLUTION
    LaunchScalar("scalar_power", a, val, out, PowOp());
    // END YOUR SOLUTION
}

void EwiseMaximum(const CudaArray &a, const CudaArray &b, CudaArray *out)
{
    // BEGIN YOUR SOLUTION
    LaunchEwise("ewise_maximum", a, b, out, MaxOp());
    // END YOUR SOLUTION
}

void ScalarMaximum(const CudaArray &a, scalar_t val, CudaArray *out)
{
    // BEGIN YOUR SOLUTION
    LaunchScalar("scalar_maximum", a, val, out, MaxOp());
    // END YOUR SOLUTION
}

void EwiseEq(const CudaArray &a, const CudaArray &b, CudaArray *out)
{
    // BEGIN YOUR SOLUTION
    LaunchEwise("ewise_eq", a, b, out, EqOp());
    // END YOUR SOLUTION
}

void ScalarEq(const CudaArray &a, scalar_t val, CudaArray *out)
{
    // BEGIN YOUR SOLUTION
    LaunchScalar("scalar_eq", a, val, out, EqOp());
    // END YOUR SOLUTION
}

void EwiseGe(const CudaArray &a, const CudaArray &b, CudaArray *out)
{
    // BEGIN YOUR SOLUTION
    LaunchEwise("ewise_ge", a, b, out, GeOp());
    // END YOUR SOLUTION
}

void ScalarGe(const CudaArray &a, scalar_t val, CudaArray *out)
{
    // BEGIN YOUR SOLUTION
    LaunchScalar("scalar_ge", a, val, out, GeOp());
    // END YOUR SOLUTION
}

void EwiseLog(const CudaArray &a, CudaArray *out)
{
    // BEGIN YOUR SOLUTION
    LaunchUnary("ewise_log", a, out, LogOp());
    // END YOUR SOLUTION
}

void EwiseExp(const CudaArray &a, CudaArray *out)
{
    // BEGIN YOUR SOLUTION
    LaunchUnary("ewise_exp", a, out, ExpOp());
    // END YOUR SOLUTION
}

void EwiseTanh(const CudaArray &a, CudaArray *out)
{
    // BEGIN YOUR SOLUTION
    LaunchUnary("ewise_tanh", a, out, TanhOp());
    // END YOUR SOLUTION
}

// ---------------------------------------------------------------------------------------
// Matmul
// ---------------------------------------------------------------------------------------

// BEGIN YOUR SOLUTION
// The naive kernel is the oracle twin of the tiled one, and also runs the skinny products
// (m or p below MM_NAIVE_BELOW), where a 128x128 tile of out would be mostly idle.
//
// a: (m, n), b: (n, p), out: (m, p), all compact. One thread per element of out
// (grid-stride); consecutive threads take consecutive columns, so b is read coalesced and
// a is broadcast within a warp.
__global__ void MatmulNaiveKernel(const scalar_t *a, const scalar_t *b, scalar_t *out, uint32_t m, uint32_t n,
                                  uint32_t p)
{
    const size_t size = static_cast<size_t>(m) * p;
    const size_t stride = static_cast<size_t>(blockDim.x) * gridDim.x;
    for (size_t idx = static_cast<size_t>(blockIdx.x) * blockDim.x + threadIdx.x; idx < size; idx += stride) {
        const size_t i = idx / p, j = idx % p;
        scalar_t acc = 0.0f;
        for (uint32_t k = 0; k < n; k++)
            acc = fmaf(a[i * n + k], b[static_cast<size_t>(k) * p + j], acc);
        out[idx] = acc;
    }
}

// The tiled kernel: each 256-thread block computes a 128x128 tile of out, stepping through
// k 8 at a time. Per step the block stages a 128x8 slice of a (transposed, As[k][row]) and
// an 8x128 slice of b (Bs[k][col]) in shared memory, double buffered: the next slice is
// loaded from global memory into registers while the current one is multiplied, then stored
// into the other buffer, so one __syncthreads per step suffices. Each thread accumulates
// 8x8 outputs in registers: rows {ty*4 + i, 64 + ty*4 + i}, columns {tx*4 + j, 64 + tx*4 + j},
// i, j < 4, read per k as four float4 from shared memory. A warp is a 4x8 patch of the 16x16
// thread grid (warps 4 down, 2 across), so each of those float4 reads touches at most 128
// contiguous bytes: no bank conflicts. Plain FFMA, fp32 throughout (no tensor cores, no TF32).
constexpr int MM_BM = 128;           // rows of out per block
constexpr int MM_BN = 128;           // columns of out per block
constexpr int MM_BK = 8;             // k per shared-memory step
constexpr int MM_TM = 8;             // rows of out per thread
constexpr int MM_TN = 8;             // columns of out per thread
constexpr int MM_THREADS = 256;      // (MM_BM / MM_TM) * (MM_BN / MM_TN)
constexpr int MM_PAD = 4;            // As row padding: the transposed stores hit distinct banks
constexpr int MM_GROUP_M = 8;        // tile rows per block group (L2 reuse), see below
constexpr int MM_NAIVE_BELOW = 16;   // m or p below this: the naive kernel

// Load the k-slice starting at k0 into registers, zero outside a and b.
// ra[i] = a[g_row, k0 + a_k + i]; rb[j] = b[k0 + b_k, g_col + j]. With VEC_A (n % 4 == 0) the
// four values of a are one aligned float4 and all in or all out of bounds; VEC_B likewise
// for b with p % 4 == 0.
template <bool VEC_A, bool VEC_B>
__device__ __forceinline__ void MatmulLoadSlice(const scalar_t *__restrict__ a, const scalar_t *__restrict__ b,
                                                int m, int n, int p, int g_row, int a_k, int b_k, int g_col, int k0,
                                                float (&ra)[4], float (&rb)[4])
{
    const int ka = k0 + a_k;
    if (VEC_A) {
        float4 v = make_float4(0.0f, 0.0f, 0.0f, 0.0f);
        if (g_row < m && ka < n)
            v = *reinterpret_cast<const float4 *>(a + static_cast<size_t>(g_row) * n + ka);
        ra[0] = v.x, ra[1] = v.y, ra[2] = v.z, ra[3] = v.w;
    } else {
#pragma unroll
        for (int i = 0; i < 4; i++)
            ra[i] = (g_row < m && ka + i < n) ? a[static_cast<size_t>(g_row) * n + ka + i] : 0.0f;
    }
    const int kb = k0 + b_k;
    if (VEC_B) {
        float4 v = make_float4(0.0f, 0.0f, 0.0f, 0.0f);
        if (kb < n && g_col < p)
            v = *reinterpret_cast<const float4 *>(b + static_cast<size_t>(kb) * p + g_col);
        rb[0] = v.x, rb[1] = v.y, rb[2] = v.z, rb[3] = v.w;
    } else {
#pragma unroll
        for (int j = 0; j < 4; j++)
            rb[j] = (kb < n && g_col + j < p) ? b[static_cast<size_t>(kb) * p + g_col + j] : 0.0f;
    }
}

// Store the registers of MatmulLoadSlice into one shared buffer: a transposed, b as is.
__device__ __forceinline__ void MatmulStoreSlice(float (*As)[MM_BM + MM_PAD], float (*Bs)[MM_BN], int a_row,
                                                 int a_k, int b_k, int b_col, const float (&ra)[4],
                                                 const float (&rb)[4])
{
#pragma unroll
    for (int i = 0; i < 4; i++)
        As[a_k + i][a_row] = ra[i];
    *reinterpret_cast<float4 *>(&Bs[b_k][b_col]) = make_float4(rb[0], rb[1], rb[2], rb[3]);
}

// a: (m, n), b: (n, p), out: (m, p), all compact; m, n, p any sizes (edge tiles are
// zero-padded on load and masked on store). Grid: one block per 128x128 tile of out,
// ceil(m/128) * ceil(p/128) blocks of MM_THREADS threads.
template <bool VEC_A, bool VEC_B>
__global__ void __launch_bounds__(MM_THREADS, 2)
    MatmulTiledKernel(const scalar_t *__restrict__ a, const scalar_t *__restrict__ b, scalar_t *__restrict__ out,
                      int m, int n, int p)
{
    __shared__ __align__(16) float As[2][MM_BK][MM_BM + MM_PAD];  // a slice, transposed: As[buf][k][row]
    __shared__ __align__(16) float Bs[2][MM_BK][MM_BN];           // b slice: Bs[buf][k][col]

    // Which tile of out: consecutive blocks run down a group of MM_GROUP_M tile rows before
    // moving one tile column right, so the blocks resident together share a and b panels in L2.
    const int tiles_m = (m + MM_BM - 1) / MM_BM, tiles_n = (p + MM_BN - 1) / MM_BN;
    const int tile = blockIdx.x;
    const int group_size = MM_GROUP_M * tiles_n;  // blocks per group of tile rows
    const int first_m = (tile / group_size) * MM_GROUP_M;
    const int rows_in_group = min(tiles_m - first_m, MM_GROUP_M);
    const int bm = first_m + (tile % group_size) % rows_in_group;
    const int bn = (tile % group_size) / rows_in_group;
    const int row0 = bm * MM_BM, col0 = bn * MM_BN;

    // This thread's place in the 16x16 thread grid: warps 4 down x 2 across, lanes 4 x 8.
    const int tid = threadIdx.x, warp = tid / 32, lane = tid % 32;
    const int ty = (warp / 2) * 4 + lane / 8;  // 0..15
    const int tx = (warp % 2) * 8 + lane % 8;  // 0..15

    // What this thread loads per step: a[row0 + a_row, k0 + a_k .. +3] (128 rows x 2 float4)
    // and b[k0 + b_k, col0 + b_col .. +3] (8 rows x 32 float4; a warp reads 512 contiguous bytes).
    const int a_row = tid / 2, a_k = (tid % 2) * 4;
    const int b_k = tid / 32, b_col = (tid % 32) * 4;
    const int g_row = row0 + a_row, g_col = col0 + b_col;

    float acc[MM_TM][MM_TN];
#pragma unroll
    for (int i = 0; i < MM_TM; i++)
#pragma unroll
        for (int j = 0; j < MM_TN; j++)
            acc[i][j] = 0.0f;
    float ra[4], rb[4];

    const int k_tiles = (n + MM_BK - 1) / MM_BK;
    MatmulLoadSlice<VEC_A, VEC_B>(a, b, m, n, p, g_row, a_k, b_k, g_col, 0, ra, rb);
    MatmulStoreSlice(As[0], Bs[0], a_row, a_k, b_k, b_col, ra, rb);
    __syncthreads();

    for (int t = 0; t < k_tiles; t++) {
        const int cur = t % 2;
        if (t + 1 < k_tiles)  // the next slice, from global memory, while this one is multiplied
            MatmulLoadSlice<VEC_A, VEC_B>(a, b, m, n, p, g_row, a_k, b_k, g_col, (t + 1) * MM_BK, ra, rb);
#pragma unroll
        for (int kk = 0; kk < MM_BK; kk++) {
            float fa[MM_TM], fb[MM_TN];
            const float4 a_lo = *reinterpret_cast<const float4 *>(&As[cur][kk][ty * 4]);
            const float4 a_hi = *reinterpret_cast<const float4 *>(&As[cur][kk][MM_BM / 2 + ty * 4]);
            const float4 b_lo = *reinterpret_cast<const float4 *>(&Bs[cur][kk][tx * 4]);
            const float4 b_hi = *reinterpret_cast<const float4 *>(&Bs[cur][kk][MM_BN / 2 + tx * 4]);
            fa[0] = a_lo.x, fa[1] = a_lo.y, fa[2] = a_lo.z, fa[3] = a_lo.w;
            fa[4] = a_hi.x, fa[5] = a_hi.y, fa[6] = a_hi.z, fa[7] = a_hi.w;
            fb[0] = b_lo.x, fb[1] = b_lo.y, fb[2] = b_lo.z, fb[3] = b_lo.w;
            fb[4] = b_hi.x, fb[5] = b_hi.y, fb[6] = b_hi.z, fb[7] = b_hi.w;
#pragma unroll
            for (int i = 0; i < MM_TM; i++)
#pragma unroll
                for (int j = 0; j < MM_TN; j++)
                    acc[i][j] = fmaf(fa[i], fb[j], acc[i][j]);
        }
        // The other buffer was last read in step t - 1, which every thread finished before the
        // __syncthreads that ended it; the one below publishes these stores for step t + 1.
        if (t + 1 < k_tiles)
            MatmulStoreSlice(As[cur ^ 1], Bs[cur ^ 1], a_row, a_k, b_k, b_col, ra, rb);
        __syncthreads();
    }

    // acc[i][j] is out[row0 + (i/4)*64 + ty*4 + i%4, col0 + (j/4)*64 + tx*4 + j%4].
#pragma unroll
    for (int i = 0; i < MM_TM; i++) {
        const int r = row0 + (i / 4) * (MM_BM / 2) + ty * 4 + i % 4;
        if (r >= m)
            continue;
#pragma unroll
        for (int h = 0; h < 2; h++) {
            const int c = col0 + h * (MM_BN / 2) + tx * 4;
            scalar_t *dst = out + static_cast<size_t>(r) * p + c;
            if (VEC_B) {
                if (c < p)
                    *reinterpret_cast<float4 *>(dst) =
                        make_float4(acc[i][h * 4 + 0], acc[i][h * 4 + 1], acc[i][h * 4 + 2], acc[i][h * 4 + 3]);
            } else {
#pragma unroll
                for (int j = 0; j < 4; j++)
                    if (c + j < p)
                        dst[j] = acc[i][h * 4 + j];
            }
        }
    }
}

// out (m, p) = a (m, n) @ b (n, p) on device pointers, all compact, m, n, p in [0, 2^31) and
// m, p > 0: the naive kernel for skinny products, the tiled one otherwise.
void LaunchMatmul(const scalar_t *a, const scalar_t *b, scalar_t *out, int64_t m, int64_t n, int64_t p)
{
    const int64_t int_max = 0x7fffffff;
    if (m < MM_NAIVE_BELOW || p < MM_NAIVE_BELOW) {
        const CudaDims dims = CudaOneDim(static_cast<size_t>(m * p));
        MatmulNaiveKernel<<<dims.grid, dims.block>>>(a, b, out, static_cast<uint32_t>(m),
                                                     static_cast<uint32_t>(n), static_cast<uint32_t>(p));
    } else {
        const int64_t tiles = ((m + MM_BM - 1) / MM_BM) * ((p + MM_BN - 1) / MM_BN);
        if (tiles > int_max)
            throw std::invalid_argument("matmul: " + std::to_string(tiles) + " tiles of 128x128 are too many");
        const dim3 grid(static_cast<unsigned>(tiles)), block(MM_THREADS);
        const int mi = static_cast<int>(m), ni = static_cast<int>(n), pi = static_cast<int>(p);
        const bool vec_a = n % 4 == 0, vec_b = p % 4 == 0;  // rows of a (of b and out) are 16-byte aligned
        if (vec_a && vec_b)
            MatmulTiledKernel<true, true><<<grid, block>>>(a, b, out, mi, ni, pi);
        else if (vec_a)
            MatmulTiledKernel<true, false><<<grid, block>>>(a, b, out, mi, ni, pi);
        else if (vec_b)
            MatmulTiledKernel<false, true><<<grid, block>>>(a, b, out, mi, ni, pi);
        else
            MatmulTiledKernel<false, false><<<grid, block>>>(a, b, out, mi, ni, pi);
    }
}

// a: (batch, m, n), b: (batch, n, p), out: (batch, m, p), all compact. The naive kernel over a
// whole batch of small products (attention's heads), one launch: one thread per element of
// out, grid-stride over all batch * m * p of them.
__global__ void MatmulBatchedNaiveKernel(const scalar_t *a, const scalar_t *b, scalar_t *out, uint32_t batch,
                                         uint32_t m, uint32_t n, uint32_t p)
{
    const size_t mp = static_cast<size_t>(m) * p, size = batch * mp;
    const size_t stride = static_cast<size_t>(blockDim.x) * gridDim.x;
    for (size_t idx = static_cast<size_t>(blockIdx.x) * blockDim.x + threadIdx.x; idx < size; idx += stride) {
        const size_t entry = idx / mp, i = idx % mp / p, j = idx % p;
        const scalar_t *a_row = a + (entry * m + i) * n, *b_col = b + entry * n * p + j;
        scalar_t acc = 0.0f;
        for (uint32_t k = 0; k < n; k++)
            acc = fmaf(a_row[k], b_col[static_cast<size_t>(k) * p], acc);
        out[idx] = acc;
    }
}

// Per-product sizes from which each product of a batch gets launches of its own (the tiled
// kernel fills the GPU); below, one launch of the batched naive kernel covers them all.
constexpr int64_t MM_BATCH_OWN_LAUNCH = 64;
// END YOUR SOLUTION

// out (m, p) = a (m, n) @ b (n, p), all compact and row-major.
void Matmul(const CudaArray &a, const CudaArray &b, CudaArray *out, int64_t m, int64_t n, int64_t p)
{
    // BEGIN YOUR SOLUTION
    const int64_t int_max = 0x7fffffff;
    if (m < 0 || n < 0 || p < 0 || m > int_max || n > int_max || p > int_max)
        throw std::invalid_argument("matmul: m, n, p must lie in [0, 2^31), got " + std::to_string(m) + ", " +
                                    std::to_string(n) + ", " + std::to_string(p));
    CheckSize("matmul", "a", a, static_cast<size_t>(m * n));
    CheckSize("matmul", "b", b, static_cast<size_t>(n * p));
    CheckSize("matmul", "out", *out, static_cast<size_t>(m * p));
    if (m == 0 || p == 0)
        return;
    if (out->ptr == a.ptr || out->ptr == b.ptr)
        throw std::invalid_argument("matmul: out must not be one of the operands");
    LaunchMatmul(a.ptr, b.ptr, out->ptr, m, n, p);
    CheckLaunch("matmul");
    // END YOUR SOLUTION
}

// out[i] (m, p) = a[i] (m, n) @ b[i] (n, p) for i < batch; a: (batch, m, n), b: (batch, n, p),
// out: (batch, m, p), all compact.
void MatmulBatched(const CudaArray &a, const CudaArray &b, CudaArray *out, int64_t batch, int64_t m, int64_t n,
                   int64_t p)
{
    // BEGIN YOUR SOLUTION
    const int64_t int_max = 0x7fffffff;
    if (batch < 0 || m < 0 || n < 0 || p < 0 || batch > int_max || m > int_max || n > int_max || p > int_max)
        throw std::invalid_argument("matmul_batched: batch, m, n, p must lie in [0, 2^31), got " +
                                    std::to_string(batch) + ", " + std::to_string(m) + ", " + std::to_string(n) +
                                    ", " + std::to_string(p));
    CheckSize("matmul_batched", "a", a, static_cast<size_t>(batch * m * n));
    CheckSize("matmul_batched", "b", b, static_cast<size_t>(batch * n * p));
    CheckSize("matmul_batched", "out", *out, static_cast<size_t>(batch * m * p));
    if (batch == 0 || m == 0 || p == 0)
        return;
    if (out->ptr == a.ptr || out->ptr == b.ptr)
        throw std::invalid_argument("matmul_batched: out must not be one of the operands");
    if (m >= MM_BATCH_OWN_LAUNCH && p >= MM_BATCH_OWN_LAUNCH) {
        for (int64_t i = 0; i < batch; i++)
            LaunchMatmul(a.ptr + i * m * n, b.ptr + i * n * p, out->ptr + i * m * p, m, n, p);
    } else {
        const CudaDims dims = CudaOneDim(static_cast<size_t>(batch * m * p));
        MatmulBatchedNaiveKernel<<<dims.grid, dims.block>>>(a.ptr, b.ptr, out->ptr, static_cast<uint32_t>(batch),
                                                            static_cast<uint32_t>(m), static_cast<uint32_t>(n),
                                                            static_cast<uint32_t>(p));
    }
    CheckLaunch("matmul_batched");
    // END YOUR SOLUTION
}

// ---------------------------------------------------------------------------------------
// Reductions: out[i] = op over a[i*reduce_size : (i+1)*reduce_size], a compact
// ---------------------------------------------------------------------------------------

// BEGIN YOUR SOLUTION
// The reductions, as functors with an identity. The sum starts from 0.0 as numpy's does
// (so a row of -0.0 sums to 0.0); the max from -inf, combining as numpy's maximum so that a
// NaN anywhere makes the result NaN.
struct SumReduce {
    __device__ static scalar_t identity() { return 0.0f; }
    __device__ scalar_t operator()(scalar_t x, scalar_t y) const { return x + y; }
};
struct MaxReduce {
    __device__ static scalar_t identity() { return -INFINITY; }
    __device__ scalar_t operator()(scalar_t x, scalar_t y) const { return (x > y || isnan(x)) ? x : y; }
};

const size_t REDUCE_THREADS = 256;      // threads per block, both kernels
const size_t WARP_REDUCE_MAX = 512;     // rows up to this long: a warp per row, else a block

// Combine v across the 32 lanes of a warp (butterfly): every lane gets the result.
// All 32 lanes must call it together.
template <typename Op>
__device__ __forceinline__ scalar_t WarpReduce(scalar_t v, Op op)
{
#pragma unroll
    for (int offset = 16; offset > 0; offset /= 2)
        v = op(v, __shfl_xor_sync(0xffffffffu, v, offset));
    return v;
}

// a: (n_out, reduce_size) compact; out: (n_out,). One warp per row (grid-stride over rows,
// the same row for all 32 lanes): lane l folds a[row, l], a[row, l + 32], ..., then the warp
// combines its 32 partial results with shuffles. For short rows.
template <typename Op>
__global__ void ReduceWarpKernel(const scalar_t *a, scalar_t *out, size_t n_out, size_t reduce_size, Op op)
{
    const unsigned lane = threadIdx.x % 32;
    const size_t warps_per_block = blockDim.x / 32;
    const size_t n_warps = warps_per_block * gridDim.x;
    for (size_t row = blockIdx.x * warps_per_block + threadIdx.x / 32; row < n_out; row += n_warps) {
        const scalar_t *in = a + row * reduce_size;
        scalar_t acc = Op::identity();
        for (size_t k = lane; k < reduce_size; k += 32)
            acc = op(acc, in[k]);
        acc = WarpReduce(acc, op);
        if (lane == 0)
            out[row] = acc;
    }
}

// a: (n_out, reduce_size) compact; out: (n_out,). One block per row (grid-stride over rows):
// thread t folds a[row, t], a[row, t + blockDim], ...; each warp combines with shuffles,
// warp 0 combines the per-warp results from shared memory. For long rows. blockDim.x is a
// multiple of 32, at most 1024.
template <typename Op>
__global__ void ReduceBlockKernel(const scalar_t *a, scalar_t *out, size_t n_out, size_t reduce_size, Op op)
{
    __shared__ scalar_t partial[32];  // one per warp
    const unsigned lane = threadIdx.x % 32, warp = threadIdx.x / 32, n_warps = blockDim.x / 32;
    for (size_t row = blockIdx.x; row < n_out; row += gridDim.x) {
        const scalar_t *in = a + row * reduce_size;
        scalar_t acc = Op::identity();
        for (size_t k = threadIdx.x; k < reduce_size; k += blockDim.x)
            acc = op(acc, in[k]);
        acc = WarpReduce(acc, op);
        if (lane == 0)
            partial[warp] = acc;
        __syncthreads();
        if (warp == 0) {
            acc = lane < n_warps ? partial[lane] : Op::identity();
            acc = WarpReduce(acc, op);
            if (lane == 0)
                out[row] = acc;
        }
        __syncthreads();  // partial is written again for the next row
    }
}

// a: (outer, reduce_size, inner) compact; out: (outer, inner). One thread per element of out
// (grid-stride), folding a[o, 0, i], a[o, 1, i], ...: consecutive threads take consecutive
// columns, so each step of the fold reads a warp's 32 values coalesced.
template <typename Op>
__global__ void ReduceStridedKernel(const scalar_t *a, scalar_t *out, size_t n_out, size_t reduce_size,
                                    size_t inner, Op op)
{
    const size_t stride = static_cast<size_t>(blockDim.x) * gridDim.x;
    for (size_t idx = static_cast<size_t>(blockIdx.x) * blockDim.x + threadIdx.x; idx < n_out; idx += stride) {
        const scalar_t *in = a + idx / inner * reduce_size * inner + idx % inner;
        scalar_t acc = Op::identity();
        for (size_t r = 0; r < reduce_size; r++)
            acc = op(acc, in[r * inner]);
        out[idx] = acc;
    }
}

template <typename Op>
void LaunchReduceStrided(const char *fn, const CudaArray &a, CudaArray *out, int64_t reduce_size,
                         int64_t inner_size, Op op)
{
    if (reduce_size <= 0 || inner_size <= 0)
        throw std::invalid_argument(std::string(fn) + ": reduce_size and inner_size must be positive, got " +
                                    std::to_string(reduce_size) + " and " + std::to_string(inner_size));
    const size_t rs = static_cast<size_t>(reduce_size), inner = static_cast<size_t>(inner_size);
    if (out->size % inner != 0 || a.size != out->size * rs)
        throw std::invalid_argument(std::string(fn) + ": buffers of " + std::to_string(a.size) + " and " +
                                    std::to_string(out->size) + " elements do not hold (outer, " + std::to_string(rs) +
                                    ", " + std::to_string(inner) + ") and (outer, " + std::to_string(inner) +
                                    ") arrays");
    if (out->size == 0)
        return;
    const CudaDims dims = CudaOneDim(out->size);
    ReduceStridedKernel<<<dims.grid, dims.block>>>(a.ptr, out->ptr, out->size, rs, inner, op);
    CheckLaunch(fn);
}

template <typename Op>
void LaunchReduce(const char *fn, const CudaArray &a, CudaArray *out, int64_t reduce_size, Op op)
{
    if (reduce_size <= 0)
        throw std::invalid_argument(std::string(fn) + ": reduce_size must be positive, got " +
                                    std::to_string(reduce_size));
    const size_t rs = static_cast<size_t>(reduce_size);
    if (a.size % rs != 0)
        throw std::invalid_argument(std::string(fn) + ": a has " + std::to_string(a.size) +
                                    " elements, not a multiple of reduce_size " + std::to_string(rs));
    const size_t n_out = a.size / rs;
    CheckSize(fn, "out", *out, n_out);
    if (n_out == 0)
        return;
    if (rs <= WARP_REDUCE_MAX) {
        const size_t rows_per_block = REDUCE_THREADS / 32;
        const size_t blocks = std::min((n_out + rows_per_block - 1) / rows_per_block, MAX_BLOCKS);
        ReduceWarpKernel<<<static_cast<unsigned>(blocks), REDUCE_THREADS>>>(a.ptr, out->ptr, n_out, rs, op);
    } else {
        const size_t blocks = std::min(n_out, MAX_BLOCKS);
        ReduceBlockKernel<<<static_cast<unsigned>(blocks), REDUCE_THREADS>>>(a.ptr, out->ptr, n_out, rs, op);
    }
    CheckLaunch(fn);
}
// END YOUR SOLUTION

void ReduceMax(const CudaArray &a, CudaArray *out, int64_t reduce_size)
{
    // BEGIN YOUR SOLUTION
    LaunchReduce("reduce_max", a, out, reduce_size, MaxReduce());
    // END YOUR SOLUTION
}

void ReduceSum(const CudaArray &a, CudaArray *out, int64_t reduce_size)
{
    // BEGIN YOUR SOLUTION
    LaunchReduce("reduce_sum", a, out, reduce_size, SumReduce());
    // END YOUR SOLUTION
}

// a: (outer, reduce_size, inner_size) compact, out: (outer, inner_size); out[o, i] = max over r of a[o, r, i]
void ReduceMaxStrided(const CudaArray &a, CudaArray *out, int64_t reduce_size, int64_t inner_size)
{
    // BEGIN YOUR SOLUTION
    LaunchReduceStrided("reduce_max_strided", a, out, reduce_size, inner_size, MaxReduce());
    // END YOUR SOLUTION
}

// a: (outer, reduce_size, inner_size) compact, out: (outer, inner_size); out[o, i] = sum over r of a[o, r, i]
void ReduceSumStrided(const CudaArray &a, CudaArray *out, int64_t reduce_size, int64_t inner_size)
{
    // BEGIN YOUR SOLUTION
    LaunchReduceStrided("reduce_sum_strided", a, out, reduce_size, inner_size, SumReduce());
    // END YOUR SOLUTION
}

}  // namespace cuda
}  // namespace needle

PYBIND11_MODULE(ndarray_backend_cuda, m)
{
    namespace py = pybind11;
    using namespace needle;
    using namespace cuda;

    m.doc() = "needle's CUDA backend: the flat kernel table of ndarray_backend_numpy over GPU buffers";
    m.attr("__device_name__") = "cuda";

    py::class_<CudaArray>(m, "Array")
        .def(py::init<size_t>(), py::arg("size"), "A buffer of `size` float32 values in GPU memory.")
        .def_readonly("size", &CudaArray::size)
        .def("ptr", &CudaArray::ptr_as_int, "The buffer's device address: arrays that share memory share it.");

    m.def("to_numpy", ToNumpy);
    m.def("from_numpy", FromNumpy);
    m.def("fill", Fill);

    m.def("compact", Compact);
    m.def("ewise_setitem", EwiseSetitem);
    m.def("scalar_setitem", ScalarSetitem);

    m.def("ewise_add", EwiseAdd);
    m.def("scalar_add", ScalarAdd);
    m.def("ewise_mul", EwiseMul);
    m.def("scalar_mul", ScalarMul);
    m.def("ewise_div", EwiseDiv);
    m.def("scalar_div", ScalarDiv);
    m.def("scalar_power", ScalarPower);

    m.def("ewise_maximum", EwiseMaximum);
    m.def("scalar_maximum", ScalarMaximum);
    m.def("ewise_eq", EwiseEq);
    m.def("scalar_eq", ScalarEq);
    m.def("ewise_ge", EwiseGe);
    m.def("scalar_ge", ScalarGe);

    m.def("ewise_log", EwiseLog);
    m.def("ewise_exp", EwiseExp);
    m.def("ewise_tanh", EwiseTanh);

    m.def("matmul", Matmul);
    m.def("matmul_batched", MatmulBatched);

    m.def("reduce_max", ReduceMax);
    m.def("reduce_sum", ReduceSum);
    m.def("reduce_max_strided", ReduceMaxStrided);
    m.def("reduce_sum_strided", ReduceSumStrided);
}
