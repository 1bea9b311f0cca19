// Loss modules: option holders that forward to nn::functional.
#include "nn/loss.hpp"

#include <utility>

namespace xg::nn {

namespace F = functional;

CrossEntropyLoss::CrossEntropyLoss(CrossEntropyOptions options)
    : Module("CrossEntropyLoss"), options_(std::move(options)) {
  if (options_.weight.defined()) options_.weight = register_buffer("weight", options_.weight);
}

Tensor CrossEntropyLoss::forward(const Tensor& input, const Tensor& target) {
  return F::cross_entropy(input, target, options_);
}

NLLLoss::NLLLoss(NLLLossOptions options) : Module("NLLLoss"), options_(std::move(options)) {
  if (options_.weight.defined()) options_.weight = register_buffer("weight", options_.weight);
}

Tensor NLLLoss::forward(const Tensor& input, const Tensor& target) {
  return F::nll_loss(input, target, options_);
}

BCELoss::BCELoss(BCEOptions options) : Module("BCELoss"), options_(std::move(options)) {
  if (options_.weight.defined()) options_.weight = register_buffer("weight", options_.weight);
}

Tensor BCELoss::forward(const Tensor& input, const Tensor& target) {
  return F::binary_cross_entropy(input, target, options_);
}

BCEWithLogitsLoss::BCEWithLogitsLoss(BCEWithLogitsOptions options)
    : Module("BCEWithLogitsLoss"), options_(std::move(options)) {
  if (options_.weight.defined()) options_.weight = register_buffer("weight", options_.weight);
  if (options_.pos_weight.defined()) {
    options_.pos_weight = register_buffer("pos_weight", options_.pos_weight);
  }
}

Tensor BCEWithLogitsLoss::forward(const Tensor& input, const Tensor& target) {
  return F::binary_cross_entropy_with_logits(input, target, options_);
}

MSELoss::MSELoss(Reduction reduction) : Module("MSELoss"), reduction_(reduction) {}

Tensor MSELoss::forward(const Tensor& input, const Tensor& target) {
  return F::mse_loss(input, target, reduction_);
}

L1Loss::L1Loss(Reduction reduction) : Module("L1Loss"), reduction_(reduction) {}

Tensor L1Loss::forward(const Tensor& input, const Tensor& target) {
  return F::l1_loss(input, target, reduction_);
}

HuberLoss::HuberLoss(HuberOptions options) : Module("HuberLoss"), options_(options) {}

Tensor HuberLoss::forward(const Tensor& input, const Tensor& target) {
  return F::huber_loss(input, target, options_);
}

SmoothL1Loss::SmoothL1Loss(SmoothL1Options options) : Module("SmoothL1Loss"), options_(options) {}

Tensor SmoothL1Loss::forward(const Tensor& input, const Tensor& target) {
  return F::smooth_l1_loss(input, target, options_);
}

HingeEmbeddingLoss::HingeEmbeddingLoss(HingeEmbeddingOptions options)
    : Module("HingeEmbeddingLoss"), options_(options) {}

Tensor HingeEmbeddingLoss::forward(const Tensor& input, const Tensor& target) {
  return F::hinge_embedding_loss(input, target, options_);
}

MultiMarginLoss::MultiMarginLoss(MultiMarginOptions options)
    : Module("MultiMarginLoss"), options_(std::move(options)) {
  if (options_.weight.defined()) options_.weight = register_buffer("weight", options_.weight);
}

Tensor MultiMarginLoss::forward(const Tensor& input, const Tensor& target) {
  return F::multi_margin_loss(input, target, options_);
}

KLDivLoss::KLDivLoss(KLDivOptions options) : Module("KLDivLoss"), options_(options) {}

Tensor KLDivLoss::forward(const Tensor& input, const Tensor& target) {
  return F::kl_div(input, target, options_);
}

}  // namespace xg::nn
