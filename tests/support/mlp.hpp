// A small MLP and its training steps, shared by the memory tests (tests/optim/test_memory.cpp
// and tests/autograd/test_graph_memory.cpp).
#pragma once

#include <vector>

#include <xgrad.hpp>

namespace xg::test {

// A 16-32-4 tanh MLP on a fixed batch of 64 random points, trained with SGD + momentum.
struct Mlp {
  xg::nn::Sequential model{xg::nn::Linear(16, 32), xg::nn::Tanh(), xg::nn::Linear(32, 4)};
  std::vector<xg::Tensor> params = model.parameters();
  xg::optim::SGD opt{params, {.lr = 0.05, .momentum = 0.9}};
  xg::Tensor x = xg::randn({64, 16});
  xg::Tensor y = xg::randint(0, 4, {64});

  double step() {
    xg::Tensor loss = xg::nn::functional::cross_entropy(model(x), y);
    opt.zero_grad();
    loss.backward();
    opt.step();
    return loss.item();
  }

  // The loss plus a gradient penalty 0.1 * sum_p |dloss/dp|^2: the gradient is computed
  // with create_graph so that the penalty can be differentiated.
  struct Penalised {
    xg::Tensor loss, penalty, total;
    std::vector<xg::Tensor> grads;
  };
  Penalised penalised_forward() {
    Penalised r;
    r.loss = xg::nn::functional::cross_entropy(model(x), y);
    r.grads = xg::grad({r.loss}, params, {.create_graph = true});
    r.penalty = xg::sum(r.grads[0] * r.grads[0]);
    for (std::size_t i = 1; i < r.grads.size(); ++i) {
      r.penalty = r.penalty + xg::sum(r.grads[i] * r.grads[i]);
    }
    r.total = r.loss + 0.1 * r.penalty;
    return r;
  }
  double penalty_step() {
    Penalised r = penalised_forward();
    opt.zero_grad();
    r.total.backward();
    opt.step();
    return r.total.item();
  }
};

}  // namespace xg::test
