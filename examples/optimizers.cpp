// SGD with momentum against Adam on the same problem: two interleaved spirals (400 points,
// two classes, generated here), the same 2-32-32-2 ReLU MLP started from the same weights,
// full-batch training on the cross-entropy. Prints both loss curves side by side and the
// final training accuracies.
//
// Usage: optimizers [epochs]   (default 500)
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <numbers>
#include <vector>

#include <xgrad.hpp>

#include "xgrad/optim/adam.hpp"
#include "xgrad/optim/sgd.hpp"

namespace {

struct Spirals {
  xg::Tensor x;  // (2n, 2) f32 points
  xg::Tensor y;  // (2n) i64 labels
};

// Class c's points lie on the arm r = t, angle = 3 pi t + c pi (t in [0.05, 1]), with
// Gaussian noise of 0.03 on each coordinate.
Spirals make_spirals(std::int64_t n) {
  const std::vector<double> noise = xg::randn({2 * n, 2}).to_vector<double>();
  std::vector<double> points;
  std::vector<std::int64_t> labels;
  for (std::int64_t c = 0; c < 2; ++c) {
    for (std::int64_t i = 0; i < n; ++i) {
      const double t = 0.05 + 0.95 * static_cast<double>(i) / static_cast<double>(n - 1);
      const double angle = 3.0 * std::numbers::pi * t + static_cast<double>(c) * std::numbers::pi;
      const std::int64_t k = c * n + i;
      points.push_back(t * std::cos(angle) + 0.03 * noise[2 * k]);
      points.push_back(t * std::sin(angle) + 0.03 * noise[2 * k + 1]);
      labels.push_back(c);
    }
  }
  return {xg::tensor(points, {2 * n, 2}), xg::tensor_i64(labels)};
}

xg::nn::Sequential make_model() {
  xg::manual_seed(42);  // the same starting weights for every optimizer
  return xg::nn::Sequential{xg::nn::Linear(2, 32), xg::nn::ReLU(), xg::nn::Linear(32, 32),
                            xg::nn::ReLU(), xg::nn::Linear(32, 2)};
}

// Trains for `epochs` full-batch steps; returns the loss before each step and the
// final accuracy as the last element.
std::vector<double> train(xg::nn::Sequential& model, xg::optim::Optimizer& opt, const Spirals& data,
                          int epochs) {
  std::vector<double> losses;
  for (int epoch = 0; epoch < epochs; ++epoch) {
    opt.zero_grad();
    const xg::Tensor loss = xg::nn::functional::cross_entropy(model(data.x), data.y);
    loss.backward();
    opt.step();
    losses.push_back(loss.item());
  }
  xg::NoGradGuard no_grad;
  const xg::Tensor predicted = model(data.x).argmax(1);
  const double accuracy = xg::eq(predicted, data.y).to(xg::f64).mean().item();
  losses.push_back(accuracy);
  return losses;
}

}  // namespace

int main(int argc, char** argv) {
  const int epochs = argc > 1 ? std::atoi(argv[1]) : 500;
  if (epochs < 1) {
    std::fprintf(stderr, "usage: optimizers [epochs >= 1]\n");
    return 2;
  }
  xg::manual_seed(0);
  const Spirals data = make_spirals(200);

  auto sgd_model = make_model();
  xg::optim::SGD sgd(sgd_model.parameters(), {.lr = 0.1, .momentum = 0.9});
  const auto sgd_curve = train(sgd_model, sgd, data, epochs);

  auto adam_model = make_model();
  xg::optim::Adam adam(adam_model.parameters(), {.lr = 0.01});
  const auto adam_curve = train(adam_model, adam, data, epochs);

  std::printf("two spirals, 400 points, MLP 2-32-32-2 (ReLU), full batch, cross-entropy\n");
  std::printf("%6s  %-26s  %-26s\n", "epoch", "SGD(lr=0.1, momentum=0.9)", "Adam(lr=0.01)");
  const int every = epochs >= 20 ? epochs / 20 : 1;
  for (int e = 0; e < epochs; ++e) {
    if (e % every == 0 || e == epochs - 1) {
      std::printf("%6d  %-26.6f  %-26.6f\n", e + 1, sgd_curve[e], adam_curve[e]);
    }
  }
  std::printf("%6s  %-26.1f  %-26.1f\n", "acc %", 100.0 * sgd_curve.back(),
              100.0 * adam_curve.back());
  return 0;
}
