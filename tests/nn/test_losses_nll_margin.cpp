// nll_loss and multi_margin_loss: values against PyTorch, gradchecks, extremes, bad input.
//
// Expected values were produced with PyTorch 1.13 (python3-torch) in float64:
//   import torch, torch.nn.functional as F; torch.set_default_dtype(torch.float64)
//   LP = torch.tensor([[-0.5, -1.2, -2.3], [-0.1, -3.0, -2.5], [-1.1, -0.9, -1.4],
//                      [-2.0, -0.3, -1.7]]); T = torch.tensor([2, 0, -100, 1])
//   W = torch.tensor([2.0, 0.5, 1.5])
//   X = torch.tensor([[0.1, 0.2, 0.4, 0.8], [1.0, -0.5, 0.3, 0.9], [0.0, 0.0, 0.0, 0.0]])
//   TM = torch.tensor([3, 0, 2]); WM = torch.tensor([1.0, 2.0, 3.0, 4.0])
// and the call written next to each expectation.
#include <cmath>

#include "support/check.hpp"
#include "xgrad/nn/functional.hpp"

using namespace xg;
using nn::Reduction;
using xg::test::check_gradcheck;
using xg::test::check_throws;
using xg::test::check_values;
namespace F = xg::nn::functional;

namespace {

Tensor log_probs(bool requires_grad = false) {
  return tensor({-0.5, -1.2, -2.3, -0.1, -3.0, -2.5, -1.1, -0.9, -1.4, -2.0, -0.3, -1.7}, {4, 3},
                {.dtype = f64, .requires_grad = requires_grad});
}
Tensor nll_weight() { return tensor({2.0, 0.5, 1.5}, {3}, {.dtype = f64}); }
Tensor margin_input() {
  return tensor({0.1, 0.2, 0.4, 0.8, 1.0, -0.5, 0.3, 0.9, 0.0, 0.0, 0.0, 0.0}, {3, 4},
                {.dtype = f64});
}
Tensor margin_weight() { return tensor({1.0, 2.0, 3.0, 4.0}, {4}, {.dtype = f64}); }

}  // namespace

TEST_CASE("losses: nll_loss matches PyTorch") {
  const Tensor t = tensor_i64({2, 0, -100, 1});
  // F.nll_loss(LP, T, reduction=r)
  check_values(F::nll_loss(log_probs(), t), {0.8999999999999999}, 1e-12);
  check_values(F::nll_loss(log_probs(), t, {.reduction = Reduction::sum}), {2.6999999999999997},
               1e-12);
  check_values(F::nll_loss(log_probs(), t, {.reduction = Reduction::none}), {2.3, 0.1, 0.0, 0.3},
               1e-12);
  // F.nll_loss(LP, T, weight=W, reduction=r)
  const Tensor w = nll_weight();
  check_values(F::nll_loss(log_probs(), t, {.weight = w}), {0.95}, 1e-12);
  check_values(F::nll_loss(log_probs(), t, {.reduction = Reduction::sum, .weight = w}), {3.8},
               1e-12);
  check_values(F::nll_loss(log_probs(), t, {.reduction = Reduction::none, .weight = w}),
               {3.4499999999999997, 0.2, 0.0, 0.15}, 1e-12);
  // F.nll_loss(LP, torch.tensor([2, 0, 1, 1]), ignore_index=1)
  check_values(F::nll_loss(log_probs(), tensor_i64({2, 0, 1, 1}), {.ignore_index = 1}), {1.2},
               1e-12);
  // F.nll_loss(torch.tensor([-0.2, -1.9, -3.0]), torch.tensor(1)): 0-D target, 0-D loss
  const Tensor l1 = F::nll_loss(tensor({-0.2, -1.9, -3.0}, {3}, {.dtype = f64}),
                                tensor_i64({1}, {}), {.reduction = Reduction::none});
  CHECK(l1.shape() == Shape{});
  check_values(l1, {1.9}, 1e-12);
  // F.nll_loss(LP.t().reshape(1, 3, 4), torch.tensor([[2, 0, -100, 1]]), ...): classes on axis 1
  const Tensor lp3 = reshape(transpose(log_probs(), 0, 1), {1, 3, 4});
  const Tensor t3 = tensor_i64({2, 0, -100, 1}, {1, 4});
  const Tensor none3 = F::nll_loss(lp3, t3, {.reduction = Reduction::none});
  CHECK(none3.shape() == Shape{1, 4});
  check_values(none3, {2.3, 0.1, 0.0, 0.3}, 1e-12);
  check_values(F::nll_loss(lp3, t3, {.weight = w}), {0.95}, 1e-12);
  // gradient of the weighted mean: -w[t] / sum(w[t]) at the target, 0 elsewhere
  Tensor x = log_probs(true);
  F::nll_loss(x, t, {.weight = w}).backward();
  check_values(x.grad(), {0, 0, -1.5 / 4, -2.0 / 4, 0, 0, 0, 0, 0, 0, -0.5 / 4, 0}, 1e-15);
}

