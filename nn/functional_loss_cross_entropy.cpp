// cross_entropy: the fused op for class indices, the label-smoothing and
// class-probability forms composed from log_softmax.
//
// Note [fused cross entropy]
// For class-index targets (the common (N, C) classifier case) cross_entropy is one
// recorded op on (M, C) rows: the forward computes each row's softmax once (saved for the
// backward when a graph is recorded) and picks the target's log-probability,
// loss_i = -coef_i log_softmax(x_i)[t_i], without materialising log_softmax. Its
// backward, a_i (softmax(x_i) - onehot(t_i)) with a_i = g coef_i / denom, is a second
// recorded op ("cross_entropy_backward"), one pass over the saved softmax, and THAT op's
// backward is written with differentiable ops (softmax, mul, sum), so gradients of any
// order work. Subtracting the row maximum keeps logits of +-1000 finite and exact.
#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "autograd/function.hpp"
#include "autograd/ops/compare.hpp"
#include "autograd/ops/elementwise.hpp"
#include "autograd/ops/reduce.hpp"
#include "autograd/ops/shape.hpp"
#include "autograd/ops/softmax.hpp"
#include "autograd/simd.hpp"
#include "nn/detail/loss_util.hpp"
#include "nn/functional.hpp"

namespace xg::nn::functional {
namespace {

using xg::autograd::BackwardCtx;

// (M, C) float one-hot rows of the (safe) targets, built without recording: a constant of
// the backward's backward.
Tensor one_hot_rows(const Tensor& target, std::int64_t c, Dtype dtype) {
  return one_hot(target, c).to(dtype);
}

template <class T>
XG_SIMD_CLONES void cross_entropy_backward_rows(const T* __restrict p, const T* __restrict a,
                                                const std::int64_t* __restrict t, T* __restrict o,
                                                std::int64_t m, std::int64_t c) {
  for (std::int64_t i = 0; i < m; ++i) {
    const T ai = a[i];
    const T* pi = p + i * c;
    T* oi = o + i * c;
    if (ai == T(0)) {  // ignored rows (and zero weights) contribute nothing
      std::fill_n(oi, c, T(0));
      continue;
    }
    for (std::int64_t j = 0; j < c; ++j) oi[j] = ai * pi[j];
    oi[t[i]] -= ai;
  }
}

// out[i, j] = a_i (p_ij - [j == t_i]) with p = softmax(rows) saved by the forward: the
// gradient of the fused loss with respect to its rows. Recorded with inputs {rows, a}.
Tensor cross_entropy_backward(const Tensor& rows, const Tensor& target, const Tensor& prob,
                              const Tensor& a) {
  const std::int64_t m = rows.size(0), c = rows.size(1);
  Tensor out = xg::empty(rows.shape(), {.dtype = rows.dtype()});
  xg::autograd::dispatch_float("cross_entropy_backward", rows.dtype(), [&]<class T>() {
    cross_entropy_backward_rows(prob.data_ptr<T>(), a.data_ptr<T>(),
                                target.data_ptr<std::int64_t>(), out.data_ptr<T>(), m, c);
  });
  xg::autograd::record("cross_entropy_backward", out, {rows, a}, {rows, target, a},
                       [c](const BackwardCtx& ctx) {
                         const Tensor rows = ctx.saved(0);
                         const Tensor target = ctx.saved(1);
                         const Tensor a = ctx.saved(2);
                         // out = a (s - onehot) with s = softmax(x), recomputed here as an
                         // op so that this backward is itself differentiable:
                         //   d/dx: s * (ga - sum(ga * s)) with ga = gg * a (softmax's rule);
                         //   d/da: sum over classes of gg * (s - onehot).
                         const Tensor s = softmax(rows, 1);
                         std::vector<Tensor> grads(2);
                         if (ctx.needs(0)) {
                           const Tensor ga = ctx.grad * unsqueeze(a, 1);
                           grads[0] = s * (ga - sum(ga * s, {1}, true));
                         }
                         if (ctx.needs(1)) {
                           const Tensor oh = one_hot_rows(target, c, rows.dtype());
                           grads[1] = sum(ctx.grad * (s - oh), {1});
                         }
                         return grads;
                       });
  return out;
}

// One row: writes exp(x_j - max) / sum to p (when p is not null) and returns log_softmax
// at the target, (x_t - max) - log(sum): subtracting the maximum keeps +-1000 exact.
// Vectorised (Note [simd clones]); the sum runs over chunks of kChunk values in both forms,
// so that the loss has the same bits with and without p.
template <class T>
XG_SIMD_CLONES T log_softmax_at(const T* __restrict x, std::int64_t c, std::int64_t target,
                                T* __restrict p) {
  constexpr std::int64_t kChunk = 256;
  // The maximum skips NaN, which then propagates through exp and the sum.
  const T mx = xg::detail::lane_max(x, c);
  T s = T(0);
  if (p) {
    for (std::int64_t j = 0; j < c; ++j) p[j] = xg::detail::vexp(x[j] - mx);
    for (std::int64_t j = 0; j < c; j += kChunk) {
      s += xg::detail::lane_sum<T>(p + j, std::min(kChunk, c - j));
    }
    const T inv = T(1) / s;
    for (std::int64_t j = 0; j < c; ++j) p[j] *= inv;
  } else {
    T buf[kChunk];
    for (std::int64_t j = 0; j < c; j += kChunk) {
      const std::int64_t n = std::min(kChunk, c - j);
      for (std::int64_t k = 0; k < n; ++k) buf[k] = xg::detail::vexp(x[j + k] - mx);
      s += xg::detail::lane_sum<T>(buf, n);
    }
  }
  return (x[target] - mx) - std::log(s);
}

// The fused loss on rows (M, C) with safe targets (M) and per-row coefficients (M).
// reduced: -sum_i coef_i log_softmax(x_i)[t_i] / denom as a 0-D tensor (NaN when denom
// is 0); otherwise the (M) per-row losses (denom ignored). When a graph is recorded the
// softmax is saved for the backward, so exp runs once per element in all.
Tensor cross_entropy_rows(const Tensor& rows, const Tensor& target, const Tensor& coef,
                          bool reduced, double denom) {
  const std::int64_t m = rows.size(0), c = rows.size(1);
  const bool keep_prob = xg::is_grad_enabled() && rows.requires_grad();
  Tensor out = xg::empty(reduced ? Shape{} : Shape{m}, {.dtype = rows.dtype()});
  Tensor prob = keep_prob ? xg::empty(rows.shape(), {.dtype = rows.dtype()}) : Tensor();
  xg::autograd::dispatch_float("cross_entropy", rows.dtype(), [&]<class T>() {
    const T* x = rows.data_ptr<T>();
    const T* w = coef.data_ptr<T>();
    const std::int64_t* t = target.data_ptr<std::int64_t>();
    T* p = keep_prob ? prob.data_ptr<T>() : nullptr;
    T* o = out.data_ptr<T>();
    double acc = 0.0;  // the reduced sum, accumulated in double
    for (std::int64_t i = 0; i < m; ++i) {
      T li = T(0);
      if (w[i] != T(0)) {  // coef 0 (ignored target) adds nothing, whatever the logits
        li = -w[i] * log_softmax_at(x + i * c, c, t[i], p ? p + i * c : nullptr);
      } else if (p) {
        std::fill_n(p + i * c, c, T(0));
      }
      if (reduced) {
        acc += static_cast<double>(li);
      } else {
        o[i] = li;
      }
    }
    if (reduced) {
      o[0] = denom != 0.0 ? static_cast<T>(acc / denom) : std::numeric_limits<T>::quiet_NaN();
    }
  });
  if (!keep_prob) return out;
  // With denom 0 every coefficient is 0: the gradient is 0, as in PyTorch.
  const Tensor scale = reduced && denom != 0.0 ? coef / denom : coef;
  xg::autograd::record(
      "cross_entropy", out, {rows}, {rows, target, prob, scale}, [](const BackwardCtx& ctx) {
        // ctx.grad is 0-D (reduced) or (M): either way one factor per row.
        const Tensor a = ctx.grad * ctx.saved(3);
        return tensor_list{cross_entropy_backward(ctx.saved(0), ctx.saved(1), ctx.saved(2), a)};
      });
  return out;
}

// cross_entropy with class probabilities (target of input's shape), composed from
// log_softmax exactly as PyTorch does.
Tensor cross_entropy_probs(const Tensor& input, const Tensor& target,
                           const CrossEntropyOptions& o) {
  constexpr const char* op = "cross_entropy";
  if (target.dtype() != input.dtype()) {
    throw DtypeError(std::string(op) + ": a target of the input's shape " +
                     shape_str(input.shape()) + " holds class probabilities and must be " +
                     std::string(dtype_name(input.dtype())) + " like the input, got " +
                     std::string(dtype_name(target.dtype())) + " (class indices have shape " +
                     shape_str(detail::index_target_shape(input)) + ")");
  }
  if (o.ignore_index >= 0) {
    throw ValueError(std::string(op) + ": ignore_index " + std::to_string(o.ignore_index) +
                     " is not supported with class-probability targets");
  }
  const std::int64_t axis = detail::class_axis(input);
  const std::int64_t c = input.size(axis);
  Tensor p = target;
  if (o.label_smoothing > 0.0) {
    p = target * (1.0 - o.label_smoothing) + o.label_smoothing / static_cast<double>(c);
  }
  Tensor prod = log_softmax(input, axis) * p;
  if (o.weight.defined()) {
    Shape wshape(static_cast<std::size_t>(input.dim()), 1);
    wshape[static_cast<std::size_t>(axis)] = c;
    prod = prod * reshape(o.weight, wshape);
  }
  switch (o.reduction) {
    case Reduction::none: return -sum(prod, {axis});
    case Reduction::sum: return -sum(prod);
    default: {
      // PyTorch divides by the number of samples, numel / C, whatever the weights.
      const double samples = c == 0 ? 0.0 : static_cast<double>(input.numel() / c);
      return detail::divide_or_nan(-sum(prod), samples);
    }
  }
}

}  // namespace

Tensor cross_entropy(const Tensor& input, const Tensor& target, const CrossEntropyOptions& o) {
  constexpr const char* op = "cross_entropy";
  detail::check_float_input(op, input);
  detail::check_reduction(op, o.reduction);
  xg::autograd::check_defined(op, target);
  if (!(o.label_smoothing >= 0.0 && o.label_smoothing <= 1.0)) {
    throw ValueError(std::string(op) + ": label_smoothing must be in [0, 1], got " +
                     std::to_string(o.label_smoothing));
  }
  if (input.dim() == 0) {
    throw ShapeError(std::string(op) +
                     ": input must have shape (C), (N, C) or (N, C, d1, ...), "
                     "got a 0-D tensor " +
                     shape_str(input.shape()));
  }
  const std::int64_t c = input.size(detail::class_axis(input));
  detail::check_class_weight(op, o.weight, c, input);
  if (target.shape() == input.shape()) return cross_entropy_probs(input, target, o);

  const Tensor t = detail::check_class_target(op, input, target, /*probs_hint=*/true);
  const Tensor rows = detail::to_rows(input);
  const detail::TargetCoefs tc =
      detail::target_coefs(op, t, c, o.weight, input.dtype(), true, o.ignore_index);
  const bool reduced = o.reduction != Reduction::none;
  const double denom = o.reduction == Reduction::mean ? tc.denom : 1.0;
  Tensor nll = cross_entropy_rows(rows, tc.safe_target, tc.coef, reduced, denom);
  if (!reduced) nll = reshape(nll, target.shape());
  if (o.label_smoothing == 0.0) return nll;

  // PyTorch's label smoothing for class indices: (1 - eps) * nll + eps / C * smooth with
  // smooth_i = -sum_c w_c log_softmax(x_i)_c, zero for ignored targets, and the mean
  // dividing by the same denominator as nll.
  const Tensor logp = log_softmax(rows, 1);
  Tensor smooth =
      o.weight.defined() ? -sum(logp * reshape(o.weight, {1, c}), {1}) : -sum(logp, {1});
  smooth = where(ne(t, static_cast<double>(o.ignore_index)), smooth, 0.0);
  Tensor ret;
  switch (o.reduction) {
    case Reduction::none: ret = reshape(smooth, target.shape()); break;
    case Reduction::sum: ret = sum(smooth); break;
    default: ret = detail::divide_or_nan(sum(smooth), tc.denom); break;
  }
  const double eps = o.label_smoothing;
  return nll * (1.0 - eps) + ret * (eps / static_cast<double>(c));
}

}  // namespace xg::nn::functional
