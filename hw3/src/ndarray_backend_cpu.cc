// ndarray_backend_cpu.cc: needle's C++ CPU backend, the pybind11 module `ndarray_backend_cpu`.
//
// It implements the flat kernel table of ndarray_backend_numpy.py (the executable spec: every
// kernel computes what that file computes, NaN and inf included) over 64-byte-aligned float32
// buffers. NDArray (ndarray.py) keeps shape, strides and offset in Python and passes them here.
//
// Built by `pip install -e .` (CMake: -O3 -march=native -fopenmp-simd -Wall, OpenMP linked), or
// by hand from the repository root:
//   c++ -O3 -march=native -fopenmp -fopenmp-simd -Wall -shared -fPIC -std=c++17
//       $(python -m pybind11 --includes) hw3/src/ndarray_backend_cpu.cc
//       -o hw3/python/needle/backend_ndarray/ndarray_backend_cpu$(python3-config --extension-suffix)
// (one command line).
//
// Speed comes from three things: loops the compiler vectorises (`omp simd`, branch-free bodies),
// OpenMP threads over the cores for big arrays, and a cache-blocked matmul with a register-blocked
// micro-kernel. There is no -ffast-math: comparisons, NaN and inf follow IEEE as numpy's do.
// Without OpenMP the same code runs on one core; without AVX it uses 4-wide vectors.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <mutex>
#include <new>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#ifdef __linux__
#include <sys/mman.h>
#endif
#ifdef _OPENMP
#include <omp.h>
#endif
#if defined(__SSE__)
#include <immintrin.h>
#endif

namespace needle {
namespace cpu {

#define ALIGNMENT 64
typedef float scalar_t;
const size_t ELEM_SIZE = sizeof(scalar_t);
constexpr int64_t TILE = 8;  // matmul_tiled's tile side: operands are [rows/8][cols/8][8][8]

/// Buffers of 1 MB and more are kept when freed (up to 256 MB in all, oldest dropped first) and
/// handed out again for the same size. NDArray makes a fresh output for every op, and glibc would
/// return a freed big block to the system and map it afresh for the next one: a page fault and
/// a zeroed page every 4 KB, which costs as much as a pass of an op over the buffer.
class BufferPool {
 public:
  static constexpr size_t kMinBytes = size_t{1} << 20, kMaxHeld = size_t{256} << 20;

  void* take(size_t bytes) {  // a kept buffer of exactly `bytes`, or nullptr
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto it = blocks_.begin(); it != blocks_.end(); ++it)
      if (it->first == bytes) {
        void* p = it->second;
        held_ -= bytes;
        blocks_.erase(it);
        return p;
      }
    return nullptr;
  }

  void give(void* p, size_t bytes) {  // keep p for reuse, dropping the oldest beyond kMaxHeld
    std::lock_guard<std::mutex> lock(mutex_);
    blocks_.emplace_back(bytes, p);
    held_ += bytes;
    while (held_ > kMaxHeld) {
      held_ -= blocks_.front().first;
      free(blocks_.front().second);
      blocks_.erase(blocks_.begin());
    }
  }

