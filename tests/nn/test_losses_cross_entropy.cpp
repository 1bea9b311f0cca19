// cross_entropy: values against PyTorch, gradchecks (first and second order), extreme
// logits and bad inputs.
//
// Expected values were produced with PyTorch 1.13 (python3-torch) in float64:
//   import torch, torch.nn.functional as F; torch.set_default_dtype(torch.float64)
//   X = torch.tensor([[0.2, -1.3, 0.8, 2.1], [1.5, 0.3, -0.7, 0.0], [-0.4, 0.9, 1.1, -2.2]])
//   T = torch.tensor([3, 0, 1]); TI = torch.tensor([3, -100, 1])
//   W = torch.tensor([0.5, 2.0, 1.0, 0.25])
//   P = torch.tensor([[0.1, 0.2, 0.3, 0.4], [1.0, 0, 0, 0], [0.25, 0.25, 0.5, 0]])
// and the F.cross_entropy call written next to each expectation.
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

Tensor logits(bool requires_grad = false) {
  return tensor({0.2, -1.3, 0.8, 2.1, 1.5, 0.3, -0.7, 0.0, -0.4, 0.9, 1.1, -2.2}, {3, 4},
                {.dtype = f64, .requires_grad = requires_grad});
}
Tensor class_weight() { return tensor({0.5, 2.0, 1.0, 0.25}, {4}, {.dtype = f64}); }
Tensor probs() {
  return tensor({0.1, 0.2, 0.3, 0.4, 1.0, 0.0, 0.0, 0.0, 0.25, 0.25, 0.5, 0.0}, {3, 4},
                {.dtype = f64});
}

}  // namespace

TEST_CASE("losses: cross_entropy with class indices matches PyTorch") {
  const Tensor t = tensor_i64({3, 0, 1});
  // F.cross_entropy(X, T, reduction=r)
  check_values(F::cross_entropy(logits(), t), {0.5996053693179738}, 1e-12);
  check_values(F::cross_entropy(logits(), t, {.reduction = Reduction::sum}), {1.7988161079539213},
               1e-12);
  const Tensor none = F::cross_entropy(logits(), t, {.reduction = Reduction::none});
  CHECK(none.shape() == Shape{3});
  check_values(none, {0.37533140243029234, 0.4917208015660495, 0.9317639039575795}, 1e-12);
  // f32 gives the same numbers to float precision.
  check_values(F::cross_entropy(logits().to(f32), t), {0.5996053693179738}, 1e-6);
  CHECK(F::cross_entropy(logits().to(f32), t).dtype() == f32);
  CHECK(F::cross_entropy(logits(), t).shape() == Shape{});
}

TEST_CASE("losses: cross_entropy weight and ignore_index match PyTorch") {
  const Tensor ti = tensor_i64({3, -100, 1});
  // F.cross_entropy(X, TI, weight=W, reduction=r): the mean divides by W[3] + W[1].
  check_values(F::cross_entropy(logits(), ti, {.weight = class_weight()}), {0.8699380704545476},
               1e-12);
  check_values(
      F::cross_entropy(logits(), ti, {.reduction = Reduction::sum, .weight = class_weight()}),
      {1.957360658522732}, 1e-12);
  check_values(
      F::cross_entropy(logits(), ti, {.reduction = Reduction::none, .weight = class_weight()}),
      {0.09383285060757308, 0.0, 1.863527807915159}, 1e-12);
  // F.cross_entropy(X, T, ignore_index=0)
  check_values(F::cross_entropy(logits(), tensor_i64({3, 0, 1}), {.ignore_index = 0}),
               {0.6535476531939359}, 1e-12);
  // Xg = X.requires_grad_(); F.cross_entropy(Xg, TI, weight=W).backward(); Xg.grad
  Tensor x = logits(true);
  F::cross_entropy(x, ti, {.weight = class_weight()}).backward();
  check_values(x.grad(),
               {0.011418094103816466, 0.0025477211659744106, 0.02080512393119201,
                -0.03477093920098288, 0.0, 0.0, 0.0, 0.0, 0.09541237999439156, -0.5387925609258468,
                0.4276086205958069, 0.015771560335648464},
               1e-12);
}

