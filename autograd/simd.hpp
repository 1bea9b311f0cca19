// Wide vector code for the hot loops, chosen at run time, with the same bits on every CPU.
//
// Note [simd clones]
// The library is built for baseline x86-64 (SSE2), so that one build runs on any x86-64
// machine. A loop marked XG_SIMD_CLONES is compiled three more times by GCC's function
// multiversioning, for x86-64-v4 (AVX-512), x86-64-v3 (AVX2) and the baseline, and the
// dynamic loader binds the call to the widest one the CPU supports (an ifunc, resolved
// once). The loops are plain C++ that GCC vectorises at -O3; they must not branch on the
// data (use selects) and must not reduce into one scalar (use lane_sum below), or they stay
// scalar in every clone.
//
// The library is compiled with -ffp-contract=off, so no clone fuses a*b+c into an FMA:
// every clone computes each element with the same operations in the same order, and a
// result does not depend on the CPU the program runs on (BLAS aside, see README §
// Determinism).
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <type_traits>

// Not under ThreadSanitizer: the clones' ifunc resolvers run while the dynamic loader
// relocates the library, before the TSan runtime is set up, and its instrumentation of
// them crashes the program at start.
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__) && \
    !defined(__SANITIZE_THREAD__) && !defined(XGRAD_NO_SIMD_CLONES)
#define XG_SIMD_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define XG_SIMD_CLONES
#endif

namespace xg::detail {

// exp(x) for float in a form GCC vectorises (no libm call): Cephes' expf range reduction
// x = n ln2 + r, |r| <= ln2/2, a degree-7 polynomial for exp(r), and 2^n built in the
// exponent bits, in two halves so that results down to the smallest subnormal are right.
// Error within 2 ulp of the correctly rounded exp over the whole range (tested against
// double exp in tests/autograd/test_simd.cpp); exp(+inf) = inf, exp(-inf) = 0, NaN stays
// NaN, overflow gives inf and underflow 0, as std::exp. double uses std::exp.
inline float exp_f32(float x) {
  constexpr float kHi = 88.72283935546875f;  // largest x with a finite exp(x)
  constexpr float kLo = -103.972084045410f;  // below: exp(x) rounds to 0
  constexpr float kLog2e = 1.44269504088896341f;
  constexpr float kLn2Hi = 0.693359375f;  // ln 2 = kLn2Hi + kLn2Lo, kLn2Hi exact in 9 bits
  constexpr float kLn2Lo = -2.12194440e-4f;
  constexpr float kRound = 12582912.0f;  // 1.5 * 2^23: adding it rounds to an integer
  // Clamp first (a NaN becomes kLo here and is put back at the end), so that n is small.
  float xc = x > kLo ? x : kLo;
  xc = xc < kHi ? xc : kHi;
  const float nf = (xc * kLog2e + kRound) - kRound;
  const float r = (xc - nf * kLn2Hi) - nf * kLn2Lo;
  // exp(r) = 1 + r + r^2 (1/2 + r/6 + ...): Cephes' minimax coefficients.
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  const float e = (p * (r * r) + r) + 1.0f;
  // 2^n with n in [-150, 128] as 2^h * 2^(n-h), each factor a normal float.
  const std::int32_t n = static_cast<std::int32_t>(nf);
  const std::int32_t h = n / 2;
  const std::int32_t b1 = (h + 127) << 23, b2 = (n - h + 127) << 23;
  float s1, s2;
  std::memcpy(&s1, &b1, sizeof s1);
  std::memcpy(&s2, &b2, sizeof s2);
  float y = (e * s1) * s2;
  y = x > kHi ? std::numeric_limits<float>::infinity() : y;
  y = x < kLo ? 0.0f : y;
  return x != x ? x : y;
}

// tanh(x) for float, vectorisable: Cephes' tanhf, an odd polynomial for |x| < 0.625 (where
// 1 - 2/(exp(2|x|) + 1) would cancel) and that formula with exp_f32 above it, both computed
// and one selected. Within 1.5 ulp of the correctly rounded tanh (1.33 over every float;
// tested); +-1 from |x| ~ 9 on, NaN stays NaN, -0 stays -0. double uses std::tanh.
inline float tanh_f32(float x) {
  const float a = x < 0.0f ? -x : x;
  const float s = x * x;
  float p = -5.70498872745e-3f;
  p = p * s + 2.06390887954e-2f;
  p = p * s - 5.37397155531e-2f;
  p = p * s + 1.33314422036e-1f;
  p = p * s - 3.33332819422e-1f;
  const float small = (p * s) * x + x;
  const float big = 1.0f - 2.0f / (exp_f32(a + a) + 1.0f);
  const float y = x < 0.0f ? -big : big;
  return a < 0.625f ? (a == 0.0f ? x : small) : y;  // x itself at +-0 keeps the sign of -0
}

template <class T> inline T vtanh(T x) {
  if constexpr (std::is_same_v<T, float>) {
    return tanh_f32(x);
  } else {
    return std::tanh(x);
  }
}

template <class T> inline T vexp(T x) {
  if constexpr (std::is_same_v<T, float>) {
    return exp_f32(x);
  } else {
    return std::exp(x);
  }
}

// Sum of n values in kLanes interleaved partial sums (lane k takes x[k], x[k + 16], ...),
// combined pairwise at the end: a fixed order, so the same result in every clone, and one
// that GCC vectorises without -ffast-math. Acc is the accumulator type.
template <class Acc, class T> inline Acc lane_sum(const T* x, std::int64_t n) {
  constexpr int kLanes = 16;
  Acc acc[kLanes] = {};
  std::int64_t j = 0;
  for (; j + kLanes <= n; j += kLanes) {
    for (int k = 0; k < kLanes; ++k) acc[k] += static_cast<Acc>(x[j + k]);
  }
  const auto rest = static_cast<int>(n - j);  // < kLanes
  for (int k = 0; k < rest; ++k) acc[k] += static_cast<Acc>(x[j + k]);
  for (int w = kLanes / 2; w > 0; w /= 2) {
    for (int k = 0; k < w; ++k) acc[k] += acc[k + w];
  }
  return acc[0];
}

// Largest of n values, skipping NaN (a comparison with NaN is false); -inf when n is 0 or
// every value is NaN. Lanes as in lane_sum, so that the selects vectorise.
template <class T> inline T lane_max(const T* x, std::int64_t n) {
  constexpr int kLanes = 16;
  constexpr T kLowest = -std::numeric_limits<T>::infinity();
  T m[kLanes];
  for (int k = 0; k < kLanes; ++k) m[k] = kLowest;
  std::int64_t j = 0;
  for (; j + kLanes <= n; j += kLanes) {
    for (int k = 0; k < kLanes; ++k) m[k] = x[j + k] > m[k] ? x[j + k] : m[k];
  }
  const auto rest = static_cast<int>(n - j);  // < kLanes
  for (int k = 0; k < rest; ++k) m[k] = x[j + k] > m[k] ? x[j + k] : m[k];
  T best = kLowest;
  for (int k = 0; k < kLanes; ++k) best = m[k] > best ? m[k] : best;
  return best;
}

}  // namespace xg::detail
