// Activation functions. Forwards are tight loops over the raw buffer (detail::map_unary);
// backwards are written with xgrad ops so that higher-order gradients work. GELU's
// derivative needs erf, which is not an xgrad op, so it is its own recorded op
// (gelu_backward) whose backward is again an xgrad expression.
#include "autograd/ops/activation.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "autograd/detail/impl.hpp"
#include "autograd/ops/compare.hpp"
#include "autograd/ops/elementwise.hpp"

namespace xg {

namespace {

// PyTorch's GELU constants (aten/src/ATen/native/cpu/Activation.cpp).
constexpr double kSqrt1_2 = 0.70710678118654752440;      // 1 / sqrt(2)
constexpr double kInvSqrt2Pi = 0.39894228040143267794;   // 1 / sqrt(2 pi)
constexpr double kSqrt2OverPi = 0.79788456080286535588;  // sqrt(2 / pi)
constexpr double kKappa = 0.044715;

enum class GeluKind { exact, tanh };

GeluKind parse_gelu_kind(std::string_view approximate) {
  if (approximate == "none") return GeluKind::exact;
  if (approximate == "tanh") return GeluKind::tanh;
  throw ValueError("gelu: approximate must be \"none\" or \"tanh\", got \"" +
                   std::string(approximate) + "\"");
}

// d/dx gelu(x), elementwise, as a recorded op so that the gradient of gelu can itself be
// differentiated (create_graph). Its own backward is the second derivative, written
// with xgrad ops:
//   exact: d/dx [Phi(x) + x phi(x)] = phi(x) (2 - x^2)
//   tanh:  with u = c (x + k x^3), t = tanh(u), u' = c (1 + 3 k x^2), u'' = 6 c k x,
//          f' = 0.5 (1 + t) + 0.5 x (1 - t^2) u'
//          f'' = (1 - t^2) (u' + 0.5 x (u'' - 2 t u'^2))
Tensor gelu_derivative(const Tensor& x, GeluKind kind) {
  Tensor out = autograd::dispatch_float("gelu", x.dtype(), [&]<class T>() {
    if (kind == GeluKind::exact) {
      return detail::map_unary<T>(x, [](T v) {
        const T cdf = T(0.5) * (T(1) + std::erf(v * T(kSqrt1_2)));
        const T pdf = std::exp(T(-0.5) * v * v) * T(kInvSqrt2Pi);
        return cdf + v * pdf;
      });
    }
    return detail::map_unary<T>(x, [](T v) {
      const T inner = T(kSqrt2OverPi) * (v + T(kKappa) * v * v * v);
      const T t = std::tanh(inner);
      const T left = T(0.5) * (T(1) + t);
      const T sech2 = T(1) - t * t;
      // Where tanh saturated, the second term is exactly 0; skipping it avoids 0 * inf
      // when v * v overflows (|v| > 1e19 in f32).
      if (sech2 == T(0)) return left;
      const T du = T(kSqrt2OverPi) * (T(1) + T(3 * kKappa) * v * v);
      return left + T(0.5) * v * sech2 * du;
    });
  });
  autograd::record("gelu_backward", out, {x}, {x}, [kind](const autograd::BackwardCtx& ctx) {
    const Tensor x = ctx.saved(0);
    Tensor second;
    if (kind == GeluKind::exact) {
      const Tensor x2 = x * x;
      second = exp(x2 * -0.5) * kInvSqrt2Pi * (2.0 - x2);
    } else {
      const Tensor x2 = x * x;
      const Tensor t = tanh((x + x2 * x * kKappa) * kSqrt2OverPi);
      const Tensor du = (x2 * (3.0 * kKappa) + 1.0) * kSqrt2OverPi;
      const Tensor ddu = x * (6.0 * kKappa * kSqrt2OverPi);
      second = (1.0 - t * t) * (du + x * 0.5 * (ddu - 2.0 * t * du * du));
    }
    return std::vector<Tensor>{ctx.grad * second};
  });
  return out;
}

// g * (y * (1 - y)) and g * (1 - y * y), PyTorch's sigmoid_backward and tanh_backward: one
// pass and one buffer instead of three ops, with the composed ops' operations in the same
// order (the same bits). Recorded with inputs {g, y} so that they can be differentiated
// again: y is the forward's output, connected to x when the graph is being recorded.
Tensor sigmoid_backward(const Tensor& g, const Tensor& y) {
  Tensor out = autograd::dispatch_float("sigmoid_backward", g.dtype(), [&]<class T>() {
    return detail::map_binary<T>(g, y, [](T gv, T yv) { return gv * (yv * (T(1) - yv)); });
  });
  autograd::record("sigmoid_backward", out, {g, y}, {g, y}, [](const autograd::BackwardCtx& ctx) {
    const Tensor y = ctx.saved(1);
    return tensor_list{ctx.needs(0) ? sigmoid_backward(ctx.grad, y) : Tensor(),
                       ctx.needs(1) ? ctx.grad * ctx.saved(0) * (1.0 - 2.0 * y) : Tensor()};
  });
  return out;
}

Tensor tanh_backward(const Tensor& g, const Tensor& y) {
  Tensor out = autograd::dispatch_float("tanh_backward", g.dtype(), [&]<class T>() {
    return detail::map_binary<T>(g, y, [](T gv, T yv) { return gv * (T(1) - yv * yv); });
  });
  autograd::record("tanh_backward", out, {g, y}, {g, y}, [](const autograd::BackwardCtx& ctx) {
    const Tensor y = ctx.saved(1);
    return tensor_list{ctx.needs(0) ? tanh_backward(ctx.grad, y) : Tensor(),
                       ctx.needs(1) ? ctx.grad * ctx.saved(0) * (-2.0 * y) : Tensor()};
  });
  return out;
}

}  // namespace

Tensor sigmoid(const Tensor& x) {
  autograd::check_defined("sigmoid", x);
  Tensor out = autograd::dispatch_float("sigmoid", x.dtype(), [&]<class T>() {
    // exp(-|v|) so that exp never overflows: sigmoid(1000) = 1/(1+0) = 1 exactly and
    // sigmoid(-1000) = 0/(1+0) = 0 exactly, never inf/inf. Both sides computed and
    // selected, so that the loop vectorises.
    return detail::map_unary<T>(x, [](T v) {
      const T e = detail::vexp(v >= T(0) ? -v : v);
      const T d = T(1) + e;
      return v >= T(0) ? T(1) / d : e / d;
    });
  });
  autograd::record("sigmoid", out, {x}, {autograd::output}, [](const autograd::BackwardCtx& ctx) {
    return std::vector<Tensor>{sigmoid_backward(ctx.grad, ctx.saved(0))};
  });
  return out;
}

Tensor tanh(const Tensor& x) {
  autograd::check_defined("tanh", x);
  Tensor out = autograd::dispatch_float("tanh", x.dtype(), [&]<class T>() {
    return detail::map_unary<T>(x, [](T v) { return detail::vtanh(v); });
  });
  autograd::record("tanh", out, {x}, {autograd::output}, [](const autograd::BackwardCtx& ctx) {
    return std::vector<Tensor>{tanh_backward(ctx.grad, ctx.saved(0))};
  });
  return out;
}

namespace {

// g where y > 0, else 0 (PyTorch's threshold_backward(grad, result, 0)), in one pass: the
// composed where(le(y, 0), 0, g) built an i64 mask and took the general broadcast path,
// a tenth of an MLP epoch. Recorded so that it can be differentiated again: linear in g,
// and the mask of y has zero derivative almost everywhere. Both loads are unconditional
// (binary_loop) and the choice a select, so that it vectorises: with the load of g under
// the condition it stayed a branch per element, mispredicted half the time on ReLU masks.
Tensor relu_backward(const Tensor& g, const Tensor& y) {
  Tensor out = autograd::dispatch_float("relu_backward", g.dtype(), [&]<class T>() {
    return detail::map_binary<T>(g, y, [](T gv, T yv) { return yv <= T(0) ? T(0) : gv; });
  });
  if (autograd::needs_record({g, y})) {
    // y's values, without the graph that produced them; y is an input only so that second
    // derivatives are zeros rather than absent, as PyTorch's threshold_backward(g, y).
    const Tensor mask = y.detach();
    autograd::record("relu_backward", out, {g, y}, {mask}, [](const autograd::BackwardCtx& ctx) {
      return tensor_list{ctx.needs(0) ? relu_backward(ctx.grad, ctx.saved(0)) : Tensor(),
                         ctx.needs(1) ? zeros_like(ctx.grad) : Tensor()};
    });
  }
  return out;
}

}  // namespace

Tensor relu(const Tensor& x) {
  autograd::check_defined("relu", x);
  Tensor out = autograd::dispatch_float("relu", x.dtype(), [&]<class T>() {
    // v > 0 ? v : 0 (not std::max) so that NaN propagates, as in PyTorch.
    return detail::map_unary<T>(x, [](T v) { return v > T(0) || std::isnan(v) ? v : T(0); });
  });
  // PyTorch masks with the saved result (threshold_backward(grad, result, 0)): the
  // gradient is 0 where y <= 0, so relu'(0) = 0. Using y keeps x out of the closure.
  autograd::record("relu", out, {x}, {autograd::output}, [](const autograd::BackwardCtx& ctx) {
    return std::vector<Tensor>{relu_backward(ctx.grad, ctx.saved(0))};
  });
  return out;
}

Tensor leaky_relu(const Tensor& x, double negative_slope) {
  autograd::check_defined("leaky_relu", x);
  Tensor out = autograd::dispatch_float("leaky_relu", x.dtype(), [&]<class T>() {
    const T slope = static_cast<T>(negative_slope);
    return detail::map_unary<T>(x, [slope](T v) { return v > T(0) ? v : v * slope; });
  });
  // PyTorch: x > 0 ? g : g * slope, so the slope side owns x = 0.
  autograd::record("leaky_relu", out, {x}, {x}, [negative_slope](const autograd::BackwardCtx& ctx) {
    const Tensor x = ctx.saved(0);
    // 1 where x > 0, the slope elsewhere (Note [zero-gradient masks]).
    Tensor factor = where(gt(x, 0.0), 1.0, full_like(x, negative_slope));
    detail::record_zero_gradient("leaky_relu_mask", factor, {x});
    return tensor_list{ctx.grad * factor};
  });
  return out;
}

Tensor softplus(const Tensor& x, double beta, double threshold) {
  autograd::check_defined("softplus", x);
  if (beta == 0.0) throw ValueError("softplus: beta must be non-zero, got 0");
  Tensor out = autograd::dispatch_float("softplus", x.dtype(), [&]<class T>() {
    const T b = static_cast<T>(beta), th = static_cast<T>(threshold);
    // PyTorch returns x where beta x > threshold. Below it, log1p(exp(bx)) is rewritten
    // as max(bx, 0) + log1p(exp(-|bx|)): equal in exact arithmetic, and it cannot
    // overflow even when the user raises the threshold.
    return detail::map_unary<T>(x, [b, th](T v) {
      const T bx = v * b;
      if (bx > th) return v;
      return (std::max(bx, T(0)) + std::log1p(std::exp(-std::abs(bx)))) / b;
    });
  });
  autograd::record("softplus", out, {x}, {x}, [beta, threshold](const autograd::BackwardCtx& ctx) {
    const Tensor x = ctx.saved(0);
    const Tensor bx = x * beta;
    return std::vector<Tensor>{where(gt(bx, threshold), ctx.grad, ctx.grad * sigmoid(bx))};
  });
  return out;
}

Tensor gelu(const Tensor& x, std::string_view approximate) {
  autograd::check_defined("gelu", x);
  const GeluKind kind = parse_gelu_kind(approximate);
  Tensor out = autograd::dispatch_float("gelu", x.dtype(), [&]<class T>() {
    if (kind == GeluKind::exact) {
      return detail::map_unary<T>(
          x, [](T v) { return T(0.5) * v * (T(1) + std::erf(v * T(kSqrt1_2))); });
    }
    return detail::map_unary<T>(x, [](T v) {
      const T inner = T(kSqrt2OverPi) * (v + T(kKappa) * v * v * v);
      return T(0.5) * v * (T(1) + std::tanh(inner));
    });
  });
  autograd::record("gelu", out, {x}, {x}, [kind](const autograd::BackwardCtx& ctx) {
    const Tensor x = ctx.saved(0);
    return std::vector<Tensor>{ctx.grad * gelu_derivative(x, kind)};
  });
  return out;
}

Tensor elu(const Tensor& x, double alpha) {
  autograd::check_defined("elu", x);
  Tensor out = autograd::dispatch_float("elu", x.dtype(), [&]<class T>() {
    const T a = static_cast<T>(alpha);
    return detail::map_unary<T>(x, [a](T v) { return v > T(0) ? v : a * std::expm1(v); });
  });
  // PyTorch (elu_backward): x <= 0 gives g * alpha * exp(x), so elu'(0) = alpha. Written
  // as y + alpha (= alpha exp(x) there) so that no exp is recomputed.
  autograd::record(
      "elu", out, {x}, {x, autograd::output}, [alpha](const autograd::BackwardCtx& ctx) {
        const Tensor x = ctx.saved(0);
        const Tensor y = ctx.saved(1);
        return std::vector<Tensor>{where(gt(x, 0.0), ctx.grad, ctx.grad * (y + alpha))};
      });
  return out;
}

}  // namespace xg
