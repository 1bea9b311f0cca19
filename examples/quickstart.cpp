// The README's quick start: a linear classifier's loss, its gradients, and a gradient check.
#include <iostream>
#include <vector>

#include <xgrad.hpp>

int main() {
  xg::manual_seed(42);
  xg::Tensor x = xg::randn({8, 3});                           // f32 by default
  xg::Tensor w = xg::randn({2, 3}, {.requires_grad = true});  // (out, in)
  xg::Tensor b = xg::zeros({2}, {.requires_grad = true});
  xg::Tensor labels = xg::tensor_i64({0, 1, 1, 0, 1, 0, 0, 1}, {8, 1});

  xg::Tensor logits = xg::linear(x, w, b);  // x w^T + b, shape (8, 2)
  xg::Tensor log_p = xg::log_softmax(logits, /*axis=*/1);
  xg::Tensor loss = -xg::mean(xg::gather(log_p, 1, labels));  // negative log-likelihood
  loss.backward();                                            // fills w.grad(), b.grad()

  std::cout << "loss " << loss.item() << "\n" << w.grad() << "\n" << b.grad() << "\n";

  // Float64 finite differences against backward(), PyTorch's tolerances.
  xg::Tensor a = xg::randn({3, 4}, {.dtype = xg::f64, .requires_grad = true});
  auto f = [](const std::vector<xg::Tensor>& in) { return xg::sum(xg::tanh(in[0]) * in[0]); };
  xg::GradcheckResult r = xg::gradcheck(f, {a});
  std::cout << "gradcheck: " << r.message << "\n";
  return r.ok ? 0 : 1;
}
