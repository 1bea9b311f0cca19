// Two lessons about the functions around a model.
//
// Part 1 -- the loss decides what "fits best" means. Linear regression y ~ w x + b fitted
// by minimising
//   MSE = mean (y_hat - y)^2   (the Gaussian maximum likelihood: the conditional MEAN), or
//   MAE = mean |y_hat - y|     (the Laplace maximum likelihood: the conditional MEDIAN).
// A single far outlier pulls the mean-squared fit towards itself (its squared error
// dominates the sum); the absolute error grows only linearly, so the MAE fit stays with
// the other 29 points.
//
// Part 2 -- sigmoid and softmax are soft versions of a hard decision. softmax with a
// larger base than e,
//   P(k) = b^{z_k} / sum_j b^{z_j} = softmax(z ln b) = softmax(z / T),  T = 1 / ln b,
// is softmax at "temperature" T. As b grows (T -> 0) the largest score takes all the
// probability: the probabilistic classifier becomes the hard argmax classifier, with the
// SAME decisions (dividing by T > 0 never changes which score is largest).
//
// Exit code 0 when the MSE slope is pulled by the outlier, the MAE slope is not, and the
// probabilities approach one-hot as T -> 0 with unchanged accuracy.
#include <cmath>
#include <cstdio>
#include <vector>

#include <xgrad.hpp>
#include <xgrad/data/datasets.hpp>

namespace {

// Fits y ~ w x + b by full-batch Adam on the given loss; the learning rate decays to 0
// along a cosine so that even the non-smooth MAE settles at its minimum.
std::pair<double, double> fit_line(const xg::Tensor& x, const xg::Tensor& y, bool use_mae) {
  xg::Tensor w = xg::zeros({1}, {.dtype = xg::f64, .requires_grad = true});
  xg::Tensor b = xg::zeros({1}, {.dtype = xg::f64, .requires_grad = true});
  xg::optim::Adam opt({w, b}, {.lr = 0.2});
  const int steps = 4000;
  xg::optim::CosineAnnealingLR schedule(opt, {.T_max = steps});
  for (int step = 0; step < steps; ++step) {
    const xg::Tensor y_hat = x * w + b;  // (N), w and b broadcast
    const xg::Tensor loss =
        use_mae ? xg::nn::functional::l1_loss(y_hat, y) : xg::nn::functional::mse_loss(y_hat, y);
    opt.zero_grad();
    loss.backward();
    opt.step();
    schedule.step();
  }
  return {w.item(), b.item()};
}

void print_probs(const char* label, const xg::Tensor& p) {
  std::printf("%s [", label);
  for (const double v : p.to_vector<double>()) std::printf(" %.4f", v);
  std::printf(" ]\n");
}

}  // namespace