TEST_CASE("losses: cross_entropy label smoothing matches PyTorch") {
  const Tensor ti = tensor_i64({3, -100, 1});
  // F.cross_entropy(X, TI, label_smoothing=0.1, reduction=r)
  check_values(F::cross_entropy(logits(), ti, {.label_smoothing = 0.1}), {0.7885476531939359},
               1e-12);
  check_values(
      F::cross_entropy(logits(), ti, {.reduction = Reduction::sum, .label_smoothing = 0.1}),
      {1.5770953063878719}, 1e-12);
  check_values(
      F::cross_entropy(logits(), ti, {.reduction = Reduction::none, .label_smoothing = 0.1}),
      {0.5403314024302923, 0.0, 1.0367639039575796}, 1e-12);
  // F.cross_entropy(X, TI, weight=W, label_smoothing=0.2, reduction=r)
  const Tensor w = class_weight();
  check_values(F::cross_entropy(logits(), ti, {.weight = w, .label_smoothing = 0.2}),
               {1.0332083985626275}, 1e-12);
  check_values(F::cross_entropy(logits(), ti,
                                {.reduction = Reduction::sum, .weight = w, .label_smoothing = 0.2}),
               {2.3247188967659116}, 1e-12);
  check_values(
      F::cross_entropy(logits(), ti,
                       {.reduction = Reduction::none, .weight = w, .label_smoothing = 0.2}),
      {0.5979409184417382, 0.0, 1.7267779783241735}, 1e-12);
}

TEST_CASE("losses: cross_entropy with class probabilities matches PyTorch") {
  // F.cross_entropy(X, P, reduction=r)
  check_values(F::cross_entropy(logits(), probs()), {1.0946053693179738}, 1e-12);
  check_values(F::cross_entropy(logits(), probs(), {.reduction = Reduction::sum}),
               {3.2838161079539216}, 1e-12);
  check_values(F::cross_entropy(logits(), probs(), {.reduction = Reduction::none}),
               {1.6353314024302925, 0.4917208015660495, 1.1567639039575794}, 1e-12);
  // F.cross_entropy(X, P, weight=W, label_smoothing=0.3, reduction=r)
  const Tensor w = class_weight();
  check_values(F::cross_entropy(logits(), probs(), {.weight = w, .label_smoothing = 0.3}),
               {1.3713685232409247}, 1e-12);
  check_values(F::cross_entropy(logits(), probs(),
                                {.reduction = Reduction::sum, .weight = w, .label_smoothing = 0.3}),
               {4.114105569722774}, 1e-12);
  check_values(
      F::cross_entropy(logits(), probs(),
                       {.reduction = Reduction::none, .weight = w, .label_smoothing = 0.3}),
      {2.2991341413795436, 0.6835237559885687, 1.131447672354663}, 1e-12);
}

TEST_CASE("losses: cross_entropy on (N, C, d1, d2) and (C) inputs matches PyTorch") {
  // XN = torch.arange(24.).reshape(2, 3, 2, 2).sin() * 2
  // TN = torch.tensor([[[0, 1], [2, 0]], [[1, 1], [2, -100]]])
  const Tensor xn = tensor({0.0,
                            1.682941969615793,
                            1.8185948536513634,
                            0.2822400161197344,
                            -1.5136049906158564,
                            -1.917848549326277,
                            -0.5588309963978517,
                            1.3139731974375781,
                            1.9787164932467636,
                            0.8242369704835132,
                            -1.0880422217787395,
                            -1.999980413101407,
                            -1.0731458360008699,
                            0.8403340736532818,
                            1.9812147113897407,
                            1.3005756803142337,
                            -0.5758066333301306,
                            -1.9227949837591136,
                            -1.501974493543352,
                            0.2997544193259047,
                            1.8258905014552553,
                            1.6733112770721121,
                            -0.017702618580807752,
                            -1.6924408083503413},
                           {2, 3, 2, 2}, {.dtype = f64});
  const Tensor tn = tensor_i64({0, 1, 2, 0, 1, 1, 2, -100}, {2, 2, 2});
  // F.cross_entropy(XN, TN), reduction="none", and weight=[1, 2, 3], label_smoothing=0.1
  check_values(F::cross_entropy(xn, tn), {2.7401711349314692}, 1e-12);
  const Tensor none = F::cross_entropy(xn, tn, {.reduction = Reduction::none});
  CHECK(none.shape() == Shape{2, 2, 2});
  check_values(none,
               {2.1345885856492126, 3.9730521514037256, 3.0441777347513397, 1.3630211648314383,
                2.537660910376044, 3.976037011552985, 2.1526603859555427, 0.0},
               1e-12);
  check_values(
      F::cross_entropy(
          xn, tn, {.weight = tensor({1.0, 2.0, 3.0}, {3}, {.dtype = f64}), .label_smoothing = 0.1}),
      {2.7703419473039146}, 1e-12);
  // F.cross_entropy(torch.tensor([0.5, -0.5, 2.0]), torch.tensor(2)), and with P = [.2, .3, .5]
  const Tensor x1 = tensor({0.5, -0.5, 2.0}, {3}, {.dtype = f64});
  const Tensor l1 = F::cross_entropy(x1, tensor_i64({2}, {}));
  CHECK(l1.shape() == Shape{});
  check_values(l1, {0.26636789980713366}, 1e-12);
  check_values(F::cross_entropy(x1, tensor({0.2, 0.3, 0.5}, {3}, {.dtype = f64})),
               {1.3163678998071335}, 1e-12);
}