TEST_CASE("losses: nll_loss extremes: all ignored is NaN, ignored -inf rows add nothing") {
  Tensor x = log_probs(true);
  const Tensor t = tensor_i64({-100, -100, -100, -100});
  const Tensor l = F::nll_loss(x, t);  // PyTorch: nan
  CHECK(std::isnan(l.item()));
  l.backward();  // PyTorch: zeros
  check_values(x.grad(), std::vector<double>(12, 0.0), 0.0);
  // -inf log-probabilities (probability 0) on an ignored row leave the loss finite.
  const Tensor y =
      tensor({-INFINITY, -INFINITY, -INFINITY, -0.1, -3.0, -2.5}, {2, 3}, {.dtype = f64});
  check_values(F::nll_loss(y, tensor_i64({-100, 0})), {0.1}, 1e-15);
}

TEST_CASE("losses: nll_loss gradcheck") {
  using V = std::vector<Tensor>;
  const Tensor t = tensor_i64({2, 0, -100, 1});
  for (const Reduction r : {Reduction::none, Reduction::mean, Reduction::sum}) {
    CAPTURE(nn::reduction_name(r));
    check_gradcheck([&](const V& in) { return F::nll_loss(in[0], t, {.reduction = r}); },
                    {xg::test::rand_f64({4, 3}, -3, 0)});
    check_gradcheck(
        [&](const V& in) {
          return F::nll_loss(in[0], t, {.reduction = r, .weight = nll_weight()});
        },
        {xg::test::rand_f64({4, 3}, -3, 0)});
  }
  const Tensor t3 = tensor_i64({1, 2, 0, 2, -100, 1}, {2, 3});
  check_gradcheck([&](const V& in) { return F::nll_loss(in[0], t3); },
                  {xg::test::rand_f64({2, 3, 3}, -3, 0)});
}

TEST_CASE("losses: nll_loss rejects bad inputs") {
  const Tensor x = log_probs();
  check_throws<ValueError>(
      [&] {
        F::nll_loss(x, tensor_i64({2, 0, 3, 1}));
      },
      {"nll_loss", "target 3", "3 classes"});
  check_throws<DtypeError>(
      [&] {
        F::nll_loss(x, tensor({2, 0, 1, 1}, {4}, {.dtype = f64}));
      },
      {"nll_loss", "i64", "f64"});
  check_throws<DtypeError>(
      [&] {
        F::nll_loss(tensor_i64({1, 2, 3}), tensor_i64({0}, {}));
      },
      {"nll_loss", "float"});
  check_throws<ShapeError>(
      [&] {
        F::nll_loss(x, tensor_i64({2, 0, 1}));
      },
      {"nll_loss", "(3)", "(4, 3)", "(4)"});
  check_throws<ShapeError>(
      [&] {
        F::nll_loss(x, tensor({0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5}, {4, 3},
                              {.dtype = f64}));
      },
      {"nll_loss", "(4, 3)"});
  check_throws<ShapeError>(
      [&] {
        F::nll_loss(x, tensor_i64({2, 0, 1, 1}), {.weight = margin_weight()});
      },
      {"nll_loss", "weight", "(3)", "(4)"});
  check_throws<ValueError>(
      [&] {
        F::nll_loss(x, tensor_i64({2, 0, 1, 1}), {.reduction = Reduction::batchmean});
      },
      {"nll_loss", "batchmean"});
}

