// Loss modules: PyTorch's nn.CrossEntropyLoss, nn.MSELoss, ... Each holds its options
// and calls the function of the same loss in nn/functional.hpp (which documents shapes,
// formulas and errors) from forward(input, target):
//
//   xg::nn::CrossEntropyLoss loss_fn({.label_smoothing = 0.1});
//   xg::Tensor loss = loss_fn(logits, labels);  // labels: i64 class indices
//
// Class weights and pos_weight are registered as buffers ("weight", "pos_weight"), as in
// PyTorch, so they appear in state_dict() and follow to(dtype). Options are fixed at
// construction (options() reads them). A ShapeError raised by the
// loss is prefixed with the module's path by Module::operator().
#pragma once

#include "xgrad/nn/functional.hpp"
#include "xgrad/nn/module.hpp"

namespace xg::nn {

class CrossEntropyLoss : public Module {
 public:
  explicit CrossEntropyLoss(CrossEntropyOptions options = {});
  using Module::forward;
  Tensor forward(const Tensor& input, const Tensor& target) override;
  const CrossEntropyOptions& options() const { return options_; }

 private:
  CrossEntropyOptions options_;
};

class NLLLoss : public Module {
 public:
  explicit NLLLoss(NLLLossOptions options = {});
  using Module::forward;
  Tensor forward(const Tensor& input, const Tensor& target) override;
  const NLLLossOptions& options() const { return options_; }

 private:
  NLLLossOptions options_;
};

class BCELoss : public Module {
 public:
  explicit BCELoss(BCEOptions options = {});
  using Module::forward;
  Tensor forward(const Tensor& input, const Tensor& target) override;
  const BCEOptions& options() const { return options_; }

 private:
  BCEOptions options_;
};

class BCEWithLogitsLoss : public Module {
 public:
  explicit BCEWithLogitsLoss(BCEWithLogitsOptions options = {});
  using Module::forward;
  Tensor forward(const Tensor& input, const Tensor& target) override;
  const BCEWithLogitsOptions& options() const { return options_; }

 private:
  BCEWithLogitsOptions options_;
};

class MSELoss : public Module {
 public:
  explicit MSELoss(Reduction reduction = Reduction::mean);
  using Module::forward;
  Tensor forward(const Tensor& input, const Tensor& target) override;
  Reduction reduction() const { return reduction_; }

 private:
  Reduction reduction_;
};

class L1Loss : public Module {
 public:
  explicit L1Loss(Reduction reduction = Reduction::mean);
  using Module::forward;
  Tensor forward(const Tensor& input, const Tensor& target) override;
  Reduction reduction() const { return reduction_; }

 private:
  Reduction reduction_;
};

class HuberLoss : public Module {
 public:
  explicit HuberLoss(HuberOptions options = {});
  using Module::forward;
  Tensor forward(const Tensor& input, const Tensor& target) override;
  const HuberOptions& options() const { return options_; }

 private:
  HuberOptions options_;
};

class SmoothL1Loss : public Module {
 public:
  explicit SmoothL1Loss(SmoothL1Options options = {});
  using Module::forward;
  Tensor forward(const Tensor& input, const Tensor& target) override;
  const SmoothL1Options& options() const { return options_; }

 private:
  SmoothL1Options options_;
};

class HingeEmbeddingLoss : public Module {
 public:
  explicit HingeEmbeddingLoss(HingeEmbeddingOptions options = {});
  using Module::forward;
  Tensor forward(const Tensor& input, const Tensor& target) override;
  const HingeEmbeddingOptions& options() const { return options_; }

 private:
  HingeEmbeddingOptions options_;
};

class MultiMarginLoss : public Module {
 public:
  explicit MultiMarginLoss(MultiMarginOptions options = {});
  using Module::forward;
  Tensor forward(const Tensor& input, const Tensor& target) override;
  const MultiMarginOptions& options() const { return options_; }

 private:
  MultiMarginOptions options_;
};

class KLDivLoss : public Module {
 public:
  explicit KLDivLoss(KLDivOptions options = {});
  using Module::forward;
  Tensor forward(const Tensor& input, const Tensor& target) override;
  const KLDivOptions& options() const { return options_; }

 private:
  KLDivOptions options_;
};

}  // namespace xg::nn
