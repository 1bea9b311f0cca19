// Writing your own differentiable function with xg::autograd::Function: a forward, a
// backward, and saved tensors, as torch.autograd.Function.
//
// 1. log1pexp(x) = log(1 + e^x), written so that it never overflows, with its derivative
//    sigmoid(x) as the backward. The naive composition gives inf at x = 1000; a gradient
//    check (float64 finite differences) confirms the hand-written backward, and so does a
//    check of second derivatives, since the backward is written with xgrad ops.
// 2. A straight-through estimator: sign(w) in the forward, whose true derivative is zero
//    almost everywhere, and the identity (clipped to |w| <= 1) in the backward. It trains a
//    linear classifier whose weights are +-1 only (a "binary" layer).
// Exits non-zero if a check fails or the binary classifier stays below 95% accuracy.
#include <cmath>
#include <iostream>

#include <xgrad.hpp>

using xg::Tensor;
using xg::tensor_list;
using xg::autograd::AutogradContext;

struct Log1pExp : xg::autograd::Function<Log1pExp> {
  static Tensor forward(AutogradContext* ctx, const Tensor& x) {
    ctx->save_for_backward({x});
    // max(x, 0) + log(1 + e^-|x|): the exponent is never positive.
    return xg::maximum(x, xg::zeros_like(x)) + xg::log(1.0 + xg::exp(-xg::abs(x)));
  }
  static tensor_list backward(AutogradContext* ctx, const tensor_list& grad_outputs) {
    const Tensor x = ctx->get_saved_variables()[0];
    return {grad_outputs[0] * xg::sigmoid(x)};
  }
};

struct SignSTE : xg::autograd::Function<SignSTE> {
  static Tensor forward(AutogradContext* ctx, const Tensor& w) {
    ctx->save_for_backward({w});
    return xg::where(xg::ge(w, 0.0), 1.0, xg::full_like(w, -1.0));
  }
  static tensor_list backward(AutogradContext* ctx, const tensor_list& grad_outputs) {
    const Tensor w = ctx->get_saved_variables()[0];
    // Pass the gradient through where |w| <= 1 (the "hard tanh" estimator).
    return {xg::where(xg::le(xg::abs(w), 1.0), grad_outputs[0], 0.0)};
  }
};

int main() {
  bool ok = true;

  // ---- 1. log1pexp ----------------------------------------------------------------
  Tensor x = xg::tensor({-1000, -1, 0, 1, 1000}, {5}, {.dtype = xg::f64, .requires_grad = true});
  const Tensor naive = xg::log(1.0 + xg::exp(x.detach()));
  const Tensor y = Log1pExp::apply(x);
  std::cout << "x          " << x.detach() << "\nnaive      " << naive << "\nLog1pExp   " << y
            << "\n";
  y.sum().backward();
  std::cout << "d/dx       " << x.grad() << "  (sigmoid(x))\n";
  ok = ok && std::isinf(naive.data<double>()[4]) && y.data<double>()[4] == 1000.0;

  auto f = [](const std::vector<Tensor>& in) { return (Log1pExp::apply(in[0]) * in[0]).sum(); };
  xg::manual_seed(0);
  const Tensor a = xg::randn({3, 4}, {.dtype = xg::f64, .requires_grad = true});
  const xg::GradcheckResult first = xg::gradcheck(f, {a});
  const xg::GradcheckResult second = xg::gradgradcheck(f, {a});
  std::cout << "gradcheck: " << first.message << "\ngradgradcheck: " << second.message << "\n";
  ok = ok && first.ok && second.ok;

  // ---- 2. a classifier with +-1 weights, trained through SignSTE --------------------
  xg::manual_seed(1);
  const std::int64_t n = 512;
  const Tensor features = xg::randn({n, 2});
  // Labels: which side of the line x0 + x1 = 0 (a rule +-1 weights can express).
  const Tensor labels = xg::gt(features.sum({1}, /*keepdim=*/true), 0.0).to(xg::f32);
  Tensor w = xg::uniform({1, 2}, -0.5, 0.5, {.requires_grad = true});
  Tensor b = xg::zeros({1}, {.requires_grad = true});
  xg::optim::SGD opt({w, b}, {.lr = 0.05, .momentum = 0.9});
  for (int step = 0; step < 200; ++step) {
    opt.zero_grad();
    const Tensor logits = xg::linear(features, SignSTE::apply(w), b) * 4.0;
    const Tensor loss = xg::nn::functional::binary_cross_entropy_with_logits(logits, labels);
    loss.backward();
    opt.step();
    if (step % 50 == 0) std::cout << "step " << step << " loss " << loss.item() << "\n";
  }
  double accuracy = 0.0;
  {
    xg::NoGradGuard no_grad;
    const Tensor predicted = xg::gt(xg::linear(features, SignSTE::apply(w), b), 0.0).to(xg::f32);
    accuracy = xg::eq(predicted, labels).to(xg::f32).mean().item();
  }
  std::cout << "binary weights " << SignSTE::apply(w.detach()) << ", accuracy " << accuracy << "\n";
  ok = ok && accuracy >= 0.95;
  std::cout << (ok ? "all checks passed" : "a check FAILED") << "\n";
  return ok ? 0 : 1;
}