 private:
  std::mutex mutex_;
  std::vector<std::pair<size_t, void*>> blocks_;  // (bytes, buffer), oldest first
  size_t held_ = 0;
};
/// The pool, never destroyed: Python may free arrays after static destructors have run at exit.
static BufferPool& buffer_pool() {
  static BufferPool* pool = new BufferPool;
  return *pool;
}

/// A flat buffer of `size` float32 values, 64-byte aligned (a cache line).
struct AlignedArray {
  explicit AlignedArray(const size_t size) : size(size), bytes(std::max<size_t>(size, 1) * ELEM_SIZE) {
    void* p = bytes >= BufferPool::kMinBytes ? buffer_pool().take(bytes) : nullptr;
    if (p == nullptr) {
      if (posix_memalign(&p, ALIGNMENT, bytes) != 0) throw std::bad_alloc();  // size 0: a valid pointer too
#if defined(__linux__) && defined(MADV_HUGEPAGE)
      // Like numpy, ask for transparent huge pages for big buffers: fewer TLB misses in a pass.
      if (bytes >= (size_t{4} << 20)) {
        const uintptr_t page = 4096, start = (reinterpret_cast<uintptr_t>(p) + page - 1) & ~(page - 1);
        const uintptr_t end = (reinterpret_cast<uintptr_t>(p) + bytes) & ~(page - 1);
        madvise(reinterpret_cast<void*>(start), end - start, MADV_HUGEPAGE);
      }
#endif
    }
    ptr = static_cast<scalar_t*>(p);
  }
  ~AlignedArray() {
    if (bytes >= BufferPool::kMinBytes)
      buffer_pool().give(ptr, bytes);
    else
      free(ptr);
  }
  AlignedArray(const AlignedArray&) = delete;
  AlignedArray& operator=(const AlignedArray&) = delete;
  size_t ptr_as_int() { return reinterpret_cast<size_t>(ptr); }
  scalar_t* ptr;
  size_t size;
  size_t bytes;  // allocated: size 0 still takes one element
};

/// The number of threads a parallel region may use (1 without OpenMP).
inline int max_threads() {
#ifdef _OPENMP
  return omp_get_max_threads();
#else
  return 1;
#endif
}

/// This thread's number in its team and the team's size (0 and 1 outside a parallel region).
inline int thread_num() {
#ifdef _OPENMP
  return omp_get_thread_num();
#else
  return 0;
#endif
}

inline int team_size() {
#ifdef _OPENMP
  return omp_get_num_threads();
#else
  return 1;
#endif
}

// out: (size,), every element = val
void Fill(AlignedArray* out, scalar_t val) {
  scalar_t* __restrict o = out->ptr;
  const int64_t n = out->size;
#pragma omp parallel for simd schedule(static) if (parallel : n >= (int64_t{1} << 16))
  for (int64_t i = 0; i < n; i++) o[i] = val;
}

// BEGIN YOUR SOLUTION
// ---------------------------------------------------------------------------------------------
// Strided views: compact and the two setitems walk a view row by row. Their row loops ask for
// 8-float vectors (simdlen(8)): where AVX-512 exists GCC would take 16, and then rows of 8 (the
// tiles NDArray makes for matmul) would all fall to the scalar remainder loop.

/// Below this many elements a kernel runs on one thread: waking the others costs more.
constexpr int64_t kParallelMin = int64_t{1} << 15;
/// The same for kernels that spend tens of instructions per element (exp, log, tanh, power).
constexpr int64_t kParallelMinHeavy = int64_t{1} << 12;

/// A view (shape, strides, offset) with size-1 axes dropped and each axis merged into the one
/// before it when the pair is contiguous, so most views become a few long rows.
struct View {
  std::vector<int64_t> shape, strides;
  int64_t offset = 0, size = 1;
};

static View simplify(const std::vector<int64_t>& shape, const std::vector<int64_t>& strides, int64_t offset) {
  View v;
  v.offset = offset;
  for (size_t d = 0; d < shape.size(); d++) {
    v.size *= shape[d];
    if (shape[d] == 1) continue;
    if (!v.shape.empty() && v.strides.back() == strides[d] * shape[d]) {
      v.shape.back() *= shape[d];
      v.strides.back() = strides[d];
    } else {
      v.shape.push_back(shape[d]);
      v.strides.push_back(strides[d]);
    }
  }
  if (v.shape.empty()) {  // one element (or none)
    v.shape.push_back(1);
    v.strides.push_back(1);
  }
  return v;
}

/// Calls run(flat, offset, len) for consecutive pieces of the view in row-major order: elements
/// flat .. flat+len-1 of the view sit at offset, offset + s, ..., s = the innermost stride.
/// Threads take equal shares of the elements, so one long row is split too; an odometer over the
/// outer axes moves from row to row with no division per element.
template <class Run>
static void for_each_piece(const View& v, Run run) {
  if (v.size == 0) return;
  const int nd = static_cast<int>(v.shape.size());
  const int64_t inner = v.shape[nd - 1], inner_stride = v.strides[nd - 1];
#pragma omp parallel if (v.size >= kParallelMin)
  {
    const int64_t first = v.size * thread_num() / team_size(), last = v.size * (thread_num() + 1) / team_size();
    if (first < last) {
      std::vector<int64_t> index(nd, 0);
      int64_t rest = first / inner, offset = v.offset;
      for (int d = nd - 2; d >= 0; d--) {
        index[d] = rest % v.shape[d];
        rest /= v.shape[d];
        offset += index[d] * v.strides[d];
      }
      int64_t column = first % inner;
      for (int64_t flat = first; flat < last;) {
        const int64_t len = std::min(inner - column, last - flat);
        run(flat, offset + column * inner_stride, len);
        flat += len;
        column = 0;
        for (int d = nd - 2; d >= 0; d--) {  // the odometer: next row
          offset += v.strides[d];
          if (++index[d] < v.shape[d]) break;
          offset -= v.strides[d] * v.shape[d];
          index[d] = 0;
        }
      }
    }
  }
}

/// Whether the view reads its last two axes across the grain: the next-to-last axis is the
/// contiguous one in memory, as in a transposed matrix. Going row by row through such a view
/// touches a new cache line (and often a new page) for every element.
static bool is_transpose(const View& v) {
  const size_t nd = v.shape.size();
  return v.size > 0 && nd >= 2 && v.strides[nd - 2] == 1 && std::abs(v.strides[nd - 1]) != 1;
}

/// Compact a transposing view: out holds (P, Q) slices, element (p, q) of one at
/// src[at + p + q * sq]. Copies 8 x 8 blocks through a small buffer: 8 contiguous reads of 8
/// and 8 contiguous writes of 8, where an element-by-element walk would stride through memory on
/// one side (and with power-of-two strides, keep evicting its own cache lines).
static void compact_transpose(const View& v, const scalar_t* src, scalar_t* dst) {
  constexpr int64_t B = 8;
  const size_t nd = v.shape.size();
  const int64_t P = v.shape[nd - 2], Q = v.shape[nd - 1], sq = v.strides[nd - 1];
  const int64_t slices = v.size / (P * Q), row_blocks = (P + B - 1) / B;
#pragma omp parallel for schedule(static) if (v.size >= kParallelMin)
  for (int64_t item = 0; item < slices * row_blocks; item++) {
    int64_t rest = item / row_blocks, at = v.offset;  // the slice's offset, from its index
    for (int64_t d = static_cast<int64_t>(nd) - 3; d >= 0; d--) {
      at += rest % v.shape[d] * v.strides[d];
      rest /= v.shape[d];
    }
    const int64_t p0 = item % row_blocks * B;
    scalar_t* out = dst + item / row_blocks * P * Q;
    int64_t q0 = 0;
    if (p0 + B <= P) {
      for (; q0 + B <= Q; q0 += B) {
        scalar_t block[B][B];
        for (int64_t j = 0; j < B; j++)
          for (int64_t i = 0; i < B; i++) block[j][i] = src[at + p0 + i + (q0 + j) * sq];
        for (int64_t i = 0; i < B; i++)
          for (int64_t j = 0; j < B; j++) out[(p0 + i) * Q + q0 + j] = block[j][i];
      }
    }
    for (int64_t p = p0; p < std::min(P, p0 + B); p++)  // the edges, one by one
      for (int64_t q = q0; q < Q; q++) out[p * Q + q] = src[at + p + q * sq];
  }
}

// ---------------------------------------------------------------------------------------------
// Explicit vectors, for what the compiler does not vectorise by itself: the matmul micro-kernel
// and sqrt (GCC vector extensions; intrinsics where they say more than the extensions can).

#if defined(__AVX__)
constexpr int VW = 8;  // floats per vector register
#else
constexpr int VW = 4;  // SSE, NEON
#endif
typedef float vfloat __attribute__((vector_size(VW * sizeof(float))));
static inline vfloat vload(const float* p) {
  vfloat v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
static inline void vstore(float* p, vfloat v) { std::memcpy(p, &v, sizeof v); }
static inline vfloat vbroadcast(const float* x) {
#if defined(__AVX__)
  return _mm256_broadcast_ss(x);
#else
  vfloat v;
  for (int i = 0; i < VW; i++) v[i] = *x;
  return v;
#endif
}
static inline vfloat vsqrt(vfloat v) {  // IEEE sqrt, which std::sqrt in a loop is not vectorised to
#if defined(__AVX__)
  return _mm256_sqrt_ps(v);
#elif defined(__SSE__)
  return _mm_sqrt_ps(v);
#else
  for (int i = 0; i < VW; i++) v[i] = std::sqrt(v[i]);
  return v;
#endif
}
static inline vfloat vfma(vfloat a, vfloat b, vfloat c) {
#if defined(__FMA__) && defined(__AVX__)
  return _mm256_fmadd_ps(a, b, c);
#else
  return a * b + c;
#endif
}

// ---------------------------------------------------------------------------------------------
// Elementwise maps: out[i] = f(a[i]) or f(a[i], b[i]), vectorised and split over the threads.
// f is copied into each thread (firstprivate), so what it captures is in registers, not loaded
// through a pointer in every iteration. The size test is `if (parallel : ...)`: a bare `if` on
// `parallel for simd` also applies to the simd part (OpenMP 5), and small arrays would run scalar.

/// For cheap f, bound by memory: simdlen(8) asks for 8-float vectors. Where AVX-512 exists GCC
/// would take 16, and 512-bit loads and stores stream memory ~15% slower on AMD Zen 4.
template <class F>
static void map1(const AlignedArray& a, AlignedArray* out, F f) {
  const scalar_t* __restrict x = a.ptr;
  scalar_t* __restrict y = out->ptr;
  const int64_t n = out->size;
#pragma omp parallel for simd simdlen(8) schedule(static) if (parallel : n >= kParallelMin) firstprivate(f)
  for (int64_t i = 0; i < n; i++) y[i] = f(x[i]);
}

/// For f of tens of instructions (exp, log, tanh, pow): the widest vectors, since these loops wait
/// on chains of dependent FMAs and a wider vector carries more elements down each chain; and
/// threads from fewer elements on.
template <class F>
static void map1_math(const AlignedArray& a, AlignedArray* out, F f) {
  const scalar_t* __restrict x = a.ptr;
  scalar_t* __restrict y = out->ptr;
  const int64_t n = out->size;
#pragma omp parallel for simd schedule(static) if (parallel : n >= kParallelMinHeavy) firstprivate(f)
  for (int64_t i = 0; i < n; i++) y[i] = f(x[i]);
}

template <class F>
static void map2(const AlignedArray& a, const AlignedArray& b, AlignedArray* out, F f) {
  const scalar_t* __restrict x = a.ptr;
  const scalar_t* __restrict z = b.ptr;
  scalar_t* __restrict y = out->ptr;
  const int64_t n = out->size;
#pragma omp parallel for simd simdlen(8) schedule(static) if (parallel : n >= kParallelMin) firstprivate(f)
  for (int64_t i = 0; i < n; i++) y[i] = f(x[i], z[i]);
}

/// out = sqrt(a), whole vectors through the sqrt instruction, the tail by std::sqrt.
static void sqrt_map(const AlignedArray& a, AlignedArray* out) {
  const int64_t n = out->size, vectors = n / VW;
#pragma omp parallel for schedule(static) if (n >= kParallelMin)
  for (int64_t v = 0; v < vectors; v++) vstore(out->ptr + v * VW, vsqrt(vload(a.ptr + v * VW)));
  for (int64_t i = vectors * VW; i < n; i++) out->ptr[i] = std::sqrt(a.ptr[i]);
}

/// numpy's maximum: NaN if either is NaN, else the larger (b when they compare equal).
static inline float max_nan(float a, float b) { return (a > b || a != a) ? a : b; }

// ---------------------------------------------------------------------------------------------
// Vectorisable exp, log, tanh and pow. glibc's expf/logf are scalar calls that stop the loop from
// vectorising (without -ffast-math), so these are written out: range reduction plus a polynomial
// (Cephes' coefficients for the float ones), special values by branch-free selects. Largest
// errors against the exact result, over all 2^32 floats: exp 1.01 ulp, log 0.83, tanh 1.33;
// pow 0.51 ulp over 10^7 random floats for each of several exponents. (numpy 2.4's own float32
// versions, on the same AVX-512 machine: 2.54, 3.83, 1.37 and 1.0 ulp.)

static inline float as_float(uint32_t u) {
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}
static inline uint32_t as_bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return u;
}
static inline double as_double(uint64_t u) {
  double f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}
static inline uint64_t as_bits(double f) {
  uint64_t u;
  std::memcpy(&u, &f, sizeof u);
  return u;
}

/// a * b + c, fused where the hardware has FMA (one rounding), plain otherwise.
static inline float mul_add(float a, float b, float c) {
#ifdef FP_FAST_FMAF
  return std::fma(a, b, c);
#else
  return a * b + c;
#endif
}
static inline double mul_add(double a, double b, double c) {
#ifdef FP_FAST_FMA
  return std::fma(a, b, c);
#else
  return a * b + c;
#endif
}

/// c ? a : b, as bit masks: GCC keeps a ternary as a branch when an arm does arithmetic (which
/// might trap, and may not be done speculatively), and a branch stops the loop vectorising.
static inline float select(bool c, float a, float b) {
  const uint32_t mask = 0u - static_cast<uint32_t>(c);
  return as_float((as_bits(a) & mask) | (as_bits(b) & ~mask));
}
static inline double select(bool c, double a, double b) {
  const uint64_t mask = 0ull - static_cast<uint64_t>(c);
  return as_double((as_bits(a) & mask) | (as_bits(b) & ~mask));
}

constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

/// e^x: x = n ln2 + r with |r| <= ln2/2, e^x = 2^n e^r. 2^n is applied as two halves so that
/// results near overflow and in the subnormal range round once, like a correctly rounded exp.
static inline float exp_f32(float x) {
  x = x > 89.0f ? 89.0f : x;  // written so that NaN passes through both clamps
  x = x < -104.0f ? -104.0f : x;
  const float shifter = 0x1.8p23f;  // adding it rounds x/ln2 to an integer, kept in the low bits
  const float z = mul_add(x, 1.44269504088896341f, shifter);
  const float n = z - shifter;
  float r = mul_add(n, -0.693359375f, x);  // ln2 = 0.693359375 - 2.12194440e-4, in two parts
  r = mul_add(n, 2.12194440e-4f, r);
  float p = 1.9875691500e-4f;
  p = mul_add(p, r, 1.3981999507e-3f);
  p = mul_add(p, r, 8.3334519073e-3f);
  p = mul_add(p, r, 4.1665795894e-2f);
  p = mul_add(p, r, 1.6666665459e-1f);
  p = mul_add(p, r, 5.0000001201e-1f);
  p = mul_add(p, r * r, r) + 1.0f;
  const int32_t k = static_cast<int32_t>(as_bits(z) - as_bits(shifter));  // n, in [-150, 129]
  const int32_t k1 = k / 2, k2 = k - k1;
  return p * as_float(static_cast<uint32_t>(k1 + 127) << 23) * as_float(static_cast<uint32_t>(k2 + 127) << 23);
}

/// ln x: x = m 2^e with m in [sqrt(1/2), sqrt(2)), ln x = e ln2 + ln m, ln m by a polynomial in
/// m - 1. Subnormal x are scaled by 2^23 first. ln 0 = -inf, ln(negative) = NaN, ln inf = inf.
static inline float log_f32(float x) {
  const bool subnormal = x < 0x1p-126f;
  const uint32_t bits = as_bits(select(subnormal, x * 0x1p23f, x));
  const float e0 = static_cast<float>(static_cast<int32_t>(bits >> 23) - 127) - select(subnormal, 23.0f, 0.0f);
  const float m0 = as_float((bits & 0x007fffffu) | 0x3f800000u);  // [1, 2)
  const bool high = m0 > 1.41421356f;
  const float m = select(high, m0 * 0.5f, m0), e = select(high, e0 + 1.0f, e0);
  const float f = m - 1.0f, z = f * f;
  float p = 7.0376836292e-2f;
  p = mul_add(p, f, -1.1514610310e-1f);
  p = mul_add(p, f, 1.1676998740e-1f);
  p = mul_add(p, f, -1.2420140846e-1f);
  p = mul_add(p, f, 1.4249322787e-1f);
  p = mul_add(p, f, -1.6668057665e-1f);
  p = mul_add(p, f, 2.0000714765e-1f);
  p = mul_add(p, f, -2.4999993993e-1f);
  p = mul_add(p, f, 3.3333331174e-1f);
  float y = p * f * z;
  y = mul_add(e, -2.12194440e-4f, y);
  y = mul_add(z, -0.5f, y);
  const float r = mul_add(e, 0.693359375f, f + y);
  const float special = select(x == 0.0f, -kInf, select(x == kInf, kInf, kNaN));
  return select((x > 0.0f) & (x < kInf), r, special);
}

/// tanh x: an odd polynomial for |x| < 0.625 (keeps relative accuracy down to subnormals),
/// 1 - 2 / (e^2|x| + 1) with x's sign above (which reaches +-1 and takes inf to +-1).
static inline float tanh_f32(float x) {
  const float ax = std::fabs(x), z = x * x;
  float p = -5.70498872745e-3f;
  p = mul_add(p, z, 2.06390887954e-2f);
  p = mul_add(p, z, -5.37397155531e-2f);
  p = mul_add(p, z, 1.33314422036e-1f);
  p = mul_add(p, z, -3.33332819422e-1f);
  const float small = mul_add(p * z, x, x);
  const float large = std::copysign(1.0f - 2.0f / (exp_f32(2.0f * ax) + 1.0f), x);
  return select(ax < 0.625f, small, large);
}

/// log2 x in double for x >= 0 (a float widened, so never subnormal as a double), to ~1e-12
/// relative: pow below then stays within ~0.51 ulp. The polynomials are evaluated in Estrin's
/// scheme (pairs, then pairs of pairs) rather than Horner's: shorter chains of dependent FMAs.
static inline double log2_f64(double x) {
  const uint64_t bits = as_bits(x);
  // the exponent field, turned into a double with the 2^52 trick (no int64 -> double convert)
  const double e0 = as_double((bits >> 52) | 0x4330000000000000ull) - (0x1p52 + 1023.0);
  const double m0 = as_double((bits & 0x000fffffffffffffull) | 0x3ff0000000000000ull);  // [1, 2)
  const bool high = m0 > 1.4142135623730951;
  const double m = select(high, m0 * 0.5, m0), e = select(high, e0 + 1.0, e0);
  // ln m = 2 atanh(s) = 2 (s + s^3/3 + ... + s^11/11), s = (m - 1) / (m + 1), |s| <= 0.172
  const double s = (m - 1.0) / (m + 1.0), u = s * s, u2 = u * u;
  const double q = mul_add(u2, mul_add(u2, 1.0 / 11, mul_add(u, 1.0 / 9, 1.0 / 7)), mul_add(u, 1.0 / 5, 1.0 / 3));
  const double ln_m = 2.0 * mul_add(s * u, q, s);
  const double r = mul_add(ln_m, 1.4426950408889634, e);
  return select((x > 0.0) & (x < HUGE_VAL), r, select(x == 0.0, -HUGE_VAL, x));  // log2 inf = inf, NaN stays
}

/// 2^t in double for any t (NaN stays NaN); t beyond +-200 saturates, which as a float is
/// already inf or 0. 2^t = 2^n 2^f with |f| <= 1/2, 2^f by its Taylor polynomial of degree 8
/// (relative error 2e-10), in Estrin's scheme.
static inline double exp2_f64(double t) {
  t = t > 200.0 ? 200.0 : t;
  t = t < -200.0 ? -200.0 : t;
  const double shifter = 0x1.8p52;
  const double z = t + shifter, f = t - (z - shifter);
  const double f2 = f * f, f4 = f2 * f2;
  // (ln 2)^k / k!, k = 0 .. 8
  const double p01 = mul_add(f, 0.6931471805599453, 1.0), p23 = mul_add(f, 0.05550410866482158, 0.2402265069591007);
  const double p45 = mul_add(f, 1.3333558146428443e-3, 9.618129107628477e-3);
  const double p67 = mul_add(f, 1.525273380405984e-5, 1.5403530393381606e-4);
  const double p03 = mul_add(f2, p23, p01), p47 = mul_add(f2, p67, p45);
  const double p = mul_add(f4, mul_add(f4, 1.3215486790144307e-6, p47), p03);
  return p * as_double((as_bits(z) + 1023) << 52);  // n's bits sit in z's low mantissa bits
}

// ---------------------------------------------------------------------------------------------
// Reductions over rows of a compact array.

/// Partial results kept side by side (8 vectors of 8): enough independent chains to hide the
/// latency of each add or max.
constexpr int kLanes = 64;
/// Rows longer than this are summed as two halves (pairwise), as numpy does, so rounding error
/// grows with log(n), not n.
constexpr int64_t kSumBlock = 4096;

static float sum_pairwise(const float* __restrict x, int64_t n) {
  if (n > kSumBlock) {
    const int64_t half = (n / 2 + kLanes - 1) / kLanes * kLanes;
    return sum_pairwise(x, half) + sum_pairwise(x + half, n - half);
  }
  float acc[kLanes] = {};
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes)
    for (int j = 0; j < kLanes; j++) acc[j] += x[i + j];
  for (int j = 0; i + j < n; j++) acc[j] += x[i + j];
  for (int width = kLanes / 2; width > 0; width /= 2)
    for (int j = 0; j < width; j++) acc[j] += acc[j + width];
  return acc[0];
}

