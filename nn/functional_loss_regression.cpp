// Elementwise regression losses and kl_div, composed from differentiable ops: their
// gradients (of any order) are those of the ops, which follow PyTorch at the kinks
// (abs: sign(0) = 0; where: the chosen branch).
#include <cmath>
#include <string>

#include "autograd/function.hpp"
#include "autograd/ops/compare.hpp"
#include "autograd/ops/elementwise.hpp"
#include "nn/detail/loss_util.hpp"
#include "nn/functional.hpp"

namespace xg::nn::functional {
namespace {

// The checks every elementwise loss starts with.
void check_pair(const char* op, const Tensor& input, const Tensor& target, Reduction r,
                bool allow_batchmean = false) {
  detail::check_float_input(op, input);
  detail::check_reduction(op, r, allow_batchmean);
  detail::check_float_like(op, "target", target, input);
  detail::check_same_shape(op, input, target);
}

}  // namespace

Tensor mse_loss(const Tensor& input, const Tensor& target, Reduction reduction) {
  check_pair("mse_loss", input, target, reduction);
  return detail::reduce(square(input - target), reduction);
}

Tensor l1_loss(const Tensor& input, const Tensor& target, Reduction reduction) {
  check_pair("l1_loss", input, target, reduction);
  return detail::reduce(abs(input - target), reduction);
}

Tensor huber_loss(const Tensor& input, const Tensor& target, const HuberOptions& o) {
  constexpr const char* op = "huber_loss";
  check_pair(op, input, target, o.reduction);
  if (!(o.delta > 0.0)) {
    throw ValueError(std::string(op) + ": delta must be positive, got " + std::to_string(o.delta));
  }
  const Tensor d = input - target;
  const Tensor ad = abs(d);
  const Tensor loss = where(lt(ad, o.delta), square(d) * 0.5, (ad - 0.5 * o.delta) * o.delta);
  return detail::reduce(loss, o.reduction);
}

Tensor smooth_l1_loss(const Tensor& input, const Tensor& target, const SmoothL1Options& o) {
  constexpr const char* op = "smooth_l1_loss";
  check_pair(op, input, target, o.reduction);
  if (!(o.beta >= 0.0)) {
    throw ValueError(std::string(op) + ": beta must be non-negative, got " +
                     std::to_string(o.beta));
  }
  const Tensor d = input - target;
  const Tensor ad = abs(d);
  if (o.beta == 0.0) return detail::reduce(ad, o.reduction);  // PyTorch: the L1 loss
  const Tensor loss = where(lt(ad, o.beta), square(d) * (0.5 / o.beta), ad - 0.5 * o.beta);
  return detail::reduce(loss, o.reduction);
}

Tensor kl_div(const Tensor& input, const Tensor& target, const KLDivOptions& o) {
  check_pair("kl_div", input, target, o.reduction, /*allow_batchmean=*/true);
  Tensor loss;
  if (o.log_target) {
    loss = exp(target) * (target - input);
  } else {
    // xlogy(y, y) = y log(y), 0 where y = 0: log is taken of 1 there, so neither the value
    // nor the gradient becomes NaN (negative targets still give NaN, as PyTorch).
    const Tensor safe = where(ne(target, 0.0), target, 1.0);
    loss = target * log(safe) - target * input;
  }
  return detail::reduce(loss, o.reduction);
}

}  // namespace xg::nn::functional
