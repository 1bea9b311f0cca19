// Capacity: how wide must a hidden layer be?
//
// A multi-layer perceptron with one hidden layer,
//     x (2) -> Linear -> tanh (H hidden units) -> Linear -> 2 class scores,
// draws a decision boundary made of H smooth "bends" (each hidden unit contributes one
// soft step along one direction). XOR needs only two of them: H = 2 is enough, where a
// perceptron (no hidden layer) fails. Two interleaved spirals wind around each other
// one and a half times; a boundary that follows them needs many bends: H = 2 cannot fit
// even the TRAINING points (about chance), H = 4 gets part of the way, H = 8 almost all
// of them, and H = 64 fits them all.
//
// Each model is trained full batch with Adam on the cross-entropy; we print the training
// accuracy (this example is about what a model CAN represent, not about generalisation:
// see overfitting.cpp for that) and a coarse picture of each decision region.
//
// Exit code 0 when XOR is solved with H = 2, the spirals are NOT fitted with H = 2 and
// ARE fitted with H = 64.
#include <cstdio>
#include <string>
#include <vector>

#include <xgrad.hpp>
#include <xgrad/data/datasets.hpp>

namespace {

xg::nn::Sequential make_mlp(std::int64_t hidden) {
  return xg::nn::Sequential{xg::nn::Linear(2, hidden), xg::nn::Tanh(), xg::nn::Linear(hidden, 2)};
}

double accuracy(xg::nn::Module& model, const xg::data::Dataset& ds) {
  xg::NoGradGuard no_grad;
  const xg::Tensor pred = xg::argmax(model(ds.features()), 1);
  return xg::eq(pred, ds.targets()).sum().item() / static_cast<double>(ds.size());
}

// Full-batch training with Adam; returns the final training accuracy.
double train(xg::nn::Module& model, const xg::data::Dataset& ds, int steps, double lr) {
  xg::optim::Adam opt(model.parameters(), {.lr = lr});
  for (int step = 0; step < steps; ++step) {
    const xg::Tensor loss = xg::nn::functional::cross_entropy(model(ds.features()), ds.targets());
    opt.zero_grad();
    loss.backward();
    opt.step();
  }
  return accuracy(model, ds);
}

// The predicted class on a grid over [-1.3, 1.3]^2, as characters: '.' for class 0 and
// '#' for class 1 (one batched forward pass over all grid points).
void print_regions(xg::nn::Module& model, double extent) {
  const int cols = 52, rows = 20;
  std::vector<double> pts;
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < cols; ++c) {
      pts.push_back(-extent + (c + 0.5) * 2 * extent / cols);
      pts.push_back(extent - (r + 0.5) * 2 * extent / rows);  // row 0 at the top
    }
  xg::NoGradGuard no_grad;
  const auto pred =
      xg::argmax(model(xg::tensor(pts, {rows * cols, 2})), 1).to_vector<std::int64_t>();
  for (int r = 0; r < rows; ++r) {
    std::string line = "    ";
    for (int c = 0; c < cols; ++c) line += pred[r * cols + c] ? '#' : '.';
    std::printf("%s\n", line.c_str());
  }
}

}  // namespace

int main() {
  xg::manual_seed(0);

  // ---- XOR: four noisy clusters at (+-1, +-1), label 1 where the signs differ ----------
  const auto xor_set = xg::data::make_xor(200, 0.15, /*seed=*/0);
  std::printf("XOR (200 points), hidden width 2:\n");
  auto xor_model = make_mlp(2);
  const double xor_acc = train(xor_model, xor_set, 500, 0.05);
  std::printf("  training accuracy %.1f%%\n", 100.0 * xor_acc);
  print_regions(xor_model, 2.0);

  // ---- Two spirals: the classic test of capacity ------------------------------------------
  const auto spirals = xg::data::make_spirals(400, 0.03, /*seed=*/0);
  std::printf("\nTwo spirals (400 points), 3000 full-batch Adam steps per width:\n");
  const std::vector<std::int64_t> widths = {2, 4, 8, 64};
  std::vector<double> spiral_acc;
  for (const std::int64_t h : widths) {
    xg::manual_seed(1);  // the same start for every width
    auto model = make_mlp(h);
    spiral_acc.push_back(train(model, spirals, 3000, 0.01));
    std::printf("  hidden width %3lld (%4lld parameters): training accuracy %.1f%%\n",
                static_cast<long long>(h), static_cast<long long>(model.num_parameters()),
                100.0 * spiral_acc.back());
    if (h == widths.front() || h == widths.back()) print_regions(model, 1.3);
  }

  const bool ok = xor_acc >= 0.97 && spiral_acc.front() < 0.8 && spiral_acc.back() >= 0.98;
  std::printf("%s: 2 hidden units solve XOR but not the spirals; 64 fit the spirals.\n",
              ok ? "OK" : "UNEXPECTED");
  return ok ? 0 : 1;
}
