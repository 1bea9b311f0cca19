// The indexing part of shape.hpp: slice, index_select and gather.
//
// Each backward is a scatter into zeros of the input's shape. The scatters are recorded
// ops of their own ("slice_backward", "index_select_backward", "gather_backward") whose
// backward is the original gather-like op again, so gradients of any order work.
#include <algorithm>
#include <string>
#include <vector>

#include "autograd/detail/impl.hpp"
#include "autograd/detail/shape_util.hpp"
#include "autograd/detail/strided.hpp"
#include "autograd/ops/indexing.hpp"
#include "autograd/ops/shape.hpp"

namespace xg {

namespace {

using autograd::BackwardCtx;

// Where the j-th block of `block` elements of the o-th outer row lives in a buffer:
// o * outer_stride + offset + j * step.
struct BlockLayout {
  std::int64_t outer_stride;
  std::int64_t offset;
  std::int64_t step;
};

// Copies `count` blocks of `block` elements per outer row from src to dst. Rows whose
// blocks are adjacent in both buffers (a step-1 slice) become one copy per row.
template <class T>
void copy_blocks(const T* src, BlockLayout s, T* dst, BlockLayout d, std::int64_t outer,
                 std::int64_t count, std::int64_t block) {
  if (count == 0 || block == 0) return;
  if (s.step == block && d.step == block) {
    block *= count;
    count = 1;
  }
  for (std::int64_t o = 0; o < outer; ++o) {
    const T* sp = src + o * s.outer_stride + s.offset;
    T* dp = dst + o * d.outer_stride + d.offset;
    for (std::int64_t j = 0; j < count; ++j) std::copy_n(sp + j * s.step, block, dp + j * d.step);
  }
}

// x[..., start : start + len * step : step, ...] along axis a (already normalised and
// clamped). Recorded as "slice".
Tensor slice_impl(const Tensor& x, std::int64_t a, std::int64_t start, std::int64_t len,
                  std::int64_t step);

// zeros(in_shape) with g written at start, start + step, ... along axis a: the backward
// of slice_impl. Recorded as "slice_backward"; its own backward slices again.
Tensor slice_backward(const Tensor& g, const Shape& in_shape, std::int64_t a, std::int64_t start,
                      std::int64_t step) {
  const auto b = detail::axis_blocks(in_shape, a);
  const std::int64_t len = g.shape()[a];
  Tensor out = detail::empty(in_shape, g.dtype());
  autograd::dispatch(g.dtype(), [&]<class T>() {
    T* o = detail::ptr<T>(out);
    std::fill_n(o, b.outer * b.size * b.inner, T(0));
    copy_blocks<T>(detail::ptr<T>(g), {len * b.inner, 0, b.inner}, o,
                   {b.size * b.inner, start * b.inner, step * b.inner}, b.outer, len, b.inner);
  });
  autograd::record("slice_backward", out, {g}, {}, [a, start, len, step](const BackwardCtx& ctx) {
    if (!ctx.needs(0)) return std::vector<Tensor>{Tensor()};
    return std::vector<Tensor>{slice_impl(ctx.grad, a, start, len, step)};
  });
  return out;
}

Tensor slice_impl(const Tensor& x, std::int64_t a, std::int64_t start, std::int64_t len,
                  std::int64_t step) {
  const auto b = detail::axis_blocks(x.shape(), a);
  Shape out_shape = x.shape();
  out_shape[a] = len;
  Tensor out = detail::empty(out_shape, x.dtype());
  autograd::dispatch(x.dtype(), [&]<class T>() {
    copy_blocks<T>(detail::ptr<T>(x), {b.size * b.inner, start * b.inner, step * b.inner},
                   detail::ptr<T>(out), {len * b.inner, 0, b.inner}, b.outer, len, b.inner);
  });
  autograd::record("slice", out, {x}, {},
                   [in_shape = x.shape(), a, start, step](const BackwardCtx& ctx) {
                     if (!ctx.needs(0)) return std::vector<Tensor>{Tensor()};
                     return std::vector<Tensor>{slice_backward(ctx.grad, in_shape, a, start, step)};
                   });
  return out;
}

// Throws DtypeError unless index is i64.
void check_index_dtype(const char* op, const Tensor& index) {
  if (index.dtype() != Dtype::i64) {
    throw DtypeError(std::string(op) + ": index must be i64, got " +
                     std::string(dtype_name(index.dtype())));
  }
}

// Throws ValueError for the first index outside [0, size) of axis a of x.
void check_index_range(const char* op, const Tensor& index, std::int64_t a, const Shape& x_shape) {
  const std::int64_t* idx = detail::ptr<std::int64_t>(index);
  const std::int64_t size = x_shape[a];
  for (std::int64_t i = 0; i < index.numel(); ++i) {
    if (idx[i] < 0 || idx[i] >= size) {
      throw ValueError(std::string(op) + ": index " + std::to_string(idx[i]) +
                       " is out of range for axis " + std::to_string(a) + " of size " +
                       std::to_string(size) + " (x has shape " + shape_str(x_shape) +
                       "; negative indices are not allowed)");
    }
  }
}

Tensor index_select_impl(const Tensor& x, std::int64_t a, const Tensor& index);

// zeros(in_shape) with g's slices along axis a added at the positions in index (repeated
// indices sum): PyTorch's index_add into zeros, the backward of index_select. Recorded
// as "index_select_backward"; its own backward is index_select.
Tensor index_select_backward(const Tensor& g, const Shape& in_shape, std::int64_t a,
                             const Tensor& index) {
  const auto b = detail::axis_blocks(in_shape, a);
  const std::int64_t m = index.numel();
  Tensor out = detail::empty(in_shape, g.dtype());
  autograd::dispatch(g.dtype(), [&]<class T>() {
    T* o = detail::ptr<T>(out);
    const T* gp = detail::ptr<T>(g);
    const std::int64_t* idx = detail::ptr<std::int64_t>(index);
    std::fill_n(o, b.outer * b.size * b.inner, T(0));
    for (std::int64_t r = 0; r < b.outer; ++r) {
      for (std::int64_t k = 0; k < m; ++k) {
        T* dp = o + (r * b.size + idx[k]) * b.inner;
        const T* sp = gp + (r * m + k) * b.inner;
        for (std::int64_t i = 0; i < b.inner; ++i) dp[i] += sp[i];
      }
    }
  });
  autograd::record("index_select_backward", out, {g}, {index}, [a](const BackwardCtx& ctx) {
    const Tensor index = ctx.saved(0);
    if (!ctx.needs(0)) return std::vector<Tensor>{Tensor()};
    return std::vector<Tensor>{index_select_impl(ctx.grad, a, index)};
  });
  return out;
}

// index_select after validation (index i64, at most 1-D, in range for axis a).
Tensor index_select_impl(const Tensor& x, std::int64_t a, const Tensor& index) {
  const auto b = detail::axis_blocks(x.shape(), a);
  const std::int64_t m = index.numel();
  Shape out_shape = x.shape();
  out_shape[a] = m;
  Tensor out = detail::empty(out_shape, x.dtype());
  autograd::dispatch(x.dtype(), [&]<class T>() {
    const T* xp = detail::ptr<T>(x);
    T* o = detail::ptr<T>(out);
    const std::int64_t* idx = detail::ptr<std::int64_t>(index);
    for (std::int64_t r = 0; r < b.outer; ++r) {
      for (std::int64_t k = 0; k < m; ++k) {
        std::copy_n(xp + (r * b.size + idx[k]) * b.inner, b.inner, o + (r * m + k) * b.inner);
      }
    }
  });
  autograd::record(
      "index_select", out, {x}, {index}, [in_shape = x.shape(), a](const BackwardCtx& ctx) {
        const Tensor index = ctx.saved(0);
        if (!ctx.needs(0)) return std::vector<Tensor>{Tensor()};
        return std::vector<Tensor>{index_select_backward(ctx.grad, in_shape, a, index)};
      });
  return out;
}

// Calls f(i, off) for every element of a tensor of shape `shape` in row-major order: i is
// its flat position, off = sum over axes of its index times strides[axis]. One row at a
// time (Note [strided rows]).
template <class F> void walk(const Shape& shape, const std::vector<std::int64_t>& strides, F f) {
  detail::StridedRows<1> r(shape, {strides});
  const std::int64_t n = r.size(), step = r.stride(0);
  for (; !r.done(); r.next()) {
    const std::int64_t i = r.pos(), off = r.offset(0);
    for (std::int64_t j = 0; j < n; ++j) f(i + j, off + j * step);
  }
}

// x's strides with the gathered axis zeroed: the offset of x[i0, .., index, .., in] is
// then walk's `off` plus index * axis_stride.
std::vector<std::int64_t> gather_strides(const Shape& x_shape, std::int64_t a,
                                         std::int64_t& axis_stride) {
  auto strides = detail::contiguous_strides(x_shape);
  axis_stride = strides[a];
  strides[a] = 0;
  return strides;
}

Tensor gather_impl(const Tensor& x, std::int64_t a, const Tensor& index);

// zeros(in_shape) with out[.., index[i], ..] += g[i] along axis a: PyTorch's scatter_add
// into zeros, the backward of gather. Recorded as "gather_backward"; its own backward is
// gather.
Tensor gather_backward(const Tensor& g, const Shape& in_shape, std::int64_t a,
                       const Tensor& index) {
  std::int64_t axis_stride = 0;
  const auto strides = gather_strides(in_shape, a, axis_stride);
  Tensor out = detail::empty(in_shape, g.dtype());
  autograd::dispatch(g.dtype(), [&]<class T>() {
    T* o = detail::ptr<T>(out);
    const T* gp = detail::ptr<T>(g);
    const std::int64_t* idx = detail::ptr<std::int64_t>(index);
    std::fill_n(o, autograd::shape_numel(in_shape), T(0));
    walk(index.shape(), strides,
         [&](std::int64_t i, std::int64_t off) { o[off + idx[i] * axis_stride] += gp[i]; });
  });
  autograd::record("gather_backward", out, {g}, {index}, [a](const BackwardCtx& ctx) {
    const Tensor index = ctx.saved(0);
    if (!ctx.needs(0)) return std::vector<Tensor>{Tensor()};
    return std::vector<Tensor>{gather_impl(ctx.grad, a, index)};
  });
  return out;
}

// gather after validation (index i64 with x's rank, no larger than x off axis a, in range).
Tensor gather_impl(const Tensor& x, std::int64_t a, const Tensor& index) {
  std::int64_t axis_stride = 0;
  const auto strides = gather_strides(x.shape(), a, axis_stride);
  Tensor out = detail::empty(index.shape(), x.dtype());
  autograd::dispatch(x.dtype(), [&]<class T>() {
    const T* xp = detail::ptr<T>(x);
    T* o = detail::ptr<T>(out);
    const std::int64_t* idx = detail::ptr<std::int64_t>(index);
    walk(index.shape(), strides,
         [&](std::int64_t i, std::int64_t off) { o[i] = xp[off + idx[i] * axis_stride]; });
  });
  autograd::record("gather", out, {x}, {index}, [in_shape = x.shape(), a](const BackwardCtx& ctx) {
    const Tensor index = ctx.saved(0);
    if (!ctx.needs(0)) return std::vector<Tensor>{Tensor()};
    return std::vector<Tensor>{gather_backward(ctx.grad, in_shape, a, index)};
  });
  return out;
}

}  // namespace

Tensor slice(const Tensor& x, std::int64_t axis, std::int64_t start, std::int64_t stop,
             std::int64_t step) {
  autograd::check_defined("slice", x);
  if (step < 1) {
    throw ValueError("slice: step must be positive, got " + std::to_string(step) + " (axis " +
                     std::to_string(axis) + " of " + shape_str(x.shape()) + ")");
  }
  const std::int64_t a = autograd::normalize_axis("slice", axis, x.shape());
  const std::int64_t n = x.shape()[a];
  // Python slice semantics: negative bounds count from the end, then clamp to [0, n].
  const auto clamp_bound = [n](std::int64_t v) {
    if (v < 0) v += n;
    return std::clamp<std::int64_t>(v, 0, n);
  };
  const std::int64_t lo = clamp_bound(start);
  const std::int64_t hi = clamp_bound(stop);
  // (hi - lo - 1) / step + 1 rather than a rounded-up division: no overflow for huge steps.
  const std::int64_t len = hi > lo ? (hi - lo - 1) / step + 1 : 0;
  return slice_impl(x, a, lo, len, step);
}

Tensor index_select(const Tensor& x, std::int64_t axis, const Tensor& index) {
  autograd::check_defined("index_select", x);
  autograd::check_defined("index_select", index);
  check_index_dtype("index_select", index);
  if (index.dim() > 1) {
    throw ShapeError("index_select: index must be 1-D, got shape " + shape_str(index.shape()) +
                     " (x has shape " + shape_str(x.shape()) + ")");
  }
  const std::int64_t a = autograd::normalize_axis("index_select", axis, x.shape());
  check_index_range("index_select", index, a, x.shape());
  return index_select_impl(x, a, index);
}

Tensor gather(const Tensor& x, std::int64_t axis, const Tensor& index) {
  autograd::check_defined("gather", x);
  autograd::check_defined("gather", index);
  check_index_dtype("gather", index);
  const Shape& xs = x.shape();
  const Shape& is = index.shape();
  if (is.size() != xs.size()) {
    throw ShapeError("gather: index of shape " + shape_str(is) + " must have as many axes as x " +
                     shape_str(xs));
  }
  const std::int64_t a = autograd::normalize_axis("gather", axis, xs);
  for (std::size_t d = 0; d < xs.size(); ++d) {
    if (static_cast<std::int64_t>(d) != a && is[d] > xs[d]) {
      throw ShapeError("gather: index of shape " + shape_str(is) + " is larger than x " +
                       shape_str(xs) + " along axis " + std::to_string(d) + " (" +
                       std::to_string(is[d]) + " > " + std::to_string(xs[d]) + ")");
    }
  }
  check_index_range("gather", index, a, xs);
  return gather_impl(x, a, index);
}

}  // namespace xg
