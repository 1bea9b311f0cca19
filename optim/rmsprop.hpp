// RMSprop, exactly as torch.optim.RMSprop of PyTorch 1.13 (single-tensor implementation).
// For each parameter p with gradient g:
//
//   g = g + weight_decay * p
//   sq = alpha * sq + (1 - alpha) * g * g                   "square_avg"
//   centered: ga = alpha * ga + (1 - alpha) * g             "grad_avg"
//             avg = sqrt(sq - ga * ga) + eps
//   otherwise avg = sqrt(sq) + eps
//   momentum > 0: buf = momentum * buf + g / avg; p = p - lr * buf   "momentum_buffer"
//   otherwise     p = p - lr * g / avg
//
//   xg::optim::RMSprop opt(model.parameters(), {.lr = 1e-3, .centered = true});
//
// Errors (ValueError naming the option and value): lr, alpha, eps, momentum or
// weight_decay negative; plus those of Optimizer. State: "step", "square_avg",
// "momentum_buffer" (momentum > 0), "grad_avg" (centered).
#pragma once

#include <cstddef>
#include <vector>

#include "xgrad/optim/optimizer.hpp"

namespace xg::optim {

struct RMSpropOptions {
  double lr = 1e-2;
  double alpha = 0.99;
  double eps = 1e-8;
  double weight_decay = 0.0;
  double momentum = 0.0;
  bool centered = false;

  template <class Self, class F> static void visit(Self& o, F&& f) {
    f("lr", o.lr);
    f("alpha", o.alpha);
    f("eps", o.eps);
    f("weight_decay", o.weight_decay);
    f("momentum", o.momentum);
    f("centered", o.centered);
  }
};

class RMSprop : public TypedOptimizer<RMSpropOptions> {
 public:
  explicit RMSprop(std::vector<Tensor> params, const RMSpropOptions& options = {});
  explicit RMSprop(std::vector<Group> groups);

  void step() override;

 protected:
  void validate(const RMSpropOptions& o) const override;
  bool uses_buffer(const RMSpropOptions& o, std::size_t k) const override;
};

}  // namespace xg::optim
