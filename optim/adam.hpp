// Adam and AdamW, exactly as torch.optim.Adam / torch.optim.AdamW of PyTorch 1.13 (the
// single-tensor implementation). For each parameter p with gradient g, at update t = 1, 2..:
//
//   Adam:  g = g + weight_decay * p                 (L2 penalty folded into the gradient)
//   AdamW: p = p * (1 - lr * weight_decay)          (decoupled weight decay)
//   m = beta1 * m + (1 - beta1) * g                  "exp_avg"
//   v = beta2 * v + (1 - beta2) * g * g              "exp_avg_sq"
//   amsgrad: v_max = max(v_max, v), used instead of v  "max_exp_avg_sq"
//   p = p - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
//
//   xg::optim::Adam opt(model.parameters(), {.lr = 1e-3, .betas = {0.9, 0.98}});
//   xg::optim::AdamW optw(model.parameters(), {.weight_decay = 0.05});
//
// Errors (ValueError naming the option and value): lr, eps or weight_decay negative,
// betas outside [0, 1); plus those of Optimizer. State: "step", "exp_avg", "exp_avg_sq"
// and, with amsgrad, "max_exp_avg_sq". The option names of the betas are "beta1" and
// "beta2".
#pragma once

#include <array>
#include <cstddef>
#include <vector>

#include "xgrad/optim/optimizer.hpp"

namespace xg::optim {

// The options of Adam and AdamW: one definition, whose only difference between the two is
// the default weight decay (0 for Adam, 1e-2 for AdamW, as in PyTorch). AdamOptions and
// AdamWOptions are two instances of it, so each optimizer keeps its own default and
// `{.lr = ..., .betas = ...}` reads the same for both.
template <double DefaultWeightDecay> struct AdamFamilyOptions {
  double lr = 1e-3;
  std::array<double, 2> betas = {0.9, 0.999};
  double eps = 1e-8;
  double weight_decay = DefaultWeightDecay;
  bool amsgrad = false;

  template <class Self, class F> static void visit(Self& o, F&& f) {
    f("lr", o.lr);
    f("beta1", o.betas[0]);
    f("beta2", o.betas[1]);
    f("eps", o.eps);
    f("weight_decay", o.weight_decay);
    f("amsgrad", o.amsgrad);
  }
};

using AdamOptions = AdamFamilyOptions<0.0>;
using AdamWOptions = AdamFamilyOptions<1e-2>;

// The update shared by Adam (decoupled = false) and AdamW (decoupled = true).
template <class Options> class AdamFamily : public TypedOptimizer<Options> {
 public:
  void step() override;

 protected:
  AdamFamily(std::string name, bool decoupled);
  void validate(const Options& o) const override;
  bool uses_buffer(const Options& o, std::size_t k) const override;

 private:
  bool decoupled_;
};

class Adam : public AdamFamily<AdamOptions> {
 public:
  explicit Adam(std::vector<Tensor> params, const AdamOptions& options = {});
  explicit Adam(std::vector<Group> groups);
};

class AdamW : public AdamFamily<AdamWOptions> {
 public:
  explicit AdamW(std::vector<Tensor> params, const AdamWOptions& options = {});
  explicit AdamW(std::vector<Group> groups);
};

}  // namespace xg::optim
