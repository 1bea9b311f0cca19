// Adagrad, exactly as torch.optim.Adagrad of PyTorch 1.13 (dense gradients). For each
// parameter p with gradient g, at update t = 1, 2, ...:
//
//   g = g + weight_decay * p
//   clr = lr / (1 + (t - 1) * lr_decay)
//   sum = sum + g * g               "sum", starts at initial_accumulator_value
//   p = p - clr * g / (sqrt(sum) + eps)
//
//   xg::optim::Adagrad opt(model.parameters(), {.lr = 0.1, .lr_decay = 1e-3});
//
// Errors (ValueError naming the option and value): lr, lr_decay, weight_decay,
// initial_accumulator_value or eps negative; plus those of Optimizer. State: "step",
// "sum". (PyTorch fills "sum" when the optimizer is built; here at the parameter's first
// update, with the group's initial_accumulator_value at that time.)
#pragma once

#include <cstddef>
#include <vector>

#include "xgrad/optim/optimizer.hpp"

namespace xg::optim {

struct AdagradOptions {
  double lr = 1e-2;
  double lr_decay = 0.0;
  double weight_decay = 0.0;
  double initial_accumulator_value = 0.0;
  double eps = 1e-10;

  template <class Self, class F> static void visit(Self& o, F&& f) {
    f("lr", o.lr);
    f("lr_decay", o.lr_decay);
    f("weight_decay", o.weight_decay);
    f("initial_accumulator_value", o.initial_accumulator_value);
    f("eps", o.eps);
  }
};

class Adagrad : public TypedOptimizer<AdagradOptions> {
 public:
  explicit Adagrad(std::vector<Tensor> params, const AdagradOptions& options = {});
  explicit Adagrad(std::vector<Group> groups);

  void step() override;

 protected:
  void validate(const AdagradOptions& o) const override;
  bool uses_buffer(const AdagradOptions& o, std::size_t k) const override;
};

}  // namespace xg::optim