/// The max of a row, NaN if it holds one. The lanes keep plain maxima (one max instruction) and a
/// separate NaN flag, which is cheaper than a NaN-propagating max in every step.
static float max_row(const float* __restrict x, int64_t n) {
  float acc[kLanes];
  int32_t nan[kLanes] = {};
  for (int j = 0; j < kLanes; j++) acc[j] = x[0];  // n >= 1; max ignores repeats
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes)
    for (int j = 0; j < kLanes; j++) {
      const float v = x[i + j];
      acc[j] = v > acc[j] ? v : acc[j];
      nan[j] |= v != v;
    }
  for (int j = 0; i + j < n; j++) {
    const float v = x[i + j];
    acc[j] = v > acc[j] ? v : acc[j];
    nan[j] |= v != v;
  }
  float r = acc[0];
  int32_t any_nan = 0;
  for (int j = 0; j < kLanes; j++) {
    r = acc[j] > r ? acc[j] : r;
    any_nan |= nan[j];
  }
  return any_nan ? kNaN : r;
}

/// The buffer holds out.size rows of reduce_size > 0 elements, else ValueError (as numpy's reshape).
static void check_reduce(const char* name, const AlignedArray& a, const AlignedArray& out, size_t reduce_size) {
  if (reduce_size == 0 || a.size != out.size * reduce_size)
    throw std::invalid_argument(std::string(name) + ": a buffer of " + std::to_string(a.size) +
                                " elements does not hold " + std::to_string(out.size) + " rows of " +
                                std::to_string(reduce_size));
}