TEST_CASE("losses: multi_margin_loss matches PyTorch") {
  const Tensor t = tensor_i64({3, 0, 2});
  // F.multi_margin_loss(X, TM, p=1 / 2, reduction=r)
  check_values(F::multi_margin_loss(margin_input(), t), {0.4583333333333333}, 1e-12);
  check_values(F::multi_margin_loss(margin_input(), t, {.reduction = Reduction::sum}), {1.375},
               1e-12);
  check_values(F::multi_margin_loss(margin_input(), t, {.reduction = Reduction::none}),
               {0.32499999999999996, 0.3, 0.75}, 1e-12);
  check_values(F::multi_margin_loss(margin_input(), t, {.p = 2}), {0.3758333333333333}, 1e-12);
  check_values(F::multi_margin_loss(margin_input(), t, {.reduction = Reduction::sum, .p = 2}),
               {1.1275}, 1e-12);
  check_values(F::multi_margin_loss(margin_input(), t, {.reduction = Reduction::none, .p = 2}),
               {0.15249999999999997, 0.225, 0.75}, 1e-12);
  // F.multi_margin_loss(X, TM, p=p, margin=0.7, weight=WM, reduction="none")
  check_values(
      F::multi_margin_loss(
          margin_input(), t,
          {.reduction = Reduction::none, .p = 1, .margin = 0.7, .weight = margin_weight()}),
      {0.39999999999999986, 0.15, 1.5749999999999997}, 1e-12);
  check_values(
      F::multi_margin_loss(
          margin_input(), t,
          {.reduction = Reduction::none, .p = 2, .margin = 0.7, .weight = margin_weight()}),
      {0.09999999999999994, 0.09, 1.1024999999999998}, 1e-12);
  // F.multi_margin_loss(torch.tensor([0.3, 1.2, -0.4]), torch.tensor(1), reduction="none"): 0-D
  const Tensor l1 = F::multi_margin_loss(tensor({0.3, 1.2, -0.4}, {3}, {.dtype = f64}),
                                         tensor_i64({1}, {}), {.reduction = Reduction::none});
  CHECK(l1.shape() == Shape{});
  check_values(l1, {0.03333333333333335}, 1e-12);
}

TEST_CASE("losses: multi_margin_loss kinks and extremes match PyTorch") {
  // x = [[0, 1]], target 1: z = 1 - 1 + 0 = 0 exactly; PyTorch's gradient is [0, 0].
  Tensor x = tensor({0.0, 1.0}, {1, 2}, {.dtype = f64, .requires_grad = true});
  F::multi_margin_loss(x, tensor_i64({1})).backward();
  check_values(x.grad(), {0.0, 0.0}, 0.0);
  // x = [[1000, -1000, 0]], target 1: loss 1000.6666..., grad [1/3, -2/3, 1/3]
  Tensor y = tensor({1000.0, -1000.0, 0.0}, {1, 3}, {.dtype = f64, .requires_grad = true});
  const Tensor l = F::multi_margin_loss(y, tensor_i64({1}));
  check_values(l, {1000.6666666666666}, 1e-15);
  l.backward();
  check_values(y.grad(), {1.0 / 3, -2.0 / 3, 1.0 / 3}, 1e-15);
}

TEST_CASE("losses: multi_margin_loss gradcheck") {
  using V = std::vector<Tensor>;
  const Tensor t = tensor_i64({3, 0, 2, 1});
  for (const std::int64_t p : {1, 2}) {
    for (const Reduction r : {Reduction::none, Reduction::mean, Reduction::sum}) {
      CAPTURE(p);
      CAPTURE(nn::reduction_name(r));
      check_gradcheck(
          [&](const V& in) {
            return F::multi_margin_loss(
                in[0], t, {.reduction = r, .p = p, .margin = 0.9, .weight = margin_weight()});
          },
          {xg::test::rand_f64({4, 4}, -1, 1)});
    }
  }
  check_gradcheck(
      [&](const V& in) { return F::multi_margin_loss(in[0], tensor_i64({2}, {}), {.p = 2}); },
      {xg::test::rand_f64({5}, -1, 1)});
}

TEST_CASE("losses: multi_margin_loss rejects bad inputs") {
  const Tensor x = margin_input();
  // PyTorch: ValueError "only p == 1 and p == 2 supported"
  check_throws<ValueError>(
      [&] {
        F::multi_margin_loss(x, tensor_i64({3, 0, 2}), {.p = 3});
      },
      {"multi_margin_loss", "p must be 1 or 2", "3"});
  check_throws<ValueError>(
      [&] {
        F::multi_margin_loss(x, tensor_i64({3, 4, 2}));
      },
      {"multi_margin_loss", "target 4", "4 classes"});
  check_throws<ValueError>(
      [&] {
        F::multi_margin_loss(x, tensor_i64({3, -100, 2}));
      },
      {"multi_margin_loss", "target -100", "4 classes"});
  check_throws<DtypeError>(
      [&] {
        F::multi_margin_loss(x, tensor({3, 0, 2}, {3}, {.dtype = f64}));
      },
      {"multi_margin_loss", "i64"});
  check_throws<ShapeError>(
      [&] {
        F::multi_margin_loss(x, tensor_i64({3, 0}));
      },
      {"multi_margin_loss", "(2)", "(3, 4)"});
  check_throws<ShapeError>(
      [&] {
        F::multi_margin_loss(zeros({2, 3, 4}, {.dtype = f64}), tensor_i64({0, 0}));
      },
      {"multi_margin_loss", "(2, 3, 4)"});
  check_throws<ShapeError>(
      [&] {
        F::multi_margin_loss(x, tensor_i64({3, 0, 2}), {.weight = nll_weight()});
      },
      {"multi_margin_loss", "weight", "(4)", "(3)"});
}
