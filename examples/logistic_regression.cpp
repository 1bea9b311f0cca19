// Logistic regression by maximum likelihood, twice: once with the gradient written out by
// hand, once with autograd. Both must land on the same weights.
//
// Model: P(y = 1 | x) = p(x) = sigmoid(w . x + b), for points x in R^2 and y in {0, 1}.
// Log-likelihood of the data (what maximum likelihood maximises):
//     L(w, b) = sum_i  y_i log p_i + (1 - y_i) log(1 - p_i)
// Its gradient has a famously simple form (d sigmoid(z)/dz = p (1 - p) cancels out):
//     dL/dw = X^T (y - p),     dL/db = sum_i (y_i - p_i)
// so gradient ASCENT is  w <- w + eta X^T (y - p) / N  (dividing by N keeps eta
// independent of the data set size).
//
// Part 2 minimises the mean negative log-likelihood -L / N (the binary cross-entropy)
// with loss.backward() and optim::SGD: w <- w - eta d(-L/N)/dw, the very same step. So
// from the same start the two runs follow the same path, up to rounding.
//
// We work in float64 so that the comparison is tight. Note the two blobs overlap: on
// linearly SEPARABLE data the likelihood has no maximum (the weights grow forever), so
// logistic regression needs overlapping classes (or a penalty) for a finite answer.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <vector>

#include <xgrad.hpp>
#include <xgrad/data/datasets.hpp>

int main() {
  // 400 points, two Gaussian blobs of std 1.2 around (-1, -1) and (1, 1).
  const auto ds = xg::data::make_blobs(400, {{-1.0, -1.0}, {1.0, 1.0}}, 1.2, /*seed=*/3);
  const xg::Tensor x = ds.features().to(xg::f64);              // (N, 2)
  const xg::Tensor y = ds.targets().to(xg::f64).unsqueeze(1);  // (N, 1) of 0.0 / 1.0
  const double n = static_cast<double>(x.size(0));

  const double eta = 0.5;
  const int steps = 500;

  // ---- Part 1: gradient ascent on the log-likelihood, gradient written by hand ----------
  // Plain tensors that do not require grad: nothing is recorded, nothing is differentiated.
  xg::Tensor w = xg::zeros({2, 1}, {.dtype = xg::f64});
  xg::Tensor b = xg::zeros({1}, {.dtype = xg::f64});
  std::printf("Part 1: gradient ascent on the log-likelihood (gradient X^T (y - p) by hand)\n");
  for (int step = 0; step <= steps; ++step) {
    const xg::Tensor p = xg::sigmoid(xg::matmul(x, w) + b);  // (N, 1) probabilities
    const xg::Tensor residual = y - p;                       // (N, 1)
    const xg::Tensor grad_w = xg::matmul(x.t(), residual);   // X^T (y - p), (2, 1)
    const xg::Tensor grad_b = residual.sum({0});             // sum (y - p), (1)
    if (step % 100 == 0) {
      // The log-likelihood itself, only to watch it rise (clamped so log never sees 0).
      const xg::Tensor pc = xg::clamp(p, 1e-12, 1.0 - 1e-12);
      const double ll = (y * xg::log(pc) + (1.0 - y) * xg::log(1.0 - pc)).sum().item();
      std::printf("  step %3d  log-likelihood %9.4f\n", step, ll);
    }
    if (step == steps) break;
    w = w + eta * grad_w / n;  // ascent: move UP the gradient
    b = b + eta * grad_b / n;
  }
  const auto w_hand = w.to_vector<double>();
  const double b_hand = b.item();
  // At the maximum the gradient is zero: check how close we got.
  const xg::Tensor r_end = y - xg::sigmoid(xg::matmul(x, w) + b);
  const double g_b = r_end.sum().item();
  const double grad_norm =
      std::sqrt(xg::square(xg::matmul(x.t(), r_end)).sum().item() + g_b * g_b) / n;

  // ---- Part 2: the same model with autograd and an optimizer ----------------------------
  std::printf("\nPart 2: minimise the mean negative log-likelihood with backward() + SGD\n");
  xg::Tensor w2 = xg::zeros({2, 1}, {.dtype = xg::f64, .requires_grad = true});
  xg::Tensor b2 = xg::zeros({1}, {.dtype = xg::f64, .requires_grad = true});
  xg::optim::SGD opt({w2, b2}, {.lr = eta});
  for (int step = 0; step <= steps; ++step) {
    const xg::Tensor logits = xg::matmul(x, w2) + b2;
    // -L / N, computed stably from the logits (the library's BCE-with-logits).
    const xg::Tensor loss = xg::nn::functional::binary_cross_entropy_with_logits(logits, y);
    if (step % 100 == 0) std::printf("  step %3d  log-likelihood %9.4f\n", step, -loss.item() * n);
    if (step == steps) break;
    opt.zero_grad();
    loss.backward();  // fills w2.grad() = -X^T (y - p) / N, b2.grad() likewise
    opt.step();       // w2 <- w2 - eta * w2.grad()
  }
  const auto w_auto = w2.to_vector<double>();
  const double b_auto = b2.item();

  // ---- Compare ----------------------------------------------------------------------------
  const double max_diff = std::max({std::abs(w_hand[0] - w_auto[0]),
                                    std::abs(w_hand[1] - w_auto[1]), std::abs(b_hand - b_auto)});
  xg::NoGradGuard no_grad;
  const xg::Tensor pred = xg::gt(xg::matmul(x, w2) + b2, 0.0).squeeze(1);  // p > 0.5
  const double acc = xg::eq(pred, ds.targets()).sum().item() / n;

  std::printf("\nby hand : w = (%.6f, %.6f), b = %.6f\n", w_hand[0], w_hand[1], b_hand);
  std::printf("autograd: w = (%.6f, %.6f), b = %.6f\n", w_auto[0], w_auto[1], b_auto);
  std::printf(
      "max |difference| = %.3g; |gradient of L/N| at the end = %.3g; "
      "training accuracy %.1f%%\n",
      max_diff, grad_norm, 100.0 * acc);

  // Both runs agree, they are (close to) the maximum, and the classifier is sensible.
  const bool ok = max_diff < 1e-9 && grad_norm < 1e-3 && acc > 0.8;
  std::printf("%s: hand-written gradient ascent and backward() + SGD give the same weights.\n",
              ok ? "OK" : "UNEXPECTED");
  return ok ? 0 : 1;
}