/// out[i] = reduce(row(a + i * n, n)) for each row; combine merges the partial results of one
/// row split over the threads, which happens when there are fewer rows than threads.
template <class Row, class Combine>
static void reduce_rows(const AlignedArray& a, AlignedArray* out, int64_t n, Row row, Combine combine) {
  const int64_t rows = out->size;
  const int threads = max_threads();
  if (rows >= threads || n < kParallelMin) {
#pragma omp parallel for schedule(static) if (rows * n >= kParallelMin && rows > 1)
    for (int64_t i = 0; i < rows; i++) out->ptr[i] = row(a.ptr + i * n, n);
    return;
  }
  for (int64_t i = 0; i < rows; i++) {
    std::vector<float> part(threads);
    int used = 1;
#pragma omp parallel num_threads(threads)
    {
      const int64_t first = n * thread_num() / team_size(), last = n * (thread_num() + 1) / team_size();
      part[thread_num()] = row(a.ptr + i * n + first, last - first);
      if (thread_num() == 0) used = team_size();
    }
    float r = part[0];
    for (int t = 1; t < used; t++) r = combine(r, part[t]);
    out->ptr[i] = r;
  }
}

// ---------------------------------------------------------------------------------------------
// Matmul: a GotoBLAS/BLIS-style GEMM. C is computed in NC-column, KC-deep panels; B's panel is
// packed once into NR-wide slivers (shared, in L2/L3), each thread packs an MC-row block of A
// into MR-tall slivers (its own L2), and a micro-kernel keeps an MR x NR block of C in
// registers while it runs over KC. Packing also makes the row-major and the tiled layouts look
// the same to the micro-kernel, so one driver serves matmul and matmul_tiled.
//
// Thin products skip the packing that does not pay. A packed element of B is used once per
// MR-row sliver of A, and one of A once per NR-column sliver of B: when A has only a few slivers
// (m small), copying B costs as much as the arithmetic, and so does copying A when B has few (p
// small). A row-major operand is then read where it lies: the micro-kernel takes strides, and NR
// columns of a row of B, like a row of A, are contiguous. Only the full slivers are read in
// place; an edge sliver (fewer than MR rows or NR columns left) is still packed, with zeros, so
// the micro-kernel never reads past the operand. A's last sliver, when short, runs the
// micro-kernel with MR/3 or 2MR/3 rows instead of computing MR (a batch of 16 rows is 12 + 4).

