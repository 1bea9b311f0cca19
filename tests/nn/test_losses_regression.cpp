// mse_loss, l1_loss, huber_loss, smooth_l1_loss and kl_div: values against PyTorch,
// gradchecks (input and target), kinks, bad input.
//
// Expected values were produced with PyTorch 1.13 (python3-torch) in float64:
//   import torch, torch.nn.functional as F; torch.set_default_dtype(torch.float64)
//   A = torch.tensor([[0.5, -1.0, 2.0], [3.0, 0.25, -0.5]])
//   B = torch.tensor([[0.0, -1.0, 0.5], [1.0, 1.0, 0.3]])
//   LX = torch.log(torch.tensor([[0.2, 0.3, 0.5], [0.6, 0.3, 0.1]]))
//   PT = torch.tensor([[0.1, 0.0, 0.9], [0.5, 0.25, 0.25]]); LT = torch.log(PT + 0.05)
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

Tensor a_in(bool rg = false) {
  return tensor({0.5, -1.0, 2.0, 3.0, 0.25, -0.5}, {2, 3}, {.dtype = f64, .requires_grad = rg});
}
Tensor b_in() { return tensor({0.0, -1.0, 0.5, 1.0, 1.0, 0.3}, {2, 3}, {.dtype = f64}); }
Tensor log_x(bool rg = false) {
  return log(tensor({0.2, 0.3, 0.5, 0.6, 0.3, 0.1}, {2, 3}, {.dtype = f64}))
      .detach()
      .requires_grad_(rg);
}
Tensor p_t(bool rg = false) {
  return tensor({0.1, 0.0, 0.9, 0.5, 0.25, 0.25}, {2, 3}, {.dtype = f64, .requires_grad = rg});
}

using LossFn = Tensor (*)(const Tensor&, const Tensor&, Reduction);
Tensor huber_r(const Tensor& a, const Tensor& b, Reduction r) {
  return F::huber_loss(a, b, {.reduction = r});
}
Tensor smooth_l1_r(const Tensor& a, const Tensor& b, Reduction r) {
  return F::smooth_l1_loss(a, b, {.reduction = r});
}
Tensor kl_r(const Tensor& a, const Tensor& b, Reduction r) {
  return F::kl_div(a, b, {.reduction = r});
}

}  // namespace

TEST_CASE("losses: mse, l1, huber and smooth_l1 match PyTorch") {
  struct Case {
    const char* name;
    LossFn fn;
    double mean, sum;
    std::vector<double> none;
  };
  // F.<loss>(A, B, reduction=r) for r in mean, sum, none
  const std::vector<Case> cases{
      {"mse_loss",
       F::mse_loss,
       1.2837500000000002,
       7.702500000000001,
       {0.25, 0.0, 2.25, 4.0, 0.5625, 0.6400000000000001}},
      {"l1_loss", F::l1_loss, 0.9249999999999999, 5.55, {0.5, 0.0, 1.5, 2.0, 0.75, 0.8}},
      {"huber_loss",
       huber_r,
       0.5377083333333333,
       3.2262500000000003,
       {0.125, 0.0, 1.0, 1.5, 0.28125, 0.32000000000000006}},
      {"smooth_l1_loss",
       smooth_l1_r,
       0.5377083333333333,
       3.2262500000000003,
       {0.125, 0.0, 1.0, 1.5, 0.28125, 0.32000000000000006}},
  };
  for (const auto& c : cases) {
    CAPTURE(c.name);
    check_values(c.fn(a_in(), b_in(), Reduction::mean), {c.mean}, 1e-12);
    check_values(c.fn(a_in(), b_in(), Reduction::sum), {c.sum}, 1e-12);
    const Tensor none = c.fn(a_in(), b_in(), Reduction::none);
    CHECK(none.shape() == Shape{2, 3});
    check_values(none, c.none, 1e-12);
    CHECK(c.fn(a_in().to(f32), b_in().to(f32), Reduction::mean).dtype() == f32);
    check_values(c.fn(a_in().to(f32), b_in().to(f32), Reduction::mean), {c.mean}, 1e-6);
  }
  // F.huber_loss(A, B, delta=0.5, reduction="none"); delta=2.0 (mean)
  check_values(F::huber_loss(a_in(), b_in(), {.reduction = Reduction::none, .delta = 0.5}),
               {0.125, 0.0, 0.625, 0.875, 0.25, 0.275}, 1e-12);
  check_values(F::huber_loss(a_in(), b_in(), {.delta = 2.0}), {0.6418750000000001}, 1e-12);
  // F.smooth_l1_loss(A, B, beta=0.5 / 0.0, reduction="none")
  check_values(F::smooth_l1_loss(a_in(), b_in(), {.reduction = Reduction::none, .beta = 0.5}),
               {0.25, 0.0, 1.25, 1.75, 0.5, 0.55}, 1e-12);
  check_values(F::smooth_l1_loss(a_in(), b_in(), {.reduction = Reduction::none, .beta = 0.0}),
               {0.5, 0.0, 1.5, 2.0, 0.75, 0.8}, 1e-12);
}

