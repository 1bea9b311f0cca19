// Rosenblatt's perceptron (1958), the first learning machine of the course.
//
// The model is a hard threshold on a linear score,
//     y_hat = sign(w . x + b)          with labels y in {-1, +1},
// and the learning rule looks at one sample at a time: if it is misclassified
// (y (w . x + b) <= 0), move the weights towards it,
//     w <- w + eta y x,   b <- b + eta y,
// otherwise leave them alone. There is no loss function and no gradient here: that is
// why this example uses no backward().
//
// The perceptron convergence theorem says: if a line separates the two classes with a
// margin gamma, and every point lies within radius R of the origin, the rule makes at
// most (R / gamma)^2 updates and then classifies every training point correctly.
// If no line separates the classes (XOR), the rule never stops updating: we stop it
// after a maximum number of epochs and report the best accuracy it reached on the way.
//
// Exit code 0 when both things happen: the separable set converges, XOR does not.
#include <cstdint>
#include <cstdio>
#include <vector>

#include <xgrad.hpp>
#include <xgrad/data/datasets.hpp>

namespace {

struct PerceptronResult {
  bool converged = false;
  int epochs = 0;            // epochs run
  int updates = 0;           // total weight updates
  double best_accuracy = 0;  // best training accuracy seen after an epoch
  double w0 = 0, w1 = 0, b = 0;
};

// The fraction of points with sign(w . x + b) == y, computed with tensor ops on the whole
// set at once: scores = X w + b, then compare signs.
double accuracy(const xg::Tensor& x, const xg::Tensor& y_pm1, double w0, double w1, double b) {
  const xg::Tensor w = xg::tensor({w0, w1}, {2, 1});
  const xg::Tensor scores = xg::matmul(x, w).squeeze(1) + b;  // (N)
  // A point is correct when y * score > 0 (a score of exactly 0 counts as a mistake).
  const xg::Tensor correct = xg::gt(y_pm1 * scores, 0.0);  // i64 0/1
  return static_cast<double>(correct.sum().item()) / static_cast<double>(x.size(0));
}

// Runs the perceptron rule over the data set in a fixed order for at most max_epochs.
PerceptronResult train_perceptron(const xg::data::Dataset& ds, int max_epochs, double eta) {
  // Features (N, 2) f32; targets i64 in {0, 1}, mapped to y in {-1, +1}.
  const xg::Tensor x = ds.features();
  const xg::Tensor y_pm1 = ds.targets().to(xg::f32) * 2.0 - 1.0;
  const auto xs = x.to_vector<double>();
  const auto ys = y_pm1.to_vector<double>();
  const std::size_t n = ys.size();

  PerceptronResult r;
  for (int epoch = 1; epoch <= max_epochs; ++epoch) {
    int mistakes = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const double x0 = xs[2 * i], x1 = xs[2 * i + 1];
      const double score = r.w0 * x0 + r.w1 * x1 + r.b;
      if (ys[i] * score <= 0) {  // misclassified (or on the line): the update rule
        r.w0 += eta * ys[i] * x0;
        r.w1 += eta * ys[i] * x1;
        r.b += eta * ys[i];
        ++mistakes;
        ++r.updates;
      }
    }
    r.epochs = epoch;
    const double acc = accuracy(x, y_pm1, r.w0, r.w1, r.b);
    if (acc > r.best_accuracy) r.best_accuracy = acc;
    if (epoch <= 3 || epoch % 25 == 0 || mistakes == 0)
      std::printf("  epoch %3d: %3d mistakes during the epoch, accuracy after it %.1f%%\n", epoch,
                  mistakes, 100.0 * acc);
    if (mistakes == 0) {  // a whole pass without an update: every point is right
      r.converged = true;
      break;
    }
  }
  return r;
}

}  // namespace

int main() {
  const double eta = 1.0;  // the step size does not matter for the perceptron when w starts at 0

  // 1. Linearly separable: two Gaussian blobs, first far apart (a wide margin between
  // the classes), then close together (a narrow margin). The theorem's bound (R / gamma)^2
  // grows as the margin gamma shrinks, and so does the number of updates in practice.
  std::printf("Perceptron on two separable blobs, wide margin (200 points)\n");
  const auto wide = xg::data::make_blobs(200, {{1.0, 3.0}, {3.0, 2.0}}, 0.4, /*seed=*/1);
  const PerceptronResult sep = train_perceptron(wide, 1000, eta);
  std::printf("  -> %s after %d epochs and %d updates; w = (%.3f, %.3f), b = %.3f\n\n",
              sep.converged ? "converged" : "did NOT converge", sep.epochs, sep.updates, sep.w0,
              sep.w1, sep.b);

  std::printf("Perceptron on two separable blobs, narrow margin (200 points)\n");
  const auto narrow = xg::data::make_blobs(200, {{1.0, 2.5}, {2.5, 1.5}}, 0.35, /*seed=*/1);
  const PerceptronResult sep2 = train_perceptron(narrow, 1000, eta);
  std::printf("  -> %s after %d epochs and %d updates; w = (%.3f, %.3f), b = %.3f\n\n",
              sep2.converged ? "converged" : "did NOT converge", sep2.epochs, sep2.updates, sep2.w0,
              sep2.w1, sep2.b);

  // 2. Not separable: XOR, four clusters at (+-1, +-1), label 1 where the signs differ.
  // No line gets more than 3 of the 4 clusters right, so the best possible accuracy of a
  // linear classifier is about 75%, and the rule keeps cycling forever.
  std::printf("Perceptron on XOR (200 points, not linearly separable)\n");
  const auto xor_set = xg::data::make_xor(200, 0.2, /*seed=*/1);
  const PerceptronResult xr = train_perceptron(xor_set, 100, eta);
  std::printf("  -> %s after %d epochs and %d updates; best accuracy on the way %.1f%%\n\n",
              xr.converged ? "converged" : "did not converge (stopped at max epochs)", xr.epochs,
              xr.updates, 100.0 * xr.best_accuracy);

  const bool ok = sep.converged && sep2.converged && sep2.updates > sep.updates && !xr.converged &&
                  xr.best_accuracy < 0.9;
  std::printf(
      "%s: a perceptron learns separable sets exactly (slower for a narrower margin) and cannot "
      "learn XOR.\n",
      ok ? "OK" : "UNEXPECTED");
  return ok ? 0 : 1;
}
