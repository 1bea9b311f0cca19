// Elementwise arithmetic, broadcast_to and sum_to.
#include "autograd/ops/elementwise.hpp"

#include <cmath>
#include <cstring>
#include <limits>
#include <type_traits>

#include "autograd/detail/checked.hpp"
#include "autograd/detail/impl.hpp"
#include "autograd/detail/strided.hpp"
#include "autograd/ops/compare.hpp"

namespace xg {

using autograd::BackwardCtx;
using detail::ptr;
using Grads = std::vector<Tensor>;

namespace {

// out = f(a, b) in dtype `dt` with broadcasting; operands converted to dt first. For i64
// the loop runs on the calling thread only and is not a SIMD clone, so that f may throw
// (an overflow, Note [integer overflow] in detail/checked.hpp; Note [no allocation in
// simd clones] in detail/impl.hpp); the float loops are split over the threads.
template <class F>
Tensor binary_values(const char* op, const Tensor& a, const Tensor& b, Dtype dt, F f) {
  const Shape out_shape = autograd::broadcast_shapes(op, a.shape(), b.shape());
  const Tensor ac = detail::cast_values(a, dt);
  const Tensor bc = detail::cast_values(b, dt);
  Tensor out = detail::empty(out_shape, dt);
  autograd::dispatch(dt, [&]<class T>() {
    auto g = [&](T x, T y) { return static_cast<T>(f(x, y)); };
    if constexpr (std::is_integral_v<T>) {
      const auto sa = detail::broadcast_strides(ac.shape(), out_shape);
      const auto sb = detail::broadcast_strides(bc.shape(), out_shape);
      detail::StridedRows<2> r(out_shape, {sa, sb});
      detail::broadcast_rows(ptr<T>(ac), ptr<T>(bc), ptr<T>(out), r, g);
    } else {
      detail::broadcast_binary(ptr<T>(ac), ac.shape(), ptr<T>(bc), bc.shape(), ptr<T>(out),
                               out_shape, g);
    }
  });
  return out;
}

// A 0-D tensor holding v, in the dtype an op with `like` should compute in. An i64
// tensor with a non-integral scalar computes in f32, as PyTorch's type promotion does;
// so does one with a scalar that i64 cannot hold (inf, 1e30).
Tensor scalar_like(const Tensor& like, double v) {
  autograd::check_defined("scalar", like);
  Dtype dt = like.dtype();
  if (dt == Dtype::i64 && (v != std::trunc(v) || !detail::fits<std::int64_t>(v))) dt = Dtype::f32;
  return scalar_tensor(v, {.dtype = dt});
}

// Values of a 0/1 mask (or any values) computed without recording: used where the
// derivative of the mask itself is zero almost everywhere.
template <class F> Tensor unary_values(const char* op, const Tensor& x, F f) {
  return autograd::dispatch_float(op, x.dtype(), [&]<class T>() {
    return detail::map_unary<T>(x, [&](T v) { return static_cast<T>(f(v)); });
  });
}

}  // namespace

Tensor add(const Tensor& a, const Tensor& b) {
  const Dtype dt = autograd::result_dtype("add", a, b);
  Tensor out = binary_values("add", a, b, dt,
                             [](auto x, auto y) { return detail::arith<'+'>("add", x, y); });
  autograd::record("add", out, {a, b}, {}, [](const BackwardCtx& ctx) {
    return Grads{ctx.grad, ctx.grad};
  });
  return out;
}

Tensor sub(const Tensor& a, const Tensor& b) {
  const Dtype dt = autograd::result_dtype("sub", a, b);
  Tensor out = binary_values("sub", a, b, dt,
                             [](auto x, auto y) { return detail::arith<'-'>("sub", x, y); });
  autograd::record("sub", out, {a, b}, {}, [](const BackwardCtx& ctx) {
    return Grads{ctx.grad, ctx.needs(1) ? -ctx.grad : Tensor()};
  });
  return out;
}

Tensor mul(const Tensor& a, const Tensor& b) {
  const Dtype dt = autograd::result_dtype("mul", a, b);
  Tensor out = binary_values("mul", a, b, dt,
                             [](auto x, auto y) { return detail::arith<'*'>("mul", x, y); });
  autograd::record("mul", out, {a, b}, {a, b}, [](const BackwardCtx& ctx) {
    // Each operand is read only for the other's gradient (as PyTorch saves them).
    return Grads{ctx.needs(0) ? ctx.grad * ctx.saved(1) : Tensor(),
                 ctx.needs(1) ? ctx.grad * ctx.saved(0) : Tensor()};
  });
  return out;
}

Tensor div(const Tensor& a, const Tensor& b) {
  Dtype dt = autograd::result_dtype("div", a, b);
  if (dt == Dtype::i64) dt = Dtype::f32;  // true division, as PyTorch
  Tensor out = binary_values("div", a, b, dt, [](auto x, auto y) { return x / y; });
  autograd::record("div", out, {a, b}, {a, b}, [](const BackwardCtx& ctx) {
    const Tensor b = ctx.saved(1);
    if (!ctx.needs(1)) return Grads{ctx.grad / b, Tensor()};
    const Tensor a = ctx.saved(0);  // read only for b's gradient
    return Grads{ctx.needs(0) ? ctx.grad / b : Tensor(), -ctx.grad * a / (b * b)};
  });
  return out;
}

Tensor neg(const Tensor& x) {
  autograd::check_defined("neg", x);
  Tensor out = autograd::dispatch(x.dtype(), [&]<class T>() {
    if constexpr (std::is_integral_v<T>) detail::check_negatable("neg", x);
    return detail::map_unary<T>(x, [](T v) { return static_cast<T>(-v); });
  });
  autograd::record("neg", out, {x}, {}, [](const BackwardCtx& ctx) { return Grads{-ctx.grad}; });
  return out;
}

Tensor operator+(const Tensor& a, const Tensor& b) { return add(a, b); }
Tensor operator-(const Tensor& a, const Tensor& b) { return sub(a, b); }
Tensor operator*(const Tensor& a, const Tensor& b) { return mul(a, b); }
Tensor operator/(const Tensor& a, const Tensor& b) { return div(a, b); }
Tensor operator+(const Tensor& a, double b) { return add(a, scalar_like(a, b)); }
Tensor operator-(const Tensor& a, double b) { return sub(a, scalar_like(a, b)); }
Tensor operator*(const Tensor& a, double b) { return mul(a, scalar_like(a, b)); }
Tensor operator/(const Tensor& a, double b) { return div(a, scalar_like(a, b)); }
Tensor operator+(double a, const Tensor& b) { return add(scalar_like(b, a), b); }
Tensor operator-(double a, const Tensor& b) { return sub(scalar_like(b, a), b); }
Tensor operator*(double a, const Tensor& b) { return mul(scalar_like(b, a), b); }
Tensor operator/(double a, const Tensor& b) { return div(scalar_like(b, a), b); }
Tensor operator-(const Tensor& x) { return neg(x); }

Tensor pow(const Tensor& x, double exponent) {
  autograd::check_floating("pow", x);
  Tensor out = unary_values("pow", x, [exponent](auto v) { return std::pow(v, exponent); });
  autograd::record("pow", out, {x}, {x}, [exponent](const BackwardCtx& ctx) {
    const Tensor x = ctx.saved(0);
    // d/dx x^0 is 0 everywhere, also at x = 0 where the formula below gives 0 * inf.
    if (exponent == 0.0) return Grads{zeros_like(x)};
    return Grads{ctx.grad * (exponent * pow(x, exponent - 1.0))};
  });
  return out;
}

Tensor pow(const Tensor& x, const Tensor& y) {
  const Dtype dt = autograd::result_dtype("pow", x, y);
  if (dt == Dtype::i64) {
    throw DtypeError("pow: expected a float tensor (f32 or f64), got i64 and i64 (shapes " +
                     shape_str(x.shape()) + " and " + shape_str(y.shape()) + ")");
  }
  Tensor out = binary_values("pow", x, y, dt, [](auto a, auto b) { return std::pow(a, b); });
  autograd::record("pow", out, {x, y}, {x, y}, [](const BackwardCtx& ctx) {
    Grads g(2);
    const Tensor x = ctx.saved(0);
    const Tensor y = ctx.saved(1);
    if (ctx.needs(0)) g[0] = ctx.grad * y * pow(x, y - 1.0);
    if (ctx.needs(1)) {
      // PyTorch masks the exponent's gradient where x == 0 and y >= 0 (0^y has a finite
      // one-sided limit there while log(0) = -inf).
      const Tensor out_val = pow(x, y);
      const Tensor masked = where(mul(eq(x, 0.0), ge(y, 0.0)), 0.0, out_val * log(x));
      g[1] = ctx.grad * masked;
    }
    return g;
  });
  return out;
}

Tensor pow(double base, const Tensor& y) {
  autograd::check_floating("pow", y);
  return pow(scalar_tensor(base, {.dtype = y.dtype()}), y);
}

Tensor square(const Tensor& x) { return mul(x, x); }

Tensor exp(const Tensor& x) {
  autograd::check_floating("exp", x);
  Tensor out = unary_values("exp", x, [](auto v) { return detail::vexp(v); });
  autograd::record("exp", out, {x}, {autograd::output},
                   [](const BackwardCtx& ctx) { return Grads{ctx.grad * ctx.saved(0)}; });
  return out;
}

Tensor log(const Tensor& x) {
  autograd::check_floating("log", x);
  Tensor out = unary_values("log", x, [](auto v) { return std::log(v); });
  autograd::record("log", out, {x}, {x},
                   [](const BackwardCtx& ctx) { return Grads{ctx.grad / ctx.saved(0)}; });
  return out;
}

Tensor sqrt(const Tensor& x) {
  autograd::check_floating("sqrt", x);
  Tensor out = unary_values("sqrt", x, [](auto v) { return std::sqrt(v); });
  autograd::record("sqrt", out, {x}, {autograd::output},
                   [](const BackwardCtx& ctx) { return Grads{ctx.grad / (2.0 * ctx.saved(0))}; });
  return out;
}

Tensor abs(const Tensor& x) {
  autograd::check_defined("abs", x);
  Tensor out = autograd::dispatch(x.dtype(), [&]<class T>() {
    if constexpr (std::is_integral_v<T>) detail::check_negatable("abs", x);
    return detail::map_unary<T>(x, [](T v) { return v < 0 ? static_cast<T>(-v) : v; });
  });
  autograd::record("abs", out, {x}, {x}, [](const BackwardCtx& ctx) {
    const Tensor x = ctx.saved(0);
    // sign(x), with sign(0) = 0 as PyTorch; its own derivative is zero.
    Tensor sign = unary_values("abs", x, [](auto v) { return (v > 0) - (v < 0); });
    detail::record_zero_gradient("sign", sign, {x});
    return Grads{ctx.grad * sign};
  });
  return out;
}

Tensor clamp(const Tensor& x, std::optional<double> min, std::optional<double> max) {
  autograd::check_defined("clamp", x);
  if (!min && !max) throw ValueError("clamp: at least one of min and max must be given");
  if (min && max && *min > *max) {
    throw ValueError("clamp: min " + std::to_string(*min) + " is greater than max " +
                     std::to_string(*max));
  }
  const double lo = min.value_or(-INFINITY), hi = max.value_or(INFINITY);
  // A NaN bound makes every value NaN (NaN propagates, as in PyTorch's clamp with a NaN
  // max); an i64 tensor cannot hold it.
  const bool nan_bound = std::isnan(lo) || std::isnan(hi);
  if (nan_bound && x.dtype() == Dtype::i64) {
    throw ValueError("clamp: a NaN bound for an i64 tensor of shape " + shape_str(x.shape()));
  }
  Tensor out = autograd::dispatch(x.dtype(), [&]<class T>() {
    if (nan_bound) return full_like(x, NAN);
    if constexpr (std::is_integral_v<T>) {
      // Compared as integers: an i64 near 2^63 does not survive a round trip through double
      // (Note [integer overflow]). A bound past the i64 range binds no value, one inside
      // it is truncated as a converted value would be.
      constexpr double kLimit = 0x1p63;
      if (lo >= kLimit || hi < -kLimit) {
        throw ValueError("clamp: bound " + detail::number_str(lo >= kLimit ? lo : hi) +
                         " is out of the i64 range");
      }
      const T l = lo < -kLimit ? std::numeric_limits<T>::min() : static_cast<T>(lo);
      const T h = hi >= kLimit ? std::numeric_limits<T>::max() : static_cast<T>(hi);
      return detail::map_unary<T>(x, [=](T v) { return v < l ? l : (v > h ? h : v); });
    }
    return detail::map_unary<T>(x, [&](T v) {
      const double d = static_cast<double>(v);
      return static_cast<T>(d < lo ? lo : (d > hi ? hi : d));
    });
  });
  autograd::record("clamp", out, {x}, {x}, [lo, hi](const BackwardCtx& ctx) {
    const Tensor x = ctx.saved(0);
    // Not recorded: PyTorch's clamp_backward builds it from comparisons, which leave the
    // graph (unlike abs, Note [zero-gradient masks]).
    const Tensor inside = unary_values("clamp", x, [=](auto v) { return v >= lo && v <= hi; });
    return Grads{ctx.grad * inside};
  });
  return out;
}

namespace {

// maximum/minimum: the gradient goes to the chosen operand, split evenly on ties, as in
// PyTorch. Each operand's share is 1 where it was chosen (or a NaN made the comparison
// fail), 0.5 on ties, 0 elsewhere; its derivative is zero almost everywhere, and it is not
// recorded: PyTorch builds it from comparisons, which leave the graph (unlike abs, Note
// [zero-gradient masks]).
Tensor extreme(const char* op, const Tensor& a, const Tensor& b, bool take_max) {
  const Dtype dt = autograd::result_dtype(op, a, b);
  // NaN propagates from either side (x != x only for NaN), as in PyTorch.
  Tensor out = binary_values(op, a, b, dt, [take_max](auto x, auto y) {
    if (x != x || y != y) return x != x ? x : y;
    return take_max ? (x > y ? x : y) : (x < y ? x : y);
  });
  autograd::record(op, out, {a, b}, {a, b}, [dt, take_max, op](const BackwardCtx& ctx) {
    const Tensor a = ctx.saved(0);
    const Tensor b = ctx.saved(1);
    // PyTorch's rule for maximum: a gets the gradient unless a < b, b unless a > b, half
    // each on ties; so where either is NaN (no comparison holds) both get all of it.
    auto share = [&](bool first) {
      return binary_values(op, a, b, dt, [take_max, first](auto x, auto y) {
        using T = decltype(x);
        if (x == y) return static_cast<T>(0.5);
        const bool loses = (take_max == first) ? x < y : x > y;
        return static_cast<T>(!loses);
      });
    };
    return Grads{ctx.needs(0) ? ctx.grad * share(true) : Tensor(),
                 ctx.needs(1) ? ctx.grad * share(false) : Tensor()};
  });
  return out;
}

}  // namespace

Tensor maximum(const Tensor& a, const Tensor& b) { return extreme("maximum", a, b, true); }
Tensor minimum(const Tensor& a, const Tensor& b) { return extreme("minimum", a, b, false); }

// ---- broadcast_to and sum_to: each is the other's backward ----------------------------

namespace {

void check_broadcastable(const char* op, const Shape& from, const Shape& to) {
  bool ok = from.size() <= to.size();
  for (std::size_t i = 0; ok && i < from.size(); ++i) {
    const auto f = from[from.size() - 1 - i], t = to[to.size() - 1 - i];
    ok = f == t || f == 1;
  }
  if (!ok) {
    throw ShapeError(std::string(op) + ": shape " + shape_str(from) + " cannot be broadcast to " +
                     shape_str(to));
  }
}

}  // namespace

Tensor broadcast_to(const Tensor& x, const Shape& shape) {
  autograd::check_defined("broadcast_to", x);
  check_broadcastable("broadcast_to", x.shape(), shape);
  // To its own shape: the input itself, unless recording (PyTorch's expand always makes a
  // new tensor in the graph, which xg::grad can tell apart from its input).
  if (x.shape() == shape && !autograd::needs_record({x})) return x;
  Tensor out = detail::empty(shape, x.dtype());
  autograd::dispatch(x.dtype(), [&]<class T>() {
    const T* in = ptr<T>(x);
    T* o = ptr<T>(out);
    // out walked row by row (Note [strided rows]). x is contiguous, so along a row it
    // has stride 1 (the row is a copy) or 0 (broadcast along the last axis: a fill).
    const auto st = detail::broadcast_strides(x.shape(), shape);
    detail::StridedRows<1> r(shape, {st});
    const std::int64_t n = r.size(), step = r.stride(0);
    for (; !r.done(); r.next()) {
      if (step == 1) {
        std::copy_n(in + r.offset(0), n, o + r.pos());
      } else {
        std::fill_n(o + r.pos(), n, in[r.offset(0)]);
      }
    }
  });
  const Shape in_shape = x.shape();
  autograd::record("broadcast_to", out, {x}, {}, [in_shape](const BackwardCtx& ctx) {
    return Grads{sum_to_size(ctx.grad, in_shape)};
  });
  return out;
}

Tensor sum_to_size(const Tensor& x, const Shape& shape) {
  autograd::check_defined("sum_to_size", x);
  check_broadcastable("sum_to_size", shape, x.shape());
  if (x.shape() == shape) return x;
  Tensor out = detail::empty(shape, x.dtype());
  autograd::dispatch(x.dtype(), [&]<class T>() {
    const T* in = ptr<T>(x);
    T* o = ptr<T>(out);
    std::fill(o, o + out.numel(), T(0));
    // x walked row by row in row-major order (Note [strided rows]), each element added
    // into the out element it was broadcast from. out is contiguous, so along a row it
    // has stride 1 (elementwise adds, which vectorise) or 0 (the row sums into one
    // element, in order).
    const auto st = detail::broadcast_strides(shape, x.shape());
    detail::StridedRows<1> r(x.shape(), {st});
    const std::int64_t n = r.size(), step = r.stride(0);
    for (; !r.done(); r.next()) {
      const T* row = in + r.pos();
      T* acc = o + r.offset(0);
      if (step == 1) {
        for (std::int64_t j = 0; j < n; ++j) acc[j] += row[j];
      } else {
        T s = *acc;
        for (std::int64_t j = 0; j < n; ++j) s += row[j];
        *acc = s;
      }
    }
  });
  const Shape in_shape = x.shape();
  autograd::record("sum_to_size", out, {x}, {}, [in_shape](const BackwardCtx& ctx) {
    return Grads{broadcast_to(ctx.grad, in_shape)};
  });
  return out;
}

Tensor detail::sum_to(const Tensor& g, const Shape& shape) { return sum_to_size(g, shape); }

}  // namespace xg
