// softmax and log_softmax along one axis.
//
// Both subtract the maximum along the axis before exponentiating, so exp never
// overflows and the largest term is exactly exp(0) = 1: softmax([1000, -1000]) is exactly
// [1, 0], and log_softmax computes (x - max) - log(sum(exp(x - max))), finite for +-1000.
// The forward passes are hand-written loops: one tight loop per row when the axis is the
// last one (the common case: logits of shape (batch, classes)), and otherwise loops that
// keep the `inner` elements after the axis as the contiguous innermost dimension.
// Backward passes are built from differentiable ops on the saved output, so gradients of
// any order work.

#include "autograd/ops/softmax.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "autograd/detail/impl.hpp"
#include "autograd/detail/shape_util.hpp"
#include "autograd/ops/elementwise.hpp"
#include "autograd/ops/reduce.hpp"

namespace xg {
namespace {

using detail::AxisBlocks;
using detail::ptr;

// One contiguous row of n elements: the maximum, y = exp(x - max), their sum, then the
// scaling pass; each a loop that vectorises (Note [simd clones]).
template <class T, bool Log>
XG_SIMD_CLONES void softmax_row(const T* __restrict x, T* __restrict y, std::int64_t n) {
  // The maximum skips NaN, which then propagates through exp and the sum to the whole row.
  const T mx = detail::lane_max(x, n);
  for (std::int64_t i = 0; i < n; ++i) y[i] = detail::vexp(x[i] - mx);
  const T s = detail::lane_sum<T>(y, n);
  if constexpr (Log) {
    const T log_s = std::log(s);
    for (std::int64_t i = 0; i < n; ++i) y[i] = (x[i] - mx) - log_s;
  } else {
    const T inv = T(1) / s;
    for (std::int64_t i = 0; i < n; ++i) y[i] *= inv;
  }
}

// One (n, inner) block, reduced along n: the per-column maximum and sum live in buffers
// of size inner so that every pass walks memory contiguously.
template <class T, bool Log>
XG_SIMD_CLONES void softmax_block(const T* x, T* y, std::int64_t n, std::int64_t inner, T* mx,
                                  T* s) {
  for (std::int64_t i = 0; i < inner; ++i) {
    mx[i] = -std::numeric_limits<T>::infinity();
    s[i] = T(0);
  }
  for (std::int64_t j = 0; j < n; ++j) {
    const T* row = x + j * inner;
    for (std::int64_t i = 0; i < inner; ++i) mx[i] = row[i] > mx[i] ? row[i] : mx[i];
  }
  for (std::int64_t j = 0; j < n; ++j) {
    const T* row = x + j * inner;
    T* out = y + j * inner;
    for (std::int64_t i = 0; i < inner; ++i) {
      const T e = detail::vexp(row[i] - mx[i]);
      if constexpr (!Log) out[i] = e;
      s[i] += e;
    }
  }
  if constexpr (Log) {
    for (std::int64_t i = 0; i < inner; ++i) s[i] = std::log(s[i]);
    for (std::int64_t j = 0; j < n; ++j) {
      const T* row = x + j * inner;
      T* out = y + j * inner;
      for (std::int64_t i = 0; i < inner; ++i) out[i] = (row[i] - mx[i]) - s[i];
    }
  } else {
    for (std::int64_t i = 0; i < inner; ++i) s[i] = T(1) / s[i];
    for (std::int64_t j = 0; j < n; ++j) {
      T* out = y + j * inner;
      for (std::int64_t i = 0; i < inner; ++i) out[i] *= s[i];
    }
  }
}

// softmax (or log_softmax) of x, seen as (outer, size, inner) around the axis, into y.
template <class T, bool Log> void softmax_kernel(const T* x, T* y, const AxisBlocks& b) {
  const std::int64_t block = b.size * b.inner;
  if (block == 0) return;
  if (b.inner == 1) {
    for (std::int64_t o = 0; o < b.outer; ++o)
      softmax_row<T, Log>(x + o * block, y + o * block, b.size);
    return;
  }
  std::vector<T> mx(static_cast<std::size_t>(b.inner)), s(static_cast<std::size_t>(b.inner));
  for (std::int64_t o = 0; o < b.outer; ++o) {
    softmax_block<T, Log>(x + o * block, y + o * block, b.size, b.inner, mx.data(), s.data());
  }
}

// Checks x and the axis, and returns x seen as (outer, size, inner) around the axis and
// the axes to reduce in backward ({axis}, or {} for a 0-D tensor, which PyTorch treats as
// one element along axis 0/-1).
AxisBlocks prepare(const char* op, const Tensor& x, std::int64_t axis, Axes& reduce_axes) {
  autograd::check_defined(op, x);
  if (!is_floating(x.dtype())) {
    throw DtypeError(std::string(op) + ": expected a float tensor (f32 or f64), got i64 of shape " +
                     shape_str(x.shape()));
  }
  const Shape& shape = x.shape();
  if (shape.empty()) {
    if (axis != 0 && axis != -1) autograd::normalize_axis(op, axis, shape);  // throws
    reduce_axes = {};
    return AxisBlocks{};  // one element: 1 x 1 x 1
  }
  const std::int64_t a = autograd::normalize_axis(op, axis, shape);
  reduce_axes = {a};
  return detail::axis_blocks(shape, a);
}

template <bool Log> Tensor forward(const char* op, const Tensor& x, const AxisBlocks& b) {
  Tensor out = detail::empty(x.shape(), x.dtype());
  autograd::dispatch_float(op, x.dtype(),
                           [&]<class T>() { softmax_kernel<T, Log>(ptr<T>(x), ptr<T>(out), b); });
  return out;
}

}  // namespace

Tensor softmax(const Tensor& x, std::int64_t axis) {
  Axes axes;
  const AxisBlocks b = prepare("softmax", x, axis, axes);
  Tensor out = forward<false>("softmax", x, b);
  autograd::record("softmax", out, {x}, {autograd::output},
                   [axes](const autograd::BackwardCtx& ctx) {
                     // dx = y * (g - sum(g * y)): the Jacobian diag(y) - y y^T applied to g.
                     const Tensor y = ctx.saved(0);
                     const Tensor& g = ctx.grad;
                     return std::vector<Tensor>{y * (g - sum(g * y, axes, true))};
                   });
  return out;
}

Tensor log_softmax(const Tensor& x, std::int64_t axis) {
  Axes axes;
  const AxisBlocks b = prepare("log_softmax", x, axis, axes);
  Tensor out = forward<true>("log_softmax", x, b);
  autograd::record("log_softmax", out, {x}, {autograd::output},
                   [axes](const autograd::BackwardCtx& ctx) {
                     // dx = g - softmax(x) * sum(g), with softmax(x) = exp(y) from the saved
                     // output.
                     const Tensor y = ctx.saved(0);
                     const Tensor& g = ctx.grad;
                     return std::vector<Tensor>{g - exp(y) * sum(g, axes, true)};
                   });
  return out;
}

}  // namespace xg
