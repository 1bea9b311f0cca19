// Reductions: sum, mean, var, std, max, min, logsumexp, argmax, argmin.
//
// Every kernel walks the input once per pass, run by run with detail::reduction_rows
// (see Note [reduction walk] in autograd/detail/reduce_util.hpp); the loop over a run is
// written in the kernel itself, so it gets each XG_SIMD_CLONES clone's instruction set.
// Sums accumulate in double (int64 for i64) whatever the element type: f32 sums of many
// elements would otherwise lose digits.
#include "autograd/ops/reduce.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "autograd/detail/checked.hpp"
#include "autograd/detail/impl.hpp"
#include "autograd/detail/reduce_util.hpp"
#include "autograd/ops/compare.hpp"
#include "autograd/ops/elementwise.hpp"
#include "autograd/ops/shape.hpp"

namespace xg {

namespace {

using detail::ReducePlan;

// Sums accumulate in double for floats and exactly in int64 for i64.
template <class T> using SumAcc = std::conditional_t<std::is_integral_v<T>, std::int64_t, double>;

// Sum of a contiguous row with four independent accumulators, so that the additions
// pipeline (and vectorise) without -ffast-math.
template <class Acc, class T> Acc row_sum(const T* x, std::int64_t n) {
  Acc s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  std::int64_t j = 0;
  for (; j + 4 <= n; j += 4) {
    s0 += static_cast<Acc>(x[j]);
    s1 += static_cast<Acc>(x[j + 1]);
    s2 += static_cast<Acc>(x[j + 2]);
    s3 += static_cast<Acc>(x[j + 3]);
  }
  for (; j < n; ++j) s0 += static_cast<Acc>(x[j]);
  return (s0 + s1) + (s2 + s3);
}

// The kernels take their walk and output buffer from the wrappers after them, which
// allocate: Note [no allocation in simd clones] in detail/impl.hpp.
template <class T>
XG_SIMD_CLONES void sum_rows(const ReducePlan& p, const T* x, detail::StridedRows<1>& run,
                             SumAcc<T>* a) {
  using Acc = SumAcc<T>;
  const std::int64_t n = run.size();
  for (; !run.done(); run.next()) {
    const std::int64_t in = run.pos(), o = run.offset(0);
    if (p.inner_reduced) {
      a[o] += row_sum<Acc>(x + in, n);
    } else {
      for (std::int64_t j = 0; j < n; ++j) a[o + j] += static_cast<Acc>(x[in + j]);
    }
  }
}

template <class T> std::vector<SumAcc<T>> sum_kernel(const ReducePlan& p, const T* x) {
  std::vector<SumAcc<T>> acc(static_cast<std::size_t>(p.out_numel), SumAcc<T>{0});
  auto run = detail::reduction_rows(p);
  sum_rows<T>(p, x, run, acc.data());
  return acc;
}

// The i64 sum, element by element with an overflow check (Note [integer overflow] in
// detail/checked.hpp): an OverflowError as soon as a partial sum leaves the i64 range.
std::vector<std::int64_t> checked_sum_kernel(const ReducePlan& p, const std::int64_t* x) {
  std::vector<std::int64_t> acc(static_cast<std::size_t>(p.out_numel), 0);
  auto run = detail::reduction_rows(p);
  const std::int64_t n = run.size();
  for (; !run.done(); run.next()) {
    const std::int64_t in = run.pos(), o = run.offset(0);
    for (std::int64_t j = 0; j < n; ++j) {
      std::int64_t& a = acc[static_cast<std::size_t>(p.inner_reduced ? o : o + j)];
      a = detail::arith<'+'>("sum", a, x[in + j]);
    }
  }
  return acc;
}

template <class T> inline bool is_nan(T v) {
  if constexpr (std::is_floating_point_v<T>) {
    return v != v;
  } else {
    return false;
  }
}

// True when v should replace the current extreme: larger (IsMax) or smaller, and NaN
// beats everything, as in PyTorch (max propagates NaN; argmax points at the first NaN).
template <bool IsMax, class T> inline bool beats(T v, T best) {
  if constexpr (std::is_floating_point_v<T>) {
    if (best != best) return false;
    if (v != v) return true;
  }
  return IsMax ? v > best : v < best;
}

template <bool IsMax, class T> constexpr T worst_value() {
  if constexpr (std::is_floating_point_v<T>) {
    return IsMax ? -std::numeric_limits<T>::infinity() : std::numeric_limits<T>::infinity();
  } else {
    return IsMax ? std::numeric_limits<T>::lowest() : std::numeric_limits<T>::max();
  }
}

// True when v replaces the running extreme m: v is larger (IsMax) or smaller, or NaN.
// A NaN m is never replaced (comparisons with it are false), so NaN propagates.
template <bool IsMax, class T> inline bool replaces(T v, T m) {
  return (IsMax ? v > m : v < m) || is_nan(v);
}

// Largest (IsMax) or smallest value of a contiguous row, NaN if the row holds one.
// The row is treated as blocks of kLanes columns reduced elementwise into m[]: a select
// per lane, no branch, and a trip count large enough that GCC vectorises the block
// loop instead of unrolling it (with 8 lanes it unrolls and then fails to vectorise).
template <bool IsMax, class T> T row_extreme(const T* x, std::int64_t n, T init) {
  constexpr int kLanes = 32;
  std::int64_t j = 0;
  T best = init;
  if (n >= kLanes) {
    T m[kLanes];
    for (int k = 0; k < kLanes; ++k) m[k] = init;
    for (; j + kLanes <= n; j += kLanes) {
      const T* r = x + j;
      for (int k = 0; k < kLanes; ++k) m[k] = replaces<IsMax>(r[k], m[k]) ? r[k] : m[k];
    }
    for (int k = 0; k < kLanes; ++k) best = replaces<IsMax>(m[k], best) ? m[k] : best;
  }
  for (; j < n; ++j) best = replaces<IsMax>(x[j], best) ? x[j] : best;
  return best;
}

// Extreme values; the caller has checked that no reduced axis is empty.
template <bool IsMax, class T>
XG_SIMD_CLONES void extreme_rows(const ReducePlan& p, const T* x, detail::StridedRows<1>& run,
                                 T* out) {
  for (std::int64_t i = 0; i < p.out_numel; ++i) out[i] = worst_value<IsMax, T>();
  const std::int64_t n = run.size();
  for (; !run.done(); run.next()) {
    const std::int64_t in = run.pos(), o = run.offset(0);
    const T* r = x + in;
    if (p.inner_reduced) {
      out[o] = row_extreme<IsMax>(r, n, out[o]);
    } else {
      // Elementwise select, no branch: vectorises. A NaN already in out stays (every
      // comparison with it is false); a NaN in r replaces the value.
      T* dst = out + o;
      for (std::int64_t j = 0; j < n; ++j) {
        const T v = r[j];
        dst[j] = replaces<IsMax>(v, dst[j]) ? v : dst[j];
      }
    }
  }
}

template <bool IsMax, class T> void extreme_kernel(const ReducePlan& p, const T* x, T* out) {
  auto run = detail::reduction_rows(p);
  extreme_rows<IsMax, T>(p, x, run, out);
}

// sum((x - center[o])^2) per output, in double; center holds one value per output.
template <class T>
XG_SIMD_CLONES void sq_dev_rows(const ReducePlan& p, const T* x, const std::vector<double>& c,
                                detail::StridedRows<1>& run, double* a) {
  const std::int64_t n = run.size();
  for (; !run.done(); run.next()) {
    const std::int64_t in = run.pos(), o = run.offset(0);
    const T* r = x + in;
    if (p.inner_reduced) {
      const double m = c[static_cast<std::size_t>(o)];
      double s = 0.0;
      for (std::int64_t j = 0; j < n; ++j) {
        const double d = static_cast<double>(r[j]) - m;
        s += d * d;
      }
      a[o] += s;
    } else {
      for (std::int64_t j = 0; j < n; ++j) {
        const double d = static_cast<double>(r[j]) - c[static_cast<std::size_t>(o + j)];
        a[o + j] += d * d;
      }
    }
  }
}

template <class T>
std::vector<double> sq_dev_kernel(const ReducePlan& p, const T* x, const std::vector<double>& c) {
  std::vector<double> acc(static_cast<std::size_t>(p.out_numel), 0.0);
  auto run = detail::reduction_rows(p);
  sq_dev_rows<T>(p, x, c, run, acc.data());
  return acc;
}

// sum(exp(x - shift[o])) per output, in double.
template <class T>
XG_SIMD_CLONES void sum_exp_rows(const ReducePlan& p, const T* x, const std::vector<T>& shift,
                                 detail::StridedRows<1>& run, double* a) {
  const std::int64_t n = run.size();
  for (; !run.done(); run.next()) {
    const std::int64_t in = run.pos(), o = run.offset(0);
    const T* r = x + in;
    if (p.inner_reduced) {
      const T m = shift[static_cast<std::size_t>(o)];
      double s = 0.0;
      for (std::int64_t j = 0; j < n; ++j) s += static_cast<double>(detail::vexp(r[j] - m));
      a[o] += s;
    } else {
      for (std::int64_t j = 0; j < n; ++j) {
        a[o + j] +=
            static_cast<double>(detail::vexp(r[j] - shift[static_cast<std::size_t>(o + j)]));
      }
    }
  }
}

template <class T>
std::vector<double> sum_exp_kernel(const ReducePlan& p, const T* x, const std::vector<T>& shift) {
  std::vector<double> acc(static_cast<std::size_t>(p.out_numel), 0.0);
  auto run = detail::reduction_rows(p);
  sum_exp_rows<T>(p, x, shift, run, acc.data());
  return acc;
}

void check_float_input(const char* op, const Tensor& x) {
  if (!is_floating(x.dtype())) {
    throw DtypeError(std::string(op) + ": expected a float tensor (f32 or f64), got " +
                     std::string(dtype_name(x.dtype())) + " of shape " + shape_str(x.shape()));
  }
}

// max/min/argmax/argmin have no identity: reducing an empty axis is an error (PyTorch).
void check_nonempty_axes(const char* op, const ReducePlan& p, const Shape& shape) {
  for (std::int64_t a : p.axes) {
    if (shape[static_cast<std::size_t>(a)] == 0) {
      throw ValueError(std::string(op) + ": cannot reduce over axis " + std::to_string(a) +
                       " of size 0 in a tensor of shape " + shape_str(shape) +
                       " (the reduction has no identity)");
    }
  }
}

// The output gradient with the reduced axes kept as size 1, so it broadcasts against
// the input.
Tensor keep_dims(const Tensor& g, const Shape& keep_shape) {
  return g.shape() == keep_shape ? g : reshape(g, keep_shape);
}

// The output gradient repeated over the reduced axes: the gradient of sum.
Tensor expand_grad(const Tensor& g, const Shape& keep_shape, const Shape& in_shape) {
  Tensor k = keep_dims(g, keep_shape);
  return k.shape() == in_shape ? k : broadcast_to(k, in_shape);
}

// The gradient of a mean to one value, g / n repeated over in_shape: the values
// expand_grad(g / n, ...) gives (the division in g's dtype), in one tensor instead of four.
// Not recorded: only for a backward that is not itself recorded (no create_graph).
Tensor repeat_mean_grad(const Tensor& g, double n, const Shape& in_shape) {
  Tensor out = detail::empty(in_shape, g.dtype());
  autograd::dispatch_float("mean", g.dtype(), [&]<class T>() {
    const T v = detail::ptr<T>(g)[0] / static_cast<T>(n);
    T* o = detail::ptr<T>(out);
    std::fill(o, o + out.numel(), v);
  });
  return out;
}

// Max/min backward weights: 1/count where x equals the extreme of its group (ties share
// the gradient evenly, as PyTorch's amax/amin), 0 elsewhere. A group whose extreme is
// NaN matches nothing and gets NaN weights, as PyTorch's (x == out) / count does.
// Returns a constant (unrecorded) tensor of x's shape: the second derivative of max is
// zero wherever it exists.
template <class T> Tensor extreme_weights(const ReducePlan& p, const Tensor& x, const Tensor& out) {
  const T* xv = detail::ptr<T>(x);
  const T* ov = detail::ptr<T>(out);
  std::vector<std::int64_t> count(static_cast<std::size_t>(p.out_numel), 0);
  std::int64_t* c = count.data();
  for (auto run = detail::reduction_rows(p); !run.done(); run.next()) {
    const std::int64_t in = run.pos(), o = run.offset(0), n = run.size();
    for (std::int64_t j = 0; j < n; ++j) {
      const std::int64_t oj = p.inner_reduced ? o : o + j;
      c[oj] += xv[in + j] == ov[oj] ? 1 : 0;
    }
  }
  Tensor w = detail::empty(x.shape(), x.dtype());
  T* wv = detail::ptr<T>(w);
  for (auto run = detail::reduction_rows(p); !run.done(); run.next()) {
    const std::int64_t in = run.pos(), o = run.offset(0), n = run.size();
    for (std::int64_t j = 0; j < n; ++j) {
      const std::int64_t oj = p.inner_reduced ? o : o + j;
      const T share = c[oj] == 0 ? std::numeric_limits<T>::quiet_NaN() : T(1) / T(c[oj]);
      wv[in + j] = xv[in + j] == ov[oj] ? share : T(0);
    }
  }
  return w;
}

template <bool IsMax>
Tensor extreme(const char* op, const Tensor& x, const Axes& axes, bool keepdim) {
  autograd::check_defined(op, x);
  const ReducePlan p = detail::make_reduce_plan(op, x.shape(), axes);
  check_nonempty_axes(op, p, x.shape());
  Tensor out = detail::empty(keepdim ? p.keep_shape : p.out_shape, x.dtype());
  autograd::dispatch(x.dtype(), [&]<class T>() {
    extreme_kernel<IsMax, T>(p, detail::ptr<T>(x), detail::ptr<T>(out));
  });
  if (x.requires_grad()) {
    autograd::record(op, out, {x}, {x, autograd::output},
                     [op, p](const autograd::BackwardCtx& ctx) -> std::vector<Tensor> {
                       const Tensor x = ctx.saved(0);
                       if (!ctx.needs(0)) return {Tensor()};
                       // Not recorded: PyTorch compares (result == x), which leaves the
                       // graph (unlike Note [zero-gradient masks] in detail/impl.hpp).
                       const Tensor w = autograd::dispatch_float(op, x.dtype(), [&]<class T>() {
                         return extreme_weights<T>(p, x, ctx.saved(1));
                       });
                       return {w * keep_dims(ctx.grad, p.keep_shape)};
                     });
  }
  return out;
}

// Shared forward of var and std: the variance with divisor max(N - correction, 0), so
// that N <= correction gives inf or nan (0/0 for a single element), like PyTorch.
Tensor variance_values(const ReducePlan& p, const Tensor& x, std::int64_t correction, bool keepdim,
                       bool take_sqrt) {
  Tensor out = detail::empty(keepdim ? p.keep_shape : p.out_shape, x.dtype());
  const double dof = std::max<double>(static_cast<double>(p.group - correction), 0.0);
  autograd::dispatch_float("var", x.dtype(), [&]<class T>() {
    const T* xv = detail::ptr<T>(x);
    // Two passes (mean, then squared deviations) rather than sum(x^2) - n mean^2,
    // which cancels catastrophically when the mean is large against the spread.
    std::vector<double> mean = sum_kernel<T>(p, xv);
    for (double& m : mean) m /= static_cast<double>(p.group);
    const std::vector<double> ss = sq_dev_kernel<T>(p, xv, mean);
    T* o = detail::ptr<T>(out);
    for (std::int64_t i = 0; i < p.out_numel; ++i) {
      const double v = ss[static_cast<std::size_t>(i)] / dof;
      o[i] = static_cast<T>(take_sqrt ? std::sqrt(v) : v);
    }
  });
  return out;
}

// argmax/argmin along one axis of `shape` seen as (outer, size, inner): i64 indices of
// the first extreme element.
template <bool IsMax, class T>
void arg_kernel(const T* x, std::int64_t* out, std::int64_t outer, std::int64_t size,
                std::int64_t inner) {
  if (inner == 1) {  // contiguous rows
    // Two passes: the vectorised extreme (NaN if any), then the first element equal to
    // it (or the first NaN). Faster than one pass with a branchy index update.
    for (std::int64_t o = 0; o < outer; ++o) {
      const T* r = x + o * size;
      const T best = row_extreme<IsMax>(r, size, worst_value<IsMax, T>());
      std::int64_t k = 0;
      if (is_nan(best)) {
        while (!is_nan(r[k])) ++k;
      } else {
        while (r[k] != best) ++k;
      }
      out[o] = k;
    }
    return;
  }
  // Walk whole rows of `inner` elements so that memory is read in order.
  std::vector<T> best(static_cast<std::size_t>(inner));
  for (std::int64_t o = 0; o < outer; ++o) {
    const T* base = x + o * size * inner;
    std::int64_t* bi = out + o * inner;
    for (std::int64_t i = 0; i < inner; ++i) {
      best[static_cast<std::size_t>(i)] = base[i];
      bi[i] = 0;
    }
    for (std::int64_t k = 1; k < size; ++k) {
      const T* r = base + k * inner;
      T* b = best.data();
      for (std::int64_t i = 0; i < inner; ++i) {  // selects, not branches
        const bool take = beats<IsMax>(r[i], b[i]);
        b[i] = take ? r[i] : b[i];
        bi[i] = take ? k : bi[i];
      }
    }
  }
}

template <bool IsMax>
Tensor arg_extreme(const char* op, const Tensor& x, std::optional<std::int64_t> axis,
                   bool keepdim) {
  autograd::check_defined(op, x);
  const Shape& shape = x.shape();
  std::int64_t outer = 1, size = x.numel(), inner = 1;
  Shape out_shape;
  if (axis) {
    const ReducePlan p = detail::make_reduce_plan(op, shape, {*axis});
    check_nonempty_axes(op, p, shape);
    if (!p.axes.empty()) {  // empty only for a 0-D input
      const auto a = static_cast<std::size_t>(p.axes[0]);
      size = shape[a];
      for (std::size_t d = 0; d < a; ++d) outer *= shape[d];
      for (std::size_t d = a + 1; d < shape.size(); ++d) inner *= shape[d];
    }
    out_shape = keepdim ? p.keep_shape : p.out_shape;
  } else if (x.numel() == 0) {
    throw ValueError(std::string(op) +
                     ": cannot take the index of an extreme of an empty "
                     "tensor of shape " +
                     shape_str(shape));
  }
  Tensor out = detail::empty(out_shape, Dtype::i64);
  if (outer * inner == 0) return out;
  autograd::dispatch(x.dtype(), [&]<class T>() {
    arg_kernel<IsMax, T>(detail::ptr<T>(x), detail::ptr<std::int64_t>(out), outer, size, inner);
  });
  return out;
}

}  // namespace

// ---- sum and mean ----------------------------------------------------------------------

Tensor sum(const Tensor& x) { return sum(x, Axes{}, false); }

Tensor sum(const Tensor& x, const Axes& axes, bool keepdim) {
  autograd::check_defined("sum", x);
  const ReducePlan p = detail::make_reduce_plan("sum", x.shape(), axes);
  Tensor out = detail::empty(keepdim ? p.keep_shape : p.out_shape, x.dtype());
  autograd::dispatch(x.dtype(), [&]<class T>() {
    std::vector<SumAcc<T>> acc;
    if constexpr (std::is_integral_v<T>) {
      acc = checked_sum_kernel(p, detail::ptr<T>(x));
    } else {
      acc = sum_kernel<T>(p, detail::ptr<T>(x));
    }
    T* o = detail::ptr<T>(out);
    for (std::int64_t i = 0; i < p.out_numel; ++i) o[i] = static_cast<T>(acc[i]);
  });
  if (x.requires_grad()) {
    autograd::record("sum", out, {x}, {},
                     [keep = p.keep_shape, in_shape = x.shape()](
                         const autograd::BackwardCtx& ctx) -> std::vector<Tensor> {
                       if (!ctx.needs(0)) return {Tensor()};
                       return {expand_grad(ctx.grad, keep, in_shape)};
                     });
  }
  return out;
}

Tensor mean(const Tensor& x) { return mean(x, Axes{}, false); }

Tensor mean(const Tensor& x, const Axes& axes, bool keepdim) {
  autograd::check_defined("mean", x);
  check_float_input("mean", x);
  const ReducePlan p = detail::make_reduce_plan("mean", x.shape(), axes);
  Tensor out = detail::empty(keepdim ? p.keep_shape : p.out_shape, x.dtype());
  // An empty group gives 0/0 = nan, as PyTorch.
  const double n = static_cast<double>(p.group);
  autograd::dispatch_float("mean", x.dtype(), [&]<class T>() {
    const auto acc = sum_kernel<T>(p, detail::ptr<T>(x));
    T* o = detail::ptr<T>(out);
    for (std::int64_t i = 0; i < p.out_numel; ++i) o[i] = static_cast<T>(acc[i] / n);
  });
  if (x.requires_grad()) {
    autograd::record("mean", out, {x}, {},
                     [keep = p.keep_shape, in_shape = x.shape(),
                      n](const autograd::BackwardCtx& ctx) -> std::vector<Tensor> {
                       if (!ctx.needs(0)) return {Tensor()};
                       if (!is_grad_enabled() && ctx.grad.numel() == 1) {
                         return {repeat_mean_grad(ctx.grad, n, in_shape)};
                       }
                       // Scale the small gradient before repeating it.
                       return {expand_grad(ctx.grad / n, keep, in_shape)};
                     });
  }
  return out;
}

// ---- var and std -----------------------------------------------------------------------

Tensor var(const Tensor& x, const Axes& axes, std::int64_t correction, bool keepdim) {
  autograd::check_defined("var", x);
  check_float_input("var", x);
  const ReducePlan p = detail::make_reduce_plan("var", x.shape(), axes);
  Tensor out = variance_values(p, x, correction, keepdim, /*take_sqrt=*/false);
  if (x.requires_grad()) {
    autograd::record("var", out, {x}, {x},
                     [p, correction](const autograd::BackwardCtx& ctx) -> std::vector<Tensor> {
                       const Tensor x = ctx.saved(0);
                       if (!ctx.needs(0)) return {Tensor()};
                       // d var / dx = 2 (x - mean) / (N - correction); N <= correction
                       // gives inf * 0 = nan (PyTorch does the same).
                       const double dof =
                           std::max<double>(static_cast<double>(p.group - correction), 0.0);
                       const Tensor centered = x - mean(x, p.axes, /*keepdim=*/true);
                       return {centered * (keep_dims(ctx.grad, p.keep_shape) * (2.0 / dof))};
                     });
  }
  return out;
}

Tensor std(const Tensor& x, const Axes& axes, std::int64_t correction, bool keepdim) {
  autograd::check_defined("std", x);
  check_float_input("std", x);
  const ReducePlan p = detail::make_reduce_plan("std", x.shape(), axes);
  Tensor out = variance_values(p, x, correction, keepdim, /*take_sqrt=*/true);
  if (x.requires_grad()) {
    autograd::record("std", out, {x}, {x, autograd::output},
                     [p, correction](const autograd::BackwardCtx& ctx) -> std::vector<Tensor> {
                       const Tensor x = ctx.saved(0);
                       if (!ctx.needs(0)) return {Tensor()};
                       // d std / dx = (x - mean) / ((N - correction) std). Where std is 0
                       // (constant input) the gradient is 0, as PyTorch's std_backward
                       // masks it (0/0 otherwise).
                       const double dof =
                           std::max<double>(static_cast<double>(p.group - correction), 0.0);
                       const Tensor centered = x - mean(x, p.axes, /*keepdim=*/true);
                       const Tensor s = keep_dims(ctx.saved(1), p.keep_shape);
                       const Tensor scale = keep_dims(ctx.grad, p.keep_shape) / (s * dof);
                       return {centered * where(eq(s, 0.0), 0.0, scale)};
                     });
  }
  return out;
}

// ---- max and min -----------------------------------------------------------------------

Tensor max(const Tensor& x) { return extreme<true>("max", x, Axes{}, false); }
Tensor max(const Tensor& x, const Axes& axes, bool keepdim) {
  return extreme<true>("max", x, axes, keepdim);
}
Tensor min(const Tensor& x) { return extreme<false>("min", x, Axes{}, false); }
Tensor min(const Tensor& x, const Axes& axes, bool keepdim) {
  return extreme<false>("min", x, axes, keepdim);
}

// ---- logsumexp -------------------------------------------------------------------------

Tensor logsumexp(const Tensor& x, const Axes& axes, bool keepdim) {
  autograd::check_defined("logsumexp", x);
  check_float_input("logsumexp", x);
  const ReducePlan p = detail::make_reduce_plan("logsumexp", x.shape(), axes);
  Tensor out = detail::empty(keepdim ? p.keep_shape : p.out_shape, x.dtype());
  autograd::dispatch_float("logsumexp", x.dtype(), [&]<class T>() {
    const T* xv = detail::ptr<T>(x);
    // log sum exp(x) = m + log sum exp(x - m) with m the group's max, so that exp never
    // overflows. An infinite (or empty, -inf) max is replaced by 0: subtracting it would
    // give inf - inf = nan, while the unshifted sum already gives the right inf / -inf.
    std::vector<T> m(static_cast<std::size_t>(p.out_numel));
    extreme_kernel<true, T>(p, xv, m.data());
    for (T& v : m) {
      if (std::isinf(v)) v = T(0);
    }
    const std::vector<double> s = sum_exp_kernel<T>(p, xv, m);
    T* o = detail::ptr<T>(out);
    for (std::int64_t i = 0; i < p.out_numel; ++i) {
      const auto k = static_cast<std::size_t>(i);
      o[i] = static_cast<T>(static_cast<double>(m[k]) + std::log(s[k]));
    }
  });
  if (x.requires_grad()) {
    autograd::record(
        "logsumexp", out, {x}, {x, autograd::output},
        [keep = p.keep_shape](const autograd::BackwardCtx& ctx) -> std::vector<Tensor> {
          const Tensor x = ctx.saved(0);
          if (!ctx.needs(0)) return {Tensor()};
          // d/dx log sum exp(x) = exp(x - out): softmax over the group, from the saved
          // output so that no second max pass is needed.
          return {exp(x - keep_dims(ctx.saved(1), keep)) * keep_dims(ctx.grad, keep)};
        });
  }
  return out;
}

// ---- argmax and argmin -----------------------------------------------------------------

Tensor argmax(const Tensor& x) { return arg_extreme<true>("argmax", x, std::nullopt, false); }
Tensor argmax(const Tensor& x, std::int64_t axis, bool keepdim) {
  return arg_extreme<true>("argmax", x, axis, keepdim);
}
Tensor argmin(const Tensor& x) { return arg_extreme<false>("argmin", x, std::nullopt, false); }
Tensor argmin(const Tensor& x, std::int64_t axis, bool keepdim) {
  return arg_extreme<false>("argmin", x, axis, keepdim);
}

}  // namespace xg