#if defined(__AVX512VL__) || defined(__aarch64__)
constexpr int MR = 12;  // 32 vector registers: 24 accumulators + 2 of B + 1 of A
#else
constexpr int MR = 6;   // 16 vector registers: 12 accumulators + 2 of B + 1 of A
#endif
constexpr int NR = 2 * VW;
// Block sizes, tuned on AMD Zen 4 (32 KB L1d, 1 MB L2 per core, 32 MB L3); within 5% from
// KC = 256..512 and MC = 72..144.
constexpr int64_t KC = 384;   // depth: B's sliver, KC x NR (24 KB), stays in L1 while A's slivers pass
constexpr int64_t MC = 72;    // A's block, MC x KC (108 KB), stays in L2
constexpr int64_t NC = 4096;  // B's panel, KC x NC (6 MB), stays in L3
// Read a row-major B in place when A has at most this many MR-row slivers, and a row-major A
// when B's panel has at most this many NR-column slivers (measured on Zen 4: benchmarks/README.md).
constexpr int64_t kInPlaceB = 16;
constexpr int64_t kInPlaceA = 8;

/// Where element (i, j) of a matrix sits: row-major, or in 8x8 tiles ([rows/8][cols/8][8][8]).
/// Both keep 8 consecutive columns (from a multiple of 8) contiguous, which packing relies on:
/// offset(i, j) = row(i) + col(j), col(j) = (j / 8) * group_stride + j % 8.
struct Layout {
  int64_t row_stride, row_tile_stride, group_stride;
  static Layout row_major(int64_t cols) { return {cols, 8 * cols, 8}; }
  static Layout tiled(int64_t cols) { return {TILE, TILE * cols, TILE * TILE}; }
  int64_t row(int64_t i) const { return (i >> 3) * row_tile_stride + (i & 7) * row_stride; }
  int64_t col(int64_t j) const { return (j >> 3) * group_stride + (j & 7); }
  bool is_row_major() const { return group_stride == 8; }  // then row(i) = i * row_stride, col(j) = j
};

/// A 64-byte-aligned scratch buffer that only grows, so repeated matmuls reuse warm pages.
/// Module-global: kernels run with the GIL held, so only one matmul uses it at a time.
struct Scratch {
  float* ptr = nullptr;
  size_t cap = 0;
  float* get(size_t n) {
    if (n > cap) {
      free(ptr);
      void* p = nullptr;
      if (posix_memalign(&p, ALIGNMENT, n * sizeof(float)) != 0) throw std::bad_alloc();
      ptr = static_cast<float*>(p);
      cap = n;
    }
    return ptr;
  }
};
static Scratch pack_a_scratch, pack_b_scratch;

/// Packs rows [i0, i0 + mc) x columns [k0, k0 + kc) of A into MR-row slivers: sliver s holds, for
/// each k, A[i0 + s*MR + r][k0 + k] at s*MR*kc + k*MR + r. Rows past the block are zeros.
static void pack_a(const float* A, Layout la, int64_t i0, int64_t mc, int64_t k0, int64_t kc, float* dst) {
  for (int64_t s = 0; s < mc; s += MR, dst += MR * kc) {
    for (int r = 0; r < MR; r++) {
      if (s + r >= mc) {
        for (int64_t k = 0; k < kc; k++) dst[k * MR + r] = 0.0f;
        continue;
      }
      const float* row = A + la.row(i0 + s + r);
      int64_t k = 0;
      for (; k + 8 <= kc; k += 8) {  // k0 is a multiple of 8: a group of 8 is contiguous
        const float* src = row + la.col(k0 + k);
        for (int t = 0; t < 8; t++) dst[(k + t) * MR + r] = src[t];
      }
      for (; k < kc; k++) dst[k * MR + r] = row[la.col(k0 + k)];
    }
  }
}

/// Packs rows [k0, k0 + kc) x columns [j0, j0 + nc) of B into NR-column slivers: sliver s holds
/// B[k0 + k][j0 + s*NR + t] at s*NR*kc + k*NR + t. Columns past p are zeros. Threads share it.
static void pack_b(const float* B, Layout lb, int64_t p, int64_t k0, int64_t kc, int64_t j0, int64_t nc, float* dst) {
  const int64_t slivers = (nc + NR - 1) / NR;
#pragma omp for schedule(static)
  for (int64_t s = 0; s < slivers; s++) {
    float* d = dst + s * NR * kc;
    const int64_t j = j0 + s * NR;
    for (int64_t k = 0; k < kc; k++, d += NR) {
      const float* row = B + lb.row(k0 + k);
      if (j + NR <= p) {  // j is a multiple of 8: NR/8 contiguous groups
        for (int g = 0; g < NR; g += 8) {
          const float* src = row + lb.col(j + g);
          for (int t = 0; t < 8; t++) d[g + t] = src[t];
        }
      } else {
        for (int t = 0; t < NR; t++) d[t] = j + t < p ? row[lb.col(j + t)] : 0.0f;
      }
    }
  }
}

/// A's sliver of R (<= MR) rows and kc columns: element (r, k) at a[r * row + k * step]. Packed:
/// row 1, step MR; in place in a row-major A: row = A's row stride, step 1.
struct SliverA {
  const float* a;
  int64_t row, step;
};

/// C[i0 .. i0+R) x [j0 .. j0+NR) = (or +=, if accumulate) A's sliver (R x kc) @ B's sliver
/// (kc x NR; row k at b + k * ldb, NR contiguous floats): R * NR/VW vector accumulators, one
/// broadcast of A times two vectors of B per row and k. j0 is a multiple of 8, so each vector
/// of C is contiguous in either layout. R < MR serves the last sliver of a thin A.
template <int R>
__attribute__((always_inline)) static inline void micro_kernel(int64_t kc, SliverA sa, const float* __restrict b,
                                                               int64_t ldb, float* c, Layout lc, int64_t i0,
                                                               int64_t j0, bool accumulate) {
  vfloat acc[R][2];
  for (int r = 0; r < R; r++) acc[r][0] = acc[r][1] = vfloat{};
  const float* __restrict a = sa.a;
  for (int64_t k = 0; k < kc; k++, a += sa.step, b += ldb) {
    const vfloat b0 = vload(b), b1 = vload(b + VW);
#pragma GCC unroll 16
    for (int r = 0; r < R; r++) {
      const vfloat ar = vbroadcast(a + r * sa.row);
      acc[r][0] = vfma(ar, b0, acc[r][0]);
      acc[r][1] = vfma(ar, b1, acc[r][1]);
    }
  }
  for (int r = 0; r < R; r++) {
    float* row = c + lc.row(i0 + r);
    float* c0 = row + lc.col(j0);
    float* c1 = row + lc.col(j0 + VW);
    if (accumulate) {
      acc[r][0] += vload(c0);
      acc[r][1] += vload(c1);
    }
    vstore(c0, acc[r][0]);
    vstore(c1, acc[r][1]);
  }
}

/// micro_kernel for an MR-row sliver, packed (step MR: constant strides, so the compiler
/// specialises it) or in place (step 1); for a shorter one (always packed), the fewest rows, in
/// steps of MR/3, that cover it.
static void micro_kernel_any(int64_t rows, int64_t kc, SliverA sa, const float* b, int64_t ldb, float* c, Layout lc,
                             int64_t i0, int64_t j0, bool accumulate) {
  if (rows > 2 * MR / 3) {
    if (sa.step == MR)
      micro_kernel<MR>(kc, {sa.a, 1, MR}, b, ldb, c, lc, i0, j0, accumulate);
    else
      micro_kernel<MR>(kc, {sa.a, sa.row, 1}, b, ldb, c, lc, i0, j0, accumulate);
  } else if (rows > MR / 3) {
    micro_kernel<2 * MR / 3>(kc, {sa.a, 1, MR}, b, ldb, c, lc, i0, j0, accumulate);
  } else {
    micro_kernel<MR / 3>(kc, {sa.a, 1, MR}, b, ldb, c, lc, i0, j0, accumulate);
  }
}