TEST_CASE("losses: regression gradients at the kinks match PyTorch") {
  // a = A.requires_grad_(); F.huber_loss(a, B, delta=0.5, reduction="sum").backward()
  Tensor a = a_in(true);
  F::huber_loss(a, b_in(), {.reduction = Reduction::sum, .delta = 0.5}).backward();
  check_values(a.grad(), {0.5, 0.0, 0.5, 0.5, -0.5, -0.5}, 0.0);
  // ... F.smooth_l1_loss(a, B, beta=0.5, reduction="sum"); F.l1_loss(a, B, reduction="sum")
  a = a_in(true);
  F::smooth_l1_loss(a, b_in(), {.reduction = Reduction::sum, .beta = 0.5}).backward();
  check_values(a.grad(), {1.0, 0.0, 1.0, 1.0, -1.0, -1.0}, 0.0);
  a = a_in(true);
  F::l1_loss(a, b_in(), Reduction::sum).backward();
  check_values(a.grad(), {1.0, 0.0, 1.0, 1.0, -1.0, -1.0}, 0.0);  // sign(0) = 0
  // a = [1, -1, 0] against zeros, |d| == delta == beta == 1: grads [1, -1, 0]
  const Tensor z = zeros({3}, {.dtype = f64});
  a = tensor({1.0, -1.0, 0.0}, {3}, {.dtype = f64, .requires_grad = true});
  F::huber_loss(a, z, {.reduction = Reduction::sum}).backward();
  check_values(a.grad(), {1.0, -1.0, 0.0}, 0.0);
  a.zero_grad();
  F::smooth_l1_loss(a, z, {.reduction = Reduction::sum}).backward();
  check_values(a.grad(), {1.0, -1.0, 0.0}, 0.0);
}

TEST_CASE("losses: regression gradcheck for input and target") {
  using V = std::vector<Tensor>;
  const std::vector<std::pair<const char*, LossFn>> fns{{"mse_loss", F::mse_loss},
                                                        {"l1_loss", F::l1_loss},
                                                        {"huber_loss", huber_r},
                                                        {"smooth_l1_loss", smooth_l1_r}};
  for (const auto& [name, fn] : fns) {
    for (const Reduction r : {Reduction::none, Reduction::mean, Reduction::sum}) {
      CAPTURE(name);
      CAPTURE(nn::reduction_name(r));
      // values spread over [-3, 3] so both sides of every kink are seen (away from it)
      check_gradcheck(
          [&, fn = fn](const V& in) { return fn(in[0], in[1], r); },
          {tensor({0.3, -2.2, 1.7, 0.05, -0.6, 2.9}, {2, 3}, {.dtype = f64, .requires_grad = true}),
           tensor({-0.4, 0.1, 0.2, 1.3, -0.3, -0.2}, {2, 3},
                  {.dtype = f64, .requires_grad = true})});
    }
  }
  check_gradcheck([](const V& in) { return F::huber_loss(in[0], in[1], {.delta = 0.3}); },
                  {xg::test::rand_f64({4, 2}, -1, 1), xg::test::rand_f64({4, 2}, -1, 1)});
  check_gradcheck([](const V& in) { return F::smooth_l1_loss(in[0], in[1], {.beta = 2.5}); },
                  {xg::test::rand_f64({4, 2}, -3, 3), xg::test::rand_f64({4, 2}, -3, 3)});
}

