// Stochastic gradient descent with optional momentum, dampening, weight decay and Nesterov
// momentum: exactly torch.optim.SGD (PyTorch 1.13). For each parameter p with gradient g:
//
//   d = g + weight_decay * p
//   if momentum != 0:
//     buf = d                                          at the parameter's first update
//     buf = momentum * buf + (1 - dampening) * d       afterwards
//     d = nesterov ? d + momentum * buf : buf
//   p = p - lr * d
//
//   xg::optim::SGD opt(model.parameters(), {.lr = 0.1, .momentum = 0.9});
//
// lr has no default (as in PyTorch): leaving it out throws ValueError. Errors: lr,
// momentum or weight_decay negative (or NaN); nesterov without momentum > 0 and zero
// dampening; plus those of Optimizer. State: "momentum_buffer" (when momentum != 0).
#pragma once

#include <cstddef>
#include <limits>
#include <vector>

#include "xgrad/optim/optimizer.hpp"

namespace xg::optim {

struct SGDOptions {
  double lr = std::numeric_limits<double>::quiet_NaN();  // required
  double momentum = 0.0;
  double dampening = 0.0;
  double weight_decay = 0.0;
  bool nesterov = false;

  // The options by name, for state_dict() and option()/set_option().
  template <class Self, class F> static void visit(Self& o, F&& f) {
    f("lr", o.lr);
    f("momentum", o.momentum);
    f("dampening", o.dampening);
    f("weight_decay", o.weight_decay);
    f("nesterov", o.nesterov);
  }
};

class SGD : public TypedOptimizer<SGDOptions> {
 public:
  SGD(std::vector<Tensor> params, const SGDOptions& options);
  explicit SGD(std::vector<Group> groups);

  void step() override;

 protected:
  void validate(const SGDOptions& o) const override;
  bool uses_buffer(const SGDOptions& o, std::size_t k) const override;
};

}  // namespace xg::optim