/// Where the macro-kernel finds its operands: rows [0, a_in_place) of the block in A itself
/// (row-major, from column k0), the rest packed in apack from that row on; columns [0,
/// b_in_place) of the panel in B itself (row-major, from row k0), the rest packed in bpack.
struct Operands {
  const float* A;
  Layout la;
  int64_t a_in_place;
  const float* apack;
  const float* B;
  Layout lb;
  int64_t b_in_place;
  const float* bpack;
};

/// C's block [i0, i0 + mc) x [j0 + jr0, j0 + jr1) over depth [k0, k0 + kc). Edge blocks (fewer
/// than MR rows or NR columns of C left) go through a scratch tile.
static void macro_kernel(int64_t mc, int64_t jr0, int64_t jr1, int64_t k0, int64_t kc, const Operands& op, float* C,
                         Layout lc, int64_t m, int64_t p, int64_t i0, int64_t j0, bool accumulate) {
  for (int64_t jr = jr0; jr < jr1; jr += NR) {
    const bool b_direct = jr < op.b_in_place;
    const float* b = b_direct ? op.B + k0 * op.lb.row_stride + j0 + jr : op.bpack + (jr - op.b_in_place) * kc;
    const int64_t ldb = b_direct ? op.lb.row_stride : NR;
    for (int64_t ir = 0; ir < mc; ir += MR) {
      const SliverA a = ir < op.a_in_place ? SliverA{op.A + (i0 + ir) * op.la.row_stride + k0, op.la.row_stride, 1}
                                           : SliverA{op.apack + (ir - op.a_in_place) * kc, 1, MR};
      const int64_t rows = std::min<int64_t>(MR, m - (i0 + ir)), cols = std::min<int64_t>(NR, p - (j0 + jr));
      if (rows == MR && cols == NR) {
        micro_kernel_any(rows, kc, a, b, ldb, C, lc, i0 + ir, j0 + jr, accumulate);
        continue;
      }
      alignas(ALIGNMENT) float tile[MR * NR];
      micro_kernel_any(rows, kc, a, b, ldb, tile, Layout::row_major(NR), 0, 0, false);
      for (int64_t r = 0; r < rows; r++) {
        float* row = C + lc.row(i0 + ir + r);
        for (int64_t t = 0; t < cols; t++) {
          float& dst = row[lc.col(j0 + jr + t)];
          dst = accumulate ? dst + tile[r * NR + t] : tile[r * NR + t];
        }
      }
    }
  }
}

/// C (m x p) = A (m x n) @ B (n x p), each in its own layout.
static void gemm(const float* A, Layout la, const float* B, Layout lb, float* C, Layout lc, int64_t m, int64_t n,
                 int64_t p) {
  if (m == 0 || p == 0) return;
  if (n == 0) {
    std::fill(C, C + m * p, 0.0f);
    return;
  }
  // Work items: blocks of rows of A, as many per thread; when A fits in one block (m <= MC, and
  // B has a sliver for each thread) or has fewer MR-row slivers than there are threads, each
  // block's columns of B are split too, and the block packed (or read) by each.
  // Block b takes slivers [S b / blocks, S (b + 1) / blocks), so blocks differ by one at most.
  const int threads = m * n * p >= (int64_t{1} << 18) ? max_threads() : 1;
  const int64_t S = (m + MR - 1) / MR, P = (std::min(NC, p) + NR - 1) / NR;  // slivers of A, of B's panel
  const int64_t blocks =
      S * MR <= MC && P >= threads ? 1 : std::min(S, ((S * MR + MC - 1) / MC + threads - 1) / threads * threads);
  const int64_t mc_max = (S + blocks - 1) / blocks * MR;
  const int64_t splits = blocks < threads ? (threads + blocks - 1) / blocks : 1;
  const bool b_in_place = lb.is_row_major() && S <= kInPlaceB;
  // A's rows 4 KB apart (n a multiple of 1024) would all fall in one L1 set, and evict each other
  // between B's slivers: such an A is read in place only when B has one sliver.
  const bool a_in_place = la.is_row_major() && (P == 1 || (P <= kInPlaceA && la.row_stride % 1024 != 0));
  float* bpack = pack_b_scratch.get(KC * (b_in_place ? NR : (std::min(NC, p) + NR - 1) / NR * NR));
  float* apack_all = pack_a_scratch.get(static_cast<size_t>(threads) * (a_in_place ? MR : mc_max) * KC);
#pragma omp parallel num_threads(threads)
  {
    float* apack = apack_all + thread_num() * (a_in_place ? MR : mc_max) * KC;
    for (int64_t jc = 0; jc < p; jc += NC) {
      const int64_t nc = std::min(NC, p - jc), slivers = (nc + NR - 1) / NR;
      const int64_t jb = b_in_place ? nc / NR * NR : 0;  // columns read in place
      for (int64_t pc = 0; pc < n; pc += KC) {
        const int64_t kc = std::min(KC, n - pc);
        if (jb < nc) pack_b(B, lb, p, pc, kc, jc + jb, nc - jb, bpack);  // an omp for: ends in a barrier
#pragma omp for schedule(static)
        for (int64_t item = 0; item < blocks * splits; item++) {
          const int64_t blk = item / splits, split = item % splits;
          const int64_t ic = S * blk / blocks * MR, mc = std::min(S * (blk + 1) / blocks * MR, m) - ic;
          const int64_t jr0 = slivers * split / splits * NR, jr1 = std::min(nc, slivers * (split + 1) / splits * NR);
          if (jr0 >= jr1) continue;  // more threads than B's slivers
          const int64_t ia = a_in_place ? mc / MR * MR : 0;  // rows read in place
          if (ia < mc) pack_a(A, la, ic + ia, mc - ia, pc, kc, apack);
          const Operands op{A, la, ia, apack, B, lb, jb, bpack};
          macro_kernel(mc, jr0, jr1, pc, kc, op, C, lc, m, p, ic, jc, pc > 0);
        }  // the barrier here keeps bpack until every thread is done with it
      }
    }
  }
}

/// The oracle of gemm: C (m x p) = A (m x n) @ B (n x p), one dot product at a time, in any
/// layout. Small products take this path (packing would cost more than it saves); building
/// with -DNAIVE_MATMUL_MAX=9223372036854775807 sends every product here, to check gemm.
static void matmul_naive(const float* A, Layout la, const float* B, Layout lb, float* C, Layout lc, int64_t m,
                         int64_t n, int64_t p) {
  for (int64_t i = 0; i < m; i++)
    for (int64_t j = 0; j < p; j++) {
      float sum = 0.0f;
      for (int64_t k = 0; k < n; k++) sum += A[la.row(i) + la.col(k)] * B[lb.row(k) + lb.col(j)];
      C[lc.row(i) + lc.col(j)] = sum;
    }
}

#ifndef NAIVE_MATMUL_MAX
#define NAIVE_MATMUL_MAX 4096
#endif

/// The buffers hold (m, n), (n, p) and (m, p) matrices, else ValueError (as numpy's reshape).
static void check_matmul(const char* name, const AlignedArray& a, const AlignedArray& b, const AlignedArray& out,
                         int64_t m, int64_t n, int64_t p) {
  if (a.size != static_cast<size_t>(m * n) || b.size != static_cast<size_t>(n * p) ||
      out.size != static_cast<size_t>(m * p))
    throw std::invalid_argument(std::string(name) + ": buffers of " + std::to_string(a.size) + ", " +
                                std::to_string(b.size) + " and " + std::to_string(out.size) +
                                " elements do not hold (m, n), (n, p) and (m, p) matrices");
}

