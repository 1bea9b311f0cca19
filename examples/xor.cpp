// XOR, the problem a single perceptron cannot solve: a 2-16-1 network (tanh hidden layer,
// sigmoid output) trained by full-batch gradient descent on the binary cross-entropy,
// written from elementary ops. Prints the loss falling and the final accuracy.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <vector>

#include <xgrad.hpp>

int main() {
  xg::manual_seed(1);
  const xg::Tensor x = xg::tensor({0.0, 0.0, 0.0, 1.0, 1.0, 0.0, 1.0, 1.0}, {4, 2});
  const xg::Tensor y = xg::tensor({0.0, 1.0, 1.0, 0.0}, {4, 1});

  // Weights are (out, in), as xg::linear expects.
  xg::Tensor w1 = xg::normal({16, 2}, 0.0, 1.0, {.requires_grad = true});
  xg::Tensor b1 = xg::zeros({16}, {.requires_grad = true});
  xg::Tensor w2 = xg::normal({1, 16}, 0.0, 0.25, {.requires_grad = true});
  xg::Tensor b2 = xg::zeros({1}, {.requires_grad = true});
  const std::vector<xg::Tensor*> params = {&w1, &b1, &w2, &b2};

  auto predict = [&] { return xg::sigmoid(xg::linear(xg::tanh(xg::linear(x, w1, b1)), w2, b2)); };

  const float lr = 0.5f;
  const int steps = 2000;
  double first_loss = 0.0;
  double last_loss = 0.0;
  for (int step = 0; step <= steps; ++step) {
    for (xg::Tensor* p : params) p->zero_grad();
    // Binary cross-entropy. p is kept inside (0, 1) so that log never sees 0 (PyTorch's
    // BCELoss clamps the log at -100 for the same reason).
    const xg::Tensor p = xg::clamp(predict(), 1e-7, 1.0 - 1e-7);
    const xg::Tensor loss = -xg::mean(y * xg::log(p) + (1.0 - y) * xg::log(1.0 - p));
    loss.backward();
    {
      xg::NoGradGuard no_grad;
      for (xg::Tensor* param : params) {
        auto w = param->mutable_data<float>();
        const auto g = param->grad().data<float>();
        for (std::size_t i = 0; i < w.size(); ++i) w[i] -= lr * g[i];
      }
    }
    last_loss = loss.item();
    if (step == 0) first_loss = last_loss;
    if (step % 200 == 0) std::printf("step %4d  loss %.6f\n", step, last_loss);
  }

  xg::NoGradGuard no_grad;
  const std::vector<double> probs = predict().to_vector<double>();
  const std::vector<double> targets = y.to_vector<double>();
  int correct = 0;
  for (std::size_t i = 0; i < probs.size(); ++i) {
    const double label = probs[i] > 0.5 ? 1.0 : 0.0;
    correct += label == targets[i];
    std::printf("xor(%g, %g) = %.4f\n", x.to_vector<double>()[2 * i],
                x.to_vector<double>()[2 * i + 1], probs[i]);
  }
  const double accuracy = 100.0 * correct / static_cast<double>(probs.size());
  std::printf("loss %.4f -> %.4f, accuracy %.0f%%\n", first_loss, last_loss, accuracy);
  return accuracy == 100.0 ? 0 : 1;
}