TEST_CASE("losses: cross_entropy of +-1000 logits is finite and exact") {
  // x = [[1000, -1000, 0], [-1000, 1000, 0]], t = [0, 0] (PyTorch gives the same numbers).
  for (const Dtype dt : {f32, f64}) {
    CAPTURE(dt);
    const std::vector<double> v{1000, -1000, 0, -1000, 1000, 0};
    Tensor x = tensor(v, {2, 3}, {.dtype = dt, .requires_grad = true});
    const Tensor t = tensor_i64({0, 0});
    Tensor l = F::cross_entropy(x, t, {.reduction = Reduction::sum});
    check_values(l, {2000.0}, 0.0);
    l.backward();
    check_values(x.grad(), {0, 0, 0, -1, 1, 0}, 0.0);
    // mean: [1000.0], grad [0, 0, 0, -0.5, 0.5, 0]
    x.zero_grad();
    l = F::cross_entropy(x, t);
    check_values(l, {1000.0}, 0.0);
    l.backward();
    check_values(x.grad(), {0, 0, 0, -0.5, 0.5, 0}, 0.0);
    // label_smoothing=0.1, reduction="none": [100, 1900]
    x.zero_grad();
    l = F::cross_entropy(x, t, {.reduction = Reduction::none, .label_smoothing = 0.1});
    check_values(l, {100.0, 1900.0}, 1e-6);
    sum(l).backward();
    check_values(x.grad(),
                 {0.06666666666666665, -0.03333333333333333, -0.03333333333333333,
                  -0.9333333333333333, 0.9666666666666667, -0.03333333333333333},
                 1e-6);
    // probabilities [[.5, .5, 0], [0, 0, 1]]: [1000, 1000], grad [.5, -.5, 0, 0, 1, -1]
    x.zero_grad();
    l = F::cross_entropy(x, tensor({0.5, 0.5, 0, 0, 0, 1}, {2, 3}, {.dtype = dt}),
                         {.reduction = Reduction::none});
    check_values(l, {1000.0, 1000.0}, 0.0);
    sum(l).backward();
    check_values(x.grad(), {0.5, -0.5, 0, 0, 1, -1}, 0.0);
  }
}

TEST_CASE("losses: cross_entropy with every target ignored is NaN with zero gradient") {
  // PyTorch: F.cross_entropy(X, torch.tensor([-100] * 3)) is nan; X.grad is all zeros.
  Tensor x = logits(true);
  const Tensor t = tensor_i64({-100, -100, -100});
  Tensor l = F::cross_entropy(x, t);
  CHECK(std::isnan(l.item()));
  l.backward();
  check_values(x.grad(), std::vector<double>(12, 0.0), 0.0);
  check_values(F::cross_entropy(x, t, {.reduction = Reduction::sum}), {0.0}, 0.0);
  CHECK(std::isnan(F::cross_entropy(x, t, {.label_smoothing = 0.1}).item()));
}