TEST_CASE("losses: regression losses reject bad inputs") {
  const std::vector<std::pair<const char*, LossFn>> fns{{"mse_loss", F::mse_loss},
                                                        {"l1_loss", F::l1_loss},
                                                        {"huber_loss", huber_r},
                                                        {"smooth_l1_loss", smooth_l1_r},
                                                        {"kl_div", kl_r}};
  for (const auto& [name, fn] : fns) {
    CAPTURE(name);
    // PyTorch only warns here and broadcasts (2, 1) against (2) to (2, 2); we refuse.
    check_throws<ShapeError>(
        [&, fn = fn] {
          fn(zeros({2, 1}, {.dtype = f64}), zeros({2}, {.dtype = f64}), Reduction::mean);
        },
        {name, "(2)", "(2, 1)"});
    check_throws<DtypeError>(
        [&, fn = fn] { fn(zeros({2}, {.dtype = f64}), zeros({2}), Reduction::mean); },
        {name, "target", "f64", "f32"});
    check_throws<DtypeError>(
        [&, fn = fn] {
          fn(tensor_i64({1, 2}), tensor_i64({1, 2}), Reduction::mean);
        },
        {name, "float", "i64"});
  }
  check_throws<ValueError>([] { F::mse_loss(zeros({2}), zeros({2}), Reduction::batchmean); },
                           {"mse_loss", "batchmean"});
  check_throws<ValueError>([] { F::huber_loss(zeros({2}), zeros({2}), {.delta = 0.0}); },
                           {"huber_loss", "delta", "positive"});
  check_throws<ValueError>([] { F::smooth_l1_loss(zeros({2}), zeros({2}), {.beta = -1.0}); },
                           {"smooth_l1_loss", "beta", "-1"});
}

TEST_CASE("losses: kl_div matches PyTorch") {
  // F.kl_div(LX, PT, reduction=r): target 0 contributes exactly 0
  check_values(F::kl_div(log_x(), p_t()), {0.09200413262149758}, 1e-12);
  check_values(F::kl_div(log_x(), p_t(), {.reduction = Reduction::sum}), {0.5520247957289854},
               1e-12);
  check_values(F::kl_div(log_x(), p_t(), {.reduction = Reduction::none}),
               {-0.06931471805599451, 0.0, 0.529007998411907, -0.09116077839697728,
                -0.04558038919848861, 0.22907268296853872},
               1e-12);
  check_values(F::kl_div(log_x(), p_t(), {.reduction = Reduction::batchmean}), {0.2760123978644927},
               1e-12);
  // F.kl_div(LX, LT, reduction=r, log_target=True)
  const Tensor lt = log(p_t() + 0.05);
  check_values(F::kl_div(log_x(), lt, {.log_target = true}), {0.1264580561317903}, 1e-12);
  check_values(F::kl_div(log_x(), lt, {.reduction = Reduction::batchmean, .log_target = true}),
               {0.37937416839537086}, 1e-12);
  // x, t = LX, PT with requires_grad; F.kl_div(x, t, reduction="batchmean").backward().
  // PyTorch's t.grad is nan where t = 0; ours is -x / 2 there, y log(y) adding nothing
  // (see functional.hpp).
  Tensor x = log_x(true), t = p_t(true);
  F::kl_div(x, t, {.reduction = Reduction::batchmean}).backward();
  check_values(x.grad(), {-0.05, 0.0, -0.45, -0.25, -0.125, -0.125}, 1e-15);
  check_values(t.grad(),
               {0.1534264097200274, 1.2039728043259361 / 2, 0.7938933324510595, 0.4088392216030227,
                0.4088392216030228, 0.9581453659370774},
               1e-12);
  // F.kl_div(torch.tensor(-1.0), torch.tensor(0.5), reduction="batchmean"): 0-D divides by 1
  check_values(F::kl_div(scalar_tensor(-1.0, {.dtype = f64}), scalar_tensor(0.5, {.dtype = f64}),
                         {.reduction = Reduction::batchmean}),
               {0.15342640972002736}, 1e-12);
}

TEST_CASE("losses: kl_div gradcheck") {
  using V = std::vector<Tensor>;
  for (const Reduction r :
       {Reduction::none, Reduction::mean, Reduction::sum, Reduction::batchmean}) {
    CAPTURE(nn::reduction_name(r));
    check_gradcheck([&](const V& in) { return F::kl_div(in[0], in[1], {.reduction = r}); },
                    {xg::test::rand_f64({3, 4}, -3, 0), xg::test::rand_f64({3, 4}, 0.05, 1)});
    check_gradcheck(
        [&](const V& in) { return F::kl_div(in[0], in[1], {.reduction = r, .log_target = true}); },
        {xg::test::rand_f64({3, 4}, -3, 0), xg::test::rand_f64({3, 4}, -3, 0)});
  }
}
