// nll_loss and multi_margin_loss: class-index losses composed from differentiable ops
// (gather, where, relu, sum), so their gradients of any order come from those ops.
#include <string>

#include "autograd/function.hpp"
#include "autograd/ops/activation.hpp"
#include "autograd/ops/compare.hpp"
#include "autograd/ops/elementwise.hpp"
#include "autograd/ops/indexing.hpp"
#include "autograd/ops/reduce.hpp"
#include "autograd/ops/shape.hpp"
#include "nn/detail/loss_util.hpp"
#include "nn/functional.hpp"

namespace xg::nn::functional {

Tensor nll_loss(const Tensor& input, const Tensor& target, const NLLLossOptions& o) {
  constexpr const char* op = "nll_loss";
  detail::check_float_input(op, input);
  detail::check_reduction(op, o.reduction);
  const Tensor t = detail::check_class_target(op, input, target);
  const std::int64_t c = input.size(detail::class_axis(input));
  detail::check_class_weight(op, o.weight, c, input);
  const Tensor rows = detail::to_rows(input);
  const detail::TargetCoefs tc =
      detail::target_coefs(op, t, c, o.weight, input.dtype(), true, o.ignore_index);
  const std::int64_t m = t.numel();
  // Ignored rows pick class 0 and are zeroed by coef; `where` keeps them exactly 0 even if
  // the picked value is infinite (PyTorch skips them).
  const Tensor picked = reshape(gather(rows, 1, reshape(tc.safe_target, {m, 1})), {m});
  const Tensor loss = where(ne(t, static_cast<double>(o.ignore_index)), -(picked * tc.coef), 0.0);
  switch (o.reduction) {
    case Reduction::none: return reshape(loss, target.shape());
    case Reduction::sum: return sum(loss);
    default: return detail::divide_or_nan(sum(loss), tc.denom);
  }
}

Tensor multi_margin_loss(const Tensor& input, const Tensor& target, const MultiMarginOptions& o) {
  constexpr const char* op = "multi_margin_loss";
  detail::check_float_input(op, input);
  detail::check_reduction(op, o.reduction);
  if (o.p != 1 && o.p != 2) {
    throw ValueError(std::string(op) + ": p must be 1 or 2, got " + std::to_string(o.p));
  }
  if (input.dim() != 1 && input.dim() != 2) {
    throw ShapeError(std::string(op) + ": input must have shape (C) or (N, C), got " +
                     shape_str(input.shape()));
  }
  const Tensor t = detail::check_class_target(op, input, target);
  const std::int64_t c = input.size(-1);
  detail::check_class_weight(op, o.weight, c, input);
  const Tensor rows = detail::to_rows(input);
  const detail::TargetCoefs tc = detail::target_coefs(op, t, c, o.weight, input.dtype(), false, 0);
  const std::int64_t m = t.numel();
  // z[i, j] = margin - x[i, y_i] + x[i, j]; relu gives gradient 0 at z = 0, as PyTorch's
  // `z > 0` test; the target's own column is left out.
  const Tensor picked = gather(rows, 1, reshape(t, {m, 1}));
  Tensor h = relu((o.margin - picked) + rows);
  if (o.p == 2) h = square(h);
  h = where(ne(one_hot(t, c), 1.0), h, 0.0);
  if (o.weight.defined()) h = h * unsqueeze(tc.coef, 1);  // w[y] scales the whole row
  const Tensor loss = reshape(sum(h, {1}) / static_cast<double>(c), target.shape());
  return detail::reduce(loss, o.reduction);
}

}  // namespace xg::nn::functional