/// matmul_naive for small products, gemm for the others.
static void matmul_any(const float* A, Layout la, const float* B, Layout lb, float* C, Layout lc, int64_t m,
                       int64_t n, int64_t p) {
  if (m * n * p <= static_cast<int64_t>(NAIVE_MATMUL_MAX))
    matmul_naive(A, la, B, lb, C, lc, m, n, p);
  else
    gemm(A, la, B, lb, C, lc, m, n, p);
}
// END YOUR SOLUTION

// a: buffer holding the view (shape, strides, offset); out: (prod(shape),) compact, row-major
void Compact(const AlignedArray& a, AlignedArray* out, std::vector<int64_t> shape, std::vector<int64_t> strides,
             int64_t offset) {
  // BEGIN YOUR SOLUTION
  const View v = simplify(shape, strides, offset);
  const int64_t s = v.strides.back();
  const scalar_t* src = a.ptr;
  scalar_t* dst = out->ptr;
  if (is_transpose(v)) return compact_transpose(v, src, dst);
  for_each_piece(v, [=](int64_t flat, int64_t at, int64_t len) {
    if (s == 1) {
#pragma omp simd simdlen(8)
      for (int64_t k = 0; k < len; k++) dst[flat + k] = src[at + k];
    } else {
      for (int64_t k = 0; k < len; k++) dst[flat + k] = src[at + k * s];
    }
  });
  // END YOUR SOLUTION
}

// a: (prod(shape),) compact; out: buffer whose view (shape, strides, offset) is set to a
void EwiseSetitem(const AlignedArray& a, AlignedArray* out, std::vector<int64_t> shape, std::vector<int64_t> strides,
                  int64_t offset) {
  // BEGIN YOUR SOLUTION
  const View v = simplify(shape, strides, offset);
  const int64_t s = v.strides.back();
  // a[...] = a through a rearranging view reads elements it has already written: copy a first,
  // as numpy does when source and destination overlap
  std::vector<scalar_t> copy;
  const scalar_t* src = a.ptr;
  if (a.ptr == out->ptr && v.size > 0) {
    copy.assign(a.ptr, a.ptr + v.size);
    src = copy.data();
  }
  scalar_t* dst = out->ptr;
  for_each_piece(v, [=](int64_t flat, int64_t at, int64_t len) {
    if (s == 1) {
#pragma omp simd simdlen(8)
      for (int64_t k = 0; k < len; k++) dst[at + k] = src[flat + k];
    } else {
      for (int64_t k = 0; k < len; k++) dst[at + k * s] = src[flat + k];
    }
  });
  // END YOUR SOLUTION
}

// out: buffer whose view (shape, strides, offset), size elements, is set to val
void ScalarSetitem(const size_t size, scalar_t val, AlignedArray* out, std::vector<int64_t> shape,
                   std::vector<int64_t> strides, int64_t offset) {
  // BEGIN YOUR SOLUTION
  const View v = simplify(shape, strides, offset);
  const int64_t s = v.strides.back();
  scalar_t* dst = out->ptr;
  for_each_piece(v, [=](int64_t, int64_t at, int64_t len) {
    if (s == 1) {
#pragma omp simd simdlen(8)
      for (int64_t k = 0; k < len; k++) dst[at + k] = val;
    } else {
      for (int64_t k = 0; k < len; k++) dst[at + k * s] = val;
    }
  });
  // END YOUR SOLUTION
}

// a, b, out: (size,) compact; out = a + b
void EwiseAdd(const AlignedArray& a, const AlignedArray& b, AlignedArray* out) {
  // BEGIN YOUR SOLUTION
  map2(a, b, out, [](float x, float y) { return x + y; });
  // END YOUR SOLUTION
}

// a, out: (size,) compact; out = a + val
void ScalarAdd(const AlignedArray& a, scalar_t val, AlignedArray* out) {
  // BEGIN YOUR SOLUTION
  map1(a, out, [=](float x) { return x + val; });
  // END YOUR SOLUTION
}

// a, b, out: (size,) compact; out = a * b
void EwiseMul(const AlignedArray& a, const AlignedArray& b, AlignedArray* out) {
  // BEGIN YOUR SOLUTION
  map2(a, b, out, [](float x, float y) { return x * y; });
  // END YOUR SOLUTION
}

// a, out: (size,) compact; out = a * val
void ScalarMul(const AlignedArray& a, scalar_t val, AlignedArray* out) {
  // BEGIN YOUR SOLUTION
  map1(a, out, [=](float x) { return x * val; });
  // END YOUR SOLUTION
}

// a, b, out: (size,) compact; out = a / b (IEEE: x / 0 = +-inf, 0 / 0 = NaN)
void EwiseDiv(const AlignedArray& a, const AlignedArray& b, AlignedArray* out) {
  // BEGIN YOUR SOLUTION
  map2(a, b, out, [](float x, float y) { return x / y; });
  // END YOUR SOLUTION
}

// a, out: (size,) compact; out = a / val (a true division, as numpy's, not a * (1 / val))
void ScalarDiv(const AlignedArray& a, scalar_t val, AlignedArray* out) {
  // BEGIN YOUR SOLUTION
  map1(a, out, [=](float x) { return x / val; });
  // END YOUR SOLUTION
}

// a, out: (size,) compact; out = a ** val. val arrives as a double, as numpy sees the Python
// number: exponents 0, 1, -1, 0.5 and 2 take numpy's shortcuts (ones, copy, reciprocal, sqrt,
// square), which differ from powf at a few points (sqrt(-0) = -0, sqrt(-inf) = NaN).
void ScalarPower(const AlignedArray& a, double val, AlignedArray* out) {
  // BEGIN YOUR SOLUTION
  if (val == 0.0) return map1(a, out, [](float) { return 1.0f; });
  if (val == 1.0) return map1(a, out, [](float x) { return x; });
  if (val == -1.0) return map1(a, out, [](float x) { return 1.0f / x; });
  if (val == 0.5) return sqrt_map(a, out);
  if (val == 2.0) return map1(a, out, [](float x) { return x * x; });
  // powf(x, y) for y = (float)val: |x|^y = 2^(y log2|x|) in double, then C's special cases.
  // What depends on y alone is decided here, as constants the loop compares x with.
  const float y = static_cast<float>(val);
  const bool y_integer = std::isinf(y) || std::nearbyint(y) == y;  // +-inf count as even integers
  const bool y_odd = std::isfinite(y) && y_integer && std::fabs(std::fmod(y, 2.0f)) == 1.0f;
  const uint32_t sign_of_x = y_odd ? 0x80000000u : 0u;      // (-x)^odd = -(x^odd)
  const float negative_is_nan = y_integer ? -kInf : 0.0f;   // (-2)^0.5 = NaN, for x in (-inf, this)
  const float abs_x_one = std::isinf(y) ? 1.0f : kNaN;     // (-1)^inf = 1 (NaN matches no x)
  map1_math(
      a, out,
      [=](float x) {
        const float r = static_cast<float>(exp2_f64(y * log2_f64(std::fabs(static_cast<double>(x)))));
        const float signed_r = as_float(as_bits(r) ^ (as_bits(x) & sign_of_x));
        const float real = select((x < negative_is_nan) & (x > -kInf), kNaN, signed_r);
        return select((x == 1.0f) | (std::fabs(x) == abs_x_one), 1.0f, real);  // 1^y = 1, even 1^NaN
      });
  // END YOUR SOLUTION
}