int main() {
  xg::manual_seed(0);

  // ---- Part 1: MSE versus MAE with one outlier ---------------------------------------------
  // 30 points on y = 2 x + 1 with a little noise, x in [0, 10]; then the last one is moved
  // 60 units up.
  const std::int64_t n = 30;
  const xg::Tensor x = xg::linspace(0.0, 10.0, n, {.dtype = xg::f64});
  xg::Tensor y = 2.0 * x + 1.0 + xg::normal({n}, 0.0, 0.5, {.dtype = xg::f64});
  y.mutable_data<double>()[n - 1] += 60.0;  // the outlier at x = 10
  std::printf("Part 1: 30 points on y = 2x + 1 (+ noise), one moved up by 60 at x = 10\n");
  const auto [w_mse, b_mse] = fit_line(x, y, /*use_mae=*/false);
  const auto [w_mae, b_mae] = fit_line(x, y, /*use_mae=*/true);
  std::printf("  MSE fit: y = %.3f x %c %.3f  (pulled towards the outlier)\n", w_mse,
              b_mse < 0 ? '-' : '+', std::abs(b_mse));
  std::printf("  MAE fit: y = %.3f x %c %.3f  (robust: true slope 2, intercept 1)\n", w_mae,
              b_mae < 0 ? '-' : '+', std::abs(b_mae));
  const bool part1_ok = std::abs(w_mae - 2.0) < 0.1 && w_mse - 2.0 > 0.5;

  // ---- Part 2a: a larger base than e -------------------------------------------------------
  std::printf("\nPart 2: softmax with base b = e^(1/T) on the scores z = (2.0, 1.0, 0.2)\n");
  const xg::Tensor z = xg::tensor({2.0, 1.0, 0.2}, {3}, {.dtype = xg::f64});
  const std::vector<double> temps = {5.0, 1.0, 0.5, 0.2, 0.05, 0.01};
  double prev_max = 0;
  bool sharpens = true;
  for (const double t : temps) {
    const double base = std::exp(1.0 / t);
    const xg::Tensor p = xg::softmax(z / t);
    // The same probabilities written with the base: b^z / sum b^z.
    const xg::Tensor pb = xg::pow(base, z) / xg::pow(base, z).sum();
    char label[96];
    std::snprintf(label, sizeof label, "  T = %4.2f  (b = %9.3g)  softmax =", t, base);
    print_probs(label, p);
    sharpens = sharpens && xg::max(xg::abs(p - pb)).item() < 1e-9 && p.max().item() >= prev_max;
    prev_max = p.max().item();
  }
  // Sigmoid is the 2-class softmax: sigmoid(z / T) turns into the step function.
  std::printf("  sigmoid(z / T) at z = -0.5, -0.1, 0.1, 0.5:\n");
  for (const double t : {1.0, 0.1, 0.01}) {
    char label[64];
    std::snprintf(label, sizeof label, "    T = %4.2f:", t);
    print_probs(label, xg::sigmoid(xg::tensor({-0.5, -0.1, 0.1, 0.5}, {4}) / t));
  }

  // ---- Part 2b: a trained classifier, cooled down ------------------------------------------
  // Softmax regression on three overlapping blobs; then the SAME logits at lower T.
  const auto blobs = xg::data::make_blobs(300, {{-2.0, 0.0}, {2.0, 0.0}, {0.0, 3.0}}, 1.5, 0);
  xg::nn::Linear model(2, 3);
  xg::optim::SGD opt(model.parameters(), {.lr = 0.1, .momentum = 0.9});
  for (int step = 0; step < 300; ++step) {
    const xg::Tensor loss =
        xg::nn::functional::cross_entropy(model(blobs.features()), blobs.targets());
    opt.zero_grad();
    loss.backward();
    opt.step();
  }
  xg::NoGradGuard no_grad;
  const xg::Tensor logits = model(blobs.features());
  const xg::Tensor hard = xg::one_hot(xg::argmax(logits, 1), 3).to(xg::f32);  // argmax rule
  std::printf("\n  A softmax classifier on 3 blobs, its logits divided by T:\n");
  std::printf("     T     mean max prob   mean |p - one_hot(argmax)|   accuracy\n");
  double first_acc = -1, last_gap = 1;
  bool same_decisions = true;
  for (const double t : {1.0, 0.3, 0.1, 0.03, 0.01, 0.001}) {
    const xg::Tensor p = xg::softmax(logits / t, 1);
    const double conf = xg::max(p, {1}).mean().item();
    const double gap = xg::abs(p - hard).sum({1}).mean().item();
    const double acc =
        xg::eq(xg::argmax(p, 1), blobs.targets()).sum().item() / static_cast<double>(blobs.size());
    std::printf("  %6.3f      %.4f            %.4f                 %.1f%%\n", t, conf, gap,
                100.0 * acc);
    if (first_acc < 0) first_acc = acc;
    same_decisions = same_decisions && acc == first_acc;
    last_gap = gap;
  }
  const bool part2_ok = sharpens && same_decisions && last_gap < 0.01;

  const bool ok = part1_ok && part2_ok;
  std::printf("%s: the outlier pulls MSE but not MAE; as T -> 0 softmax becomes argmax.\n",
              ok ? "OK" : "UNEXPECTED");
  return ok ? 0 : 1;
}