TEST_CASE("losses: cross_entropy fused op agrees with nll_loss(log_softmax)") {
  manual_seed(7);
  const Tensor t = tensor_i64({0, 3, 2, 1, -100, 3, 0, 0, 2, 1, 1, 3, 2, -100, 0}, {5, 3});
  const Tensor w = tensor({0.3, 1.0, 2.0, 0.7}, {4}, {.dtype = f64});
  for (const Reduction r : {Reduction::none, Reduction::mean, Reduction::sum}) {
    Tensor x = normal({5, 4, 3}, 0.0, 3.0, {.dtype = f64, .requires_grad = true});
    const Tensor a = F::cross_entropy(x, t, {.reduction = r, .weight = w});
    const Tensor b = F::nll_loss(log_softmax(x, 1), t, {.reduction = r, .weight = w});
    check_values(a, b.to_vector<double>(), 1e-12);
    const Tensor ga = grad({sum(a)}, {x})[0];
    const Tensor gb = grad({sum(b)}, {x})[0];
    check_values(ga, gb.to_vector<double>(), 1e-12);
  }
  // The (N, C) case is the one fused op; without grad nothing is recorded.
  Tensor x = normal({6, 5}, 0.0, 1.0, {.requires_grad = true});
  const Tensor t2 = tensor_i64({0, 1, 2, 3, 4, 0});
  CHECK(F::cross_entropy(x, t2).grad_fn_name() == "cross_entropy");
  NoGradGuard ng;
  CHECK_FALSE(F::cross_entropy(x, t2).requires_grad());
  check_values(F::cross_entropy(x, t2), {F::nll_loss(log_softmax(x, 1), t2).item()}, 1e-6);
}

TEST_CASE("losses: cross_entropy gradcheck") {
  using V = std::vector<Tensor>;
  const Tensor t = tensor_i64({3, -100, 1, 0});
  const Tensor w = tensor({0.5, 2.0, 1.0, 0.25}, {4}, {.dtype = f64});
  for (const Reduction r : {Reduction::none, Reduction::mean, Reduction::sum}) {
    CAPTURE(nn::reduction_name(r));
    check_gradcheck([&](const V& in) { return F::cross_entropy(in[0], t, {.reduction = r}); },
                    {xg::test::rand_f64({4, 4}, -3, 3)});
    check_gradcheck(
        [&](const V& in) { return F::cross_entropy(in[0], t, {.reduction = r, .weight = w}); },
        {xg::test::rand_f64({4, 4}, -3, 3)});
    check_gradcheck(
        [&](const V& in) {
          return F::cross_entropy(in[0], t, {.reduction = r, .weight = w, .label_smoothing = 0.15});
        },
        {xg::test::rand_f64({4, 4}, -3, 3)});
    // class probabilities: gradient for the logits, the probabilities and the weight
    check_gradcheck(
        [&](const V& in) {
          return F::cross_entropy(in[0], in[1],
                                  {.reduction = r, .weight = in[2], .label_smoothing = 0.2});
        },
        {xg::test::rand_f64({3, 4}, -3, 3), xg::test::rand_f64({3, 4}, 0, 1),
         xg::test::rand_f64({4}, 0.5, 2)});
  }
  // (N, C, d) input and (C) input
  const Tensor tn = tensor_i64({0, 2, 1, -100, 2, 2}, {2, 3});
  check_gradcheck([&](const V& in) { return F::cross_entropy(in[0], tn); },
                  {xg::test::rand_f64({2, 3, 3}, -2, 2)});
  check_gradcheck([&](const V& in) { return F::cross_entropy(in[0], tensor_i64({1}, {})); },
                  {xg::test::rand_f64({3}, -2, 2)});
}

TEST_CASE("losses: cross_entropy second-order gradients") {
  using V = std::vector<Tensor>;
  // Gradcheck the gradient itself: d/dx of <dL/dx, R> exercises the backward of
  // cross_entropy_backward, and d/dv of the vector-Jacobian product its second input.
  const Tensor t = tensor_i64({2, 0, -100, 1});
  const Tensor w = tensor({0.5, 2.0, 1.5}, {3}, {.dtype = f64});
  const Tensor r = uniform({4, 3}, -1, 1, {.dtype = f64});
  for (const Reduction red : {Reduction::mean, Reduction::sum}) {
    check_gradcheck(
        [&](const V& in) {
          EnableGradGuard enable;  // gradcheck perturbs under NoGradGuard
          const Tensor l = F::cross_entropy(in[0], t, {.reduction = red, .weight = w});
          const Tensor g = grad({l}, {in[0]}, {.create_graph = true})[0];
          return sum(g * r);
        },
        {xg::test::rand_f64({4, 3}, -2, 2)});
  }
  check_gradcheck(
      [&](const V& in) {
        EnableGradGuard enable;
        const Tensor l = F::cross_entropy(in[0], t, {.reduction = Reduction::none, .weight = w});
        const Tensor g = grad({l}, {in[0]}, {.grad_outputs = {in[1]}, .create_graph = true})[0];
        return sum(g * r);
      },
      {xg::test::rand_f64({4, 3}, -2, 2), xg::test::rand_f64({4}, -1, 1)});
}