// a, b, out: (size,) compact; out = maximum(a, b), NaN if either is NaN (numpy's maximum)
void EwiseMaximum(const AlignedArray& a, const AlignedArray& b, AlignedArray* out) {
  // BEGIN YOUR SOLUTION
  map2(a, b, out, [](float x, float y) { return max_nan(x, y); });
  // END YOUR SOLUTION
}

// a, out: (size,) compact; out = maximum(a, val)
void ScalarMaximum(const AlignedArray& a, scalar_t val, AlignedArray* out) {
  // BEGIN YOUR SOLUTION
  map1(a, out, [=](float x) { return max_nan(x, val); });
  // END YOUR SOLUTION
}

// a, b, out: (size,) compact; out = 1.0 where a == b, else 0.0
void EwiseEq(const AlignedArray& a, const AlignedArray& b, AlignedArray* out) {
  // BEGIN YOUR SOLUTION
  map2(a, b, out, [](float x, float y) { return x == y ? 1.0f : 0.0f; });
  // END YOUR SOLUTION
}

// a, out: (size,) compact; out = 1.0 where a == val, else 0.0
void ScalarEq(const AlignedArray& a, scalar_t val, AlignedArray* out) {
  // BEGIN YOUR SOLUTION
  map1(a, out, [=](float x) { return x == val ? 1.0f : 0.0f; });
  // END YOUR SOLUTION
}

// a, b, out: (size,) compact; out = 1.0 where a >= b, else 0.0
void EwiseGe(const AlignedArray& a, const AlignedArray& b, AlignedArray* out) {
  // BEGIN YOUR SOLUTION
  map2(a, b, out, [](float x, float y) { return x >= y ? 1.0f : 0.0f; });
  // END YOUR SOLUTION
}

// a, out: (size,) compact; out = 1.0 where a >= val, else 0.0
void ScalarGe(const AlignedArray& a, scalar_t val, AlignedArray* out) {
  // BEGIN YOUR SOLUTION
  map1(a, out, [=](float x) { return x >= val ? 1.0f : 0.0f; });
  // END YOUR SOLUTION
}

// a, out: (size,) compact; out = ln a (ln 0 = -inf, ln of a negative = NaN)
void EwiseLog(const AlignedArray& a, AlignedArray* out) {
  // BEGIN YOUR SOLUTION
  map1_math(a, out, [](float x) { return log_f32(x); });
  // END YOUR SOLUTION
}

// a, out: (size,) compact; out = e^a (inf past 88.72, 0 below -103.97)
void EwiseExp(const AlignedArray& a, AlignedArray* out) {
  // BEGIN YOUR SOLUTION
  map1_math(a, out, [](float x) { return exp_f32(x); });
  // END YOUR SOLUTION
}

// a, out: (size,) compact; out = tanh a
void EwiseTanh(const AlignedArray& a, AlignedArray* out) {
  // BEGIN YOUR SOLUTION
  map1_math(a, out, [](float x) { return tanh_f32(x); });
  // END YOUR SOLUTION
}

// a: (m, n), b: (n, p), out: (m, p), all compact and row-major; out = a @ b
void Matmul(const AlignedArray& a, const AlignedArray& b, AlignedArray* out, uint32_t m, uint32_t n, uint32_t p) {
  // BEGIN YOUR SOLUTION
  check_matmul("matmul", a, b, *out, m, n, p);
  matmul_any(a.ptr, Layout::row_major(n), b.ptr, Layout::row_major(p), out->ptr, Layout::row_major(p), m, n, p);
  // END YOUR SOLUTION
}

// a: (m/8, n/8, 8, 8), b: (n/8, p/8, 8, 8), out: (m/8, p/8, 8, 8), all compact: the 8x8 tiles
// of (m, n), (n, p) and (m, p) matrices; m, n, p are multiples of 8. out = a @ b, tile by tile
void MatmulTiled(const AlignedArray& a, const AlignedArray& b, AlignedArray* out, uint32_t m, uint32_t n,
                 uint32_t p) {
  // BEGIN YOUR SOLUTION
  check_matmul("matmul_tiled", a, b, *out, m, n, p);
  if (m % TILE || n % TILE || p % TILE) throw std::invalid_argument("matmul_tiled: m, n and p must be multiples of 8");
  matmul_any(a.ptr, Layout::tiled(n), b.ptr, Layout::tiled(p), out->ptr, Layout::tiled(p), m, n, p);
  // END YOUR SOLUTION
}

// a: (rows * reduce_size,) compact, out: (rows,); out[i] = max of a[i*reduce_size : (i+1)*reduce_size]
void ReduceMax(const AlignedArray& a, AlignedArray* out, size_t reduce_size) {
  // BEGIN YOUR SOLUTION
  check_reduce("reduce_max", a, *out, reduce_size);
  reduce_rows(
      a, out, reduce_size, [](const float* x, int64_t n) { return max_row(x, n); },
      [](float x, float y) { return max_nan(x, y); });
  // END YOUR SOLUTION
}

// a: (rows * reduce_size,) compact, out: (rows,); out[i] = sum of a[i*reduce_size : (i+1)*reduce_size]
void ReduceSum(const AlignedArray& a, AlignedArray* out, size_t reduce_size) {
  // BEGIN YOUR SOLUTION
  check_reduce("reduce_sum", a, *out, reduce_size);
  reduce_rows(
      a, out, reduce_size, [](const float* x, int64_t n) { return sum_pairwise(x, n); },
      [](float x, float y) { return x + y; });
  // END YOUR SOLUTION
}

}  // namespace cpu
}  // namespace needle

PYBIND11_MODULE(ndarray_backend_cpu, m) {
  namespace py = pybind11;
  using namespace needle;
  using namespace cpu;

  m.attr("__device_name__") = "cpu";
  m.attr("__tile_size__") = TILE;

  py::class_<AlignedArray>(m, "Array")
      .def(py::init<size_t>(), py::return_value_policy::take_ownership)
      .def("ptr", &AlignedArray::ptr_as_int)
      .def_readonly("size", &AlignedArray::size);

  // A new numpy array holding the view (shape, strides, offset) of a, copied out in row-major order.
  m.def("to_numpy", [](const AlignedArray& a, std::vector<int64_t> shape, std::vector<int64_t> strides,
                       int64_t offset) {
    std::vector<py::ssize_t> numpy_strides(strides.size());
    std::transform(strides.begin(), strides.end(), numpy_strides.begin(),
                   [](int64_t s) { return static_cast<py::ssize_t>(s * ELEM_SIZE); });
    // a view without an owner (base None), copied at once, so the result never points into a
    py::array_t<scalar_t> view(shape, numpy_strides, a.ptr + offset, py::none());
    return view.attr("copy")();
  });

  // Copy a C-contiguous float32 numpy array into out (the same number of elements).
  m.def("from_numpy", [](py::array_t<scalar_t, py::array::c_style | py::array::forcecast> a, AlignedArray* out) {
    if (static_cast<size_t>(a.size()) != out->size)
      throw std::invalid_argument("from_numpy: the array has " + std::to_string(a.size()) +
                                  " elements, the buffer " + std::to_string(out->size));
    std::memcpy(out->ptr, a.data(), out->size * ELEM_SIZE);
  });

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
  m.def("matmul_tiled", MatmulTiled);
  m.def("reduce_max", ReduceMax);
  m.def("reduce_sum", ReduceSum);
}
