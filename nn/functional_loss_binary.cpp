// Binary losses: binary_cross_entropy and binary_cross_entropy_with_logits (each one
// fused elementwise op whose backward is written with differentiable ops), and
// hinge_embedding_loss (composed).
#include <algorithm>
#include <cmath>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "autograd/function.hpp"
#include "autograd/ops/activation.hpp"
#include "autograd/ops/compare.hpp"
#include "autograd/ops/elementwise.hpp"
#include "nn/detail/loss_util.hpp"
#include "nn/functional.hpp"

namespace xg::nn::functional {
namespace {

using xg::autograd::BackwardCtx;

// PyTorch's floor for the logs of BCE, and for x (1 - x) in its gradient (PyTorch's
// EPSILON = 1e-12 passes through a float: 9.99999996e-13, kept for identical gradients).
constexpr double kLogFloor = -100.0;
constexpr double kGradEps = static_cast<double>(1e-12f);

// The gradient of bce_elementwise with respect to x, computed as the composed ops in
// its backward do, (g * (x - y)) / clamp((1 - x) * x, 1e-12), value for value in the
// same order and precision, but in one pass: a backward that is not itself recorded
// (no create_graph) then makes one tensor instead of six. g, x, y have x's shape and dtype.
Tensor bce_input_grad(const Tensor& g, const Tensor& x, const Tensor& y) {
  Tensor out = xg::empty(x.shape(), {.dtype = x.dtype()});
  xg::autograd::dispatch_float("binary_cross_entropy", x.dtype(), [&]<class T>() {
    const T* gv = g.data_ptr<T>();
    const T* xv = x.data_ptr<T>();
    const T* yv = y.data_ptr<T>();
    T* o = out.data_ptr<T>();
    for (std::int64_t i = 0, n = x.numel(); i < n; ++i) {
      const double d = static_cast<double>((T(1) - xv[i]) * xv[i]);  // clamp works in double
      const T denom = static_cast<T>(d < kGradEps ? kGradEps : d);
      o[i] = gv[i] * (xv[i] - yv[i]) / denom;
    }
  });
  return out;
}

// Unweighted, unreduced BCE of same-shape x and y.
Tensor bce_elementwise(const Tensor& x, const Tensor& y) {
  const std::int64_t n = x.numel();
  Tensor out = xg::empty(x.shape(), {.dtype = x.dtype()});
  xg::autograd::dispatch_float("binary_cross_entropy", x.dtype(), [&]<class T>() {
    const T* xv = x.data_ptr<T>();
    const T* yv = y.data_ptr<T>();
    T* o = out.data_ptr<T>();
    const T floor = T(kLogFloor);
    for (std::int64_t i = 0; i < n; ++i) {
      // Clamping each log keeps x = 0 and x = 1 finite: the loss is then at most 100.
      const T log_x = std::max(T(std::log(xv[i])), floor);
      const T log_1mx = std::max(T(std::log1p(-xv[i])), floor);
      o[i] = (yv[i] - T(1)) * log_1mx - yv[i] * log_x;
    }
  });
  xg::autograd::record("binary_cross_entropy", out, {x, y}, {x, y}, [](const BackwardCtx& ctx) {
    const Tensor x = ctx.saved(0);
    const Tensor y = ctx.saved(1);
    std::vector<Tensor> grads(2);
    if (ctx.needs(0)) {
      // PyTorch's rule: (x - y) / max(x (1 - x), 1e-12), finite at x = 0 and x = 1.
      if (!xg::is_grad_enabled() && ctx.grad.shape() == x.shape()) {
        grads[0] = bce_input_grad(ctx.grad, x, y);
      } else {
        grads[0] = ctx.grad * (x - y) / clamp((1.0 - x) * x, kGradEps, std::nullopt);
      }
    }
    if (ctx.needs(1)) {
      // The derivative of the clamped loss: +-100 at x = 0 or 1, where PyTorch's
      // -logit(x) gives +-inf.
      grads[1] = ctx.grad * (clamp(log(1.0 - x), kLogFloor, std::nullopt) -
                             clamp(log(x), kLogFloor, std::nullopt));
    }
    return grads;
  });
  return out;
}

// Unweighted, unreduced BCE on logits; pw (optional) already broadcast to x's shape.
Tensor bce_logits_elementwise(const Tensor& x, const Tensor& y, const Tensor& pw) {
  const std::int64_t n = x.numel();
  Tensor out = xg::empty(x.shape(), {.dtype = x.dtype()});
  xg::autograd::dispatch_float("binary_cross_entropy_with_logits", x.dtype(), [&]<class T>() {
    const T* xv = x.data_ptr<T>();
    const T* yv = y.data_ptr<T>();
    const T* pv = pw.defined() ? pw.data_ptr<T>() : nullptr;
    T* o = out.data_ptr<T>();
    for (std::int64_t i = 0; i < n; ++i) {
      // softplus(-x) = log(1 + exp(-x)) written so that exp never overflows.
      const T sp = std::log1p(std::exp(-std::abs(xv[i]))) + std::max(-xv[i], T(0));
      const T lw = pv ? T(1) + (pv[i] - T(1)) * yv[i] : T(1);
      o[i] = (T(1) - yv[i]) * xv[i] + lw * sp;
    }
  });
  std::vector<Tensor> inputs{x, y};
  if (pw.defined()) inputs.push_back(pw);
  xg::autograd::record(
      "binary_cross_entropy_with_logits", out, inputs, {x, y, pw}, [](const BackwardCtx& ctx) {
        const Tensor x = ctx.saved(0);
        const Tensor y = ctx.saved(1);
        const Tensor pw = ctx.saved(2);
        std::vector<Tensor> grads(pw.defined() ? 3 : 2);
        const Tensor& g = ctx.grad;
        // d/dx = (1 - y) - lw sigmoid(-x) (= sigmoid(x) - y without pw);
        // d/dy = -x + (pw - 1) softplus(-x); d/dpw = y softplus(-x).
        const Tensor lw = pw.defined() ? 1.0 + (pw - 1.0) * y : Tensor();
        if (ctx.needs(0)) {
          grads[0] = pw.defined() ? g * ((1.0 - y) - lw * sigmoid(-x)) : g * (sigmoid(x) - y);
        }
        if (ctx.needs(1)) {
          grads[1] = pw.defined() ? g * ((pw - 1.0) * softplus(-x) - x) : -(g * x);
        }
        if (pw.defined() && ctx.needs(2)) grads[2] = g * y * softplus(-x);
        return grads;
      });
  return out;
}

// ValueError naming the first element of x outside [0, 1] (NaN included), as PyTorch.
void check_probabilities(const char* op, const Tensor& x) {
  xg::autograd::dispatch_float(op, x.dtype(), [&]<class T>() {
    const T* v = x.data_ptr<T>();
    for (std::int64_t i = 0, n = x.numel(); i < n; ++i) {
      if (!(v[i] >= T(0) && v[i] <= T(1))) {
        std::ostringstream msg;
        msg << op << ": all elements of input should be between 0 and 1, got " << v[i]
            << " at flat index " << i << " of input " << shape_str(x.shape());
        throw ValueError(msg.str());
      }
    }
  });
}

}  // namespace

Tensor binary_cross_entropy(const Tensor& input, const Tensor& target, const BCEOptions& o) {
  constexpr const char* op = "binary_cross_entropy";
  detail::check_float_input(op, input);
  detail::check_reduction(op, o.reduction);
  detail::check_float_like(op, "target", target, input);
  detail::check_same_shape(op, input, target);
  detail::check_broadcasts_to(op, "weight", o.weight, input);
  check_probabilities(op, input);
  Tensor loss = bce_elementwise(input, target);
  if (o.weight.defined()) loss = loss * o.weight;
  return detail::reduce(loss, o.reduction);
}

Tensor binary_cross_entropy_with_logits(const Tensor& input, const Tensor& target,
                                        const BCEWithLogitsOptions& o) {
  constexpr const char* op = "binary_cross_entropy_with_logits";
  detail::check_float_input(op, input);
  detail::check_reduction(op, o.reduction);
  detail::check_float_like(op, "target", target, input);
  detail::check_same_shape(op, input, target);
  detail::check_broadcasts_to(op, "weight", o.weight, input);
  detail::check_broadcasts_to(op, "pos_weight", o.pos_weight, input);
  const Tensor pw = o.pos_weight.defined() && o.pos_weight.shape() != input.shape()
                        ? broadcast_to(o.pos_weight, input.shape())
                        : o.pos_weight;
  Tensor loss = bce_logits_elementwise(input, target, pw);
  if (o.weight.defined()) loss = loss * o.weight;
  return detail::reduce(loss, o.reduction);
}

Tensor hinge_embedding_loss(const Tensor& input, const Tensor& target,
                            const HingeEmbeddingOptions& o) {
  constexpr const char* op = "hinge_embedding_loss";
  detail::check_float_input(op, input);
  detail::check_reduction(op, o.reduction);
  xg::autograd::check_defined(op, target);
  detail::check_same_shape(op, input, target);
  // PyTorch: where(y != 1, max(0, margin - x), 0) + where(y != -1, x, 0).
  const Tensor margin_part =
      where(ne(target, 1.0), clamp(o.margin - input, 0.0, std::nullopt), 0.0);
  const Tensor self_part = where(ne(target, -1.0), input, 0.0);
  return detail::reduce(margin_part + self_part, o.reduction);
}

}  // namespace xg::nn::functional