TEST_CASE("losses: cross_entropy rejects bad inputs") {
  const Tensor x = logits();
  // PyTorch: IndexError "Target 5 is out of bounds."
  check_throws<ValueError>(
      [&] {
        F::cross_entropy(x, tensor_i64({0, 5, 1}));
      },
      {"cross_entropy", "target 5", "4 classes"});
  check_throws<ValueError>(
      [&] {
        F::cross_entropy(x, tensor_i64({0, -1, 1}));
      },
      {"cross_entropy", "target -1", "4 classes", "ignore_index -100"});
  check_throws<ValueError>(
      [&] {
        F::cross_entropy(x, tensor_i64({0, -100, 1}), {.ignore_index = 2});
      },
      {"target -100", "4 classes"});
  check_throws<DtypeError>(
      [&] {
        F::cross_entropy(x, tensor({0, 1, 2}, {3}, {.dtype = f64}));
      },
      {"cross_entropy", "i64", "f64"});
  check_throws<DtypeError>(
      [&] {
        F::cross_entropy(x, tensor_i64(std::vector<std::int64_t>(12, 0), {3, 4}));
      },
      {"cross_entropy", "probabilities", "i64"});
  check_throws<DtypeError>([&] { F::cross_entropy(x, probs().to(f32)); },
                           {"cross_entropy", "f64", "f32"});
  check_throws<DtypeError>(
      [&] {
        F::cross_entropy(tensor_i64({1, 2}), tensor_i64({0}, {}));
      },
      {"cross_entropy", "float", "i64"});
  check_throws<ShapeError>(
      [&] {
        F::cross_entropy(x, tensor_i64({0, 1}));
      },
      {"cross_entropy", "(2)", "(3, 4)", "(3)"});
  check_throws<ShapeError>(
      [&] {
        F::cross_entropy(x, tensor_i64({0, 1, 2, 3, 0, 1}, {3, 2}));
      },
      {"cross_entropy", "(3, 2)", "(3, 4)"});
  check_throws<ShapeError>([&] { F::cross_entropy(scalar_tensor(1.0), tensor_i64({0}, {})); },
                           {"cross_entropy", "0-D"});
  check_throws<ShapeError>(
      [&] {
        F::cross_entropy(x, tensor_i64({0, 1, 2}),
                         {.weight = tensor({1.0, 2.0, 3.0}, {3}, {.dtype = f64})});
      },
      {"cross_entropy", "weight", "(4)", "(3)"});
  check_throws<DtypeError>(
      [&] {
        F::cross_entropy(x, tensor_i64({0, 1, 2}), {.weight = tensor({1, 1, 1, 1})});
      },
      {"cross_entropy", "weight", "f32"});
  check_throws<ValueError>(
      [&] {
        F::cross_entropy(x, tensor_i64({0, 1, 2}), {.label_smoothing = 1.5});
      },
      {"cross_entropy", "label_smoothing", "1.5"});
  check_throws<ValueError>(
      [&] {
        F::cross_entropy(x, tensor_i64({0, 1, 2}), {.reduction = Reduction::batchmean});
      },
      {"cross_entropy", "batchmean"});
  check_throws<ValueError>([&] { F::cross_entropy(x, probs(), {.ignore_index = 0}); },
                           {"cross_entropy", "ignore_index 0", "probabilit"});
  check_throws<GraphError>([&] { F::cross_entropy(x, Tensor()); }, {"cross_entropy"});
}

TEST_CASE("losses: empty batches follow PyTorch") {
  // F.cross_entropy(torch.zeros(0, 3), torch.zeros(0, dtype=torch.long)) -> nan, sum -> 0;
  // with (0, 3) probabilities -> nan; F.mse_loss(torch.zeros(0), torch.zeros(0)) -> nan
  const Tensor x = zeros({0, 3}, {.dtype = f64});
  const Tensor t = tensor_i64({}, {0});
  CHECK(std::isnan(F::cross_entropy(x, t).item()));
  check_values(F::cross_entropy(x, t, {.reduction = Reduction::sum}), {0.0}, 0.0);
  CHECK(F::cross_entropy(x, t, {.reduction = Reduction::none}).shape() == Shape{0});
  CHECK(std::isnan(F::cross_entropy(x, zeros({0, 3}, {.dtype = f64})).item()));
  CHECK(std::isnan(F::mse_loss(zeros({0}), zeros({0})).item()));
}
