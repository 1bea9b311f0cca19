// binary_cross_entropy, binary_cross_entropy_with_logits and hinge_embedding_loss:
// values against PyTorch, gradchecks, extremes, bad input.
//
// Expected values were produced with PyTorch 1.13 (python3-torch) in float64:
//   import torch, torch.nn.functional as F; torch.set_default_dtype(torch.float64)
//   X = torch.tensor([[0.1, 0.7, 0.5], [0.95, 0.3, 0.01]])
//   Y = torch.tensor([[0.0, 1.0, 0.5], [1.0, 0.2, 0.0]]); W = torch.tensor([1.0, 2.0, 0.5])
//   Z = torch.tensor([[0.3, -1.2, 2.5], [-0.7, 0.0, 4.0]]); PW = torch.tensor([3.0, 0.5, 1.5])
//   H = torch.tensor([0.3, 2.0, -1.0, 0.5, 1.0, -0.2])
//   HT = torch.tensor([1.0, -1.0, -1.0, 1.0, -1.0, -1.0])
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

Tensor f64_tensor(const std::vector<double>& v, const Shape& s, bool requires_grad = false) {
  return tensor(v, s, {.dtype = f64, .requires_grad = requires_grad});
}
Tensor bce_x(bool rg = false) { return f64_tensor({0.1, 0.7, 0.5, 0.95, 0.3, 0.01}, {2, 3}, rg); }
Tensor bce_y(bool rg = false) { return f64_tensor({0.0, 1.0, 0.5, 1.0, 0.2, 0.0}, {2, 3}, rg); }
Tensor bce_w() { return f64_tensor({1.0, 2.0, 0.5}, {3}); }
Tensor logits_z(bool rg = false) {
  return f64_tensor({0.3, -1.2, 2.5, -0.7, 0.0, 4.0}, {2, 3}, rg);
}
Tensor pos_w() { return f64_tensor({3.0, 0.5, 1.5}, {3}); }

}  // namespace

TEST_CASE("losses: binary_cross_entropy matches PyTorch") {
  // F.binary_cross_entropy(X, Y, reduction=r)
  check_values(F::binary_cross_entropy(bce_x(), bce_y()), {0.2904434644022882}, 1e-12);
  check_values(F::binary_cross_entropy(bce_x(), bce_y(), {.reduction = Reduction::sum}),
               {1.7426607864137291}, 1e-12);
  check_values(F::binary_cross_entropy(bce_x(), bce_y(), {.reduction = Reduction::none}),
               {0.10536051565782628, 0.35667494393873245, 0.6931471805599453, 0.05129329438755058,
                0.5261345160161732, 0.01005033585350145},
               1e-12);
  // F.binary_cross_entropy(X, Y, weight=W, reduction="none"), and the mean
  check_values(
      F::binary_cross_entropy(bce_x(), bce_y(), {.reduction = Reduction::none, .weight = bce_w()}),
      {0.10536051565782628, 0.7133498878774649, 0.34657359027997264, 0.05129329438755058,
       1.0522690320323465, 0.005025167926750725},
      1e-12);
  check_values(F::binary_cross_entropy(bce_x(), bce_y(), {.weight = bce_w()}), {0.3789785813603186},
               1e-12);
  // x, y = X, Y with requires_grad; F.binary_cross_entropy(x, y, weight=W).backward()
  Tensor x = bce_x(true), y = bce_y(true);
  F::binary_cross_entropy(x, y, {.weight = bce_w()}).backward();
  check_values(x.grad(),
               {0.18518518518518515, -0.4761904761904762, 0.0, -0.17543859649122806,
                0.1587301587301587, 0.08417508417508417},
               1e-12);
  check_values(y.grad(),
               {0.36620409622270317, -0.28243262012906784, 0.0, -0.49073982986107323,
                0.2824326201290679, 0.38292665417788246},
               1e-12);
}

TEST_CASE("losses: binary_cross_entropy at probabilities 0 and 1 is exact") {
  // x = [0, 1, 0, 1], y = [0, 1, 1, 0]: PyTorch gives [0, -0, 100, 100] (logs clamped at
  // -100) and x.grad [0, 0, -1.000000003995803e12, 1.000000003995803e12].
  for (const Dtype dt : {f32, f64}) {
    CAPTURE(dt);
    Tensor x = tensor({0.0, 1.0, 0.0, 1.0}, {4}, {.dtype = dt, .requires_grad = true});
    Tensor y = tensor({0.0, 1.0, 1.0, 0.0}, {4}, {.dtype = dt, .requires_grad = true});
    const Tensor l = F::binary_cross_entropy(x, y, {.reduction = Reduction::none});
    check_values(l, {0.0, 0.0, 100.0, 100.0}, 0.0);
    sum(l).backward();
    check_values(x.grad(), {0.0, 0.0, -1000000003995.8029, 1000000003995.8029}, 1e-7);
    // The derivative of the clamped loss in y (PyTorch: +-inf, see functional.hpp).
    check_values(y.grad(), {100.0, -100.0, 100.0, -100.0}, 0.0);
  }
}

TEST_CASE("losses: binary_cross_entropy gradcheck") {
  using V = std::vector<Tensor>;
  for (const Reduction r : {Reduction::none, Reduction::mean, Reduction::sum}) {
    CAPTURE(nn::reduction_name(r));
    check_gradcheck(
        [&](const V& in) {
          return F::binary_cross_entropy(in[0], in[1], {.reduction = r, .weight = in[2]});
        },
        {xg::test::rand_f64({2, 3}, 0.05, 0.95), xg::test::rand_f64({2, 3}, 0, 1),
         xg::test::rand_f64({3}, 0.5, 2)});
  }
}

TEST_CASE("losses: binary_cross_entropy rejects bad inputs") {
  // PyTorch: RuntimeError "all elements of input should be between 0 and 1"
  check_throws<ValueError>(
      [] {
        F::binary_cross_entropy(f64_tensor({0.5, 1.5}, {2}), f64_tensor({1, 0}, {2}));
      },
      {"binary_cross_entropy", "between 0 and 1", "1.5"});
  check_throws<ValueError>(
      [] {
        F::binary_cross_entropy(f64_tensor({-0.1, 0.5}, {2}), f64_tensor({1, 0}, {2}));
      },
      {"binary_cross_entropy", "between 0 and 1", "-0.1"});
  check_throws<ValueError>(
      [] {
        F::binary_cross_entropy(f64_tensor({NAN, 0.5}, {2}), f64_tensor({1, 0}, {2}));
      },
      {"binary_cross_entropy", "between 0 and 1", "nan"});
  check_throws<ShapeError>(
      [] {
        F::binary_cross_entropy(f64_tensor({0.5, 0.5}, {2, 1}), f64_tensor({1, 0}, {2}));
      },
      {"binary_cross_entropy", "(2)", "(2, 1)"});
  check_throws<DtypeError>(
      [] {
        F::binary_cross_entropy(f64_tensor({0.5, 0.5}, {2}), tensor_i64({1, 0}));
      },
      {"binary_cross_entropy", "target", "f64", "i64"});
  check_throws<DtypeError>(
      [] {
        F::binary_cross_entropy(f64_tensor({0.5, 0.5}, {2}), tensor({1.0, 0.0}));
      },
      {"binary_cross_entropy", "target", "f64", "f32"});
  check_throws<ShapeError>(
      [] {
        F::binary_cross_entropy(bce_x(), bce_y(), {.weight = f64_tensor({1, 2}, {2})});
      },
      {"binary_cross_entropy", "weight", "(2)", "(2, 3)"});
}

TEST_CASE("losses: binary_cross_entropy_with_logits matches PyTorch") {
  // F.binary_cross_entropy_with_logits(Z, Y, reduction=r)
  check_values(F::binary_cross_entropy_with_logits(logits_z(), bce_y()), {1.5768351005770533},
               1e-12);
  check_values(
      F::binary_cross_entropy_with_logits(logits_z(), bce_y(), {.reduction = Reduction::sum}),
      {9.46101060346232}, 1e-12);
  check_values(
      F::binary_cross_entropy_with_logits(logits_z(), bce_y(), {.reduction = Reduction::none}),
      {0.854355244468527, 1.4632824673380314, 1.3288897342925496, 1.103186048885458,
       0.6931471805599453, 4.0181499279178094},
      1e-12);
  // ... pos_weight=PW, reduction="none"; weight=W, pos_weight=PW (mean)
  check_values(F::binary_cross_entropy_with_logits(
                   logits_z(), bce_y(), {.reduction = Reduction::none, .pos_weight = pos_w()}),
               {0.854355244468527, 0.7316412336690157, 1.348612167865687, 3.3095581466563737,
                0.6238324625039507, 4.0181499279178094},
               1e-12);
  check_values(F::binary_cross_entropy_with_logits(logits_z(), bce_y(),
                                                   {.weight = bce_w(), .pos_weight = pos_w()}),
               {1.5930403052270972}, 1e-12);
  // z, y with requires_grad: F.binary_cross_entropy_with_logits(z, y, weight=W,
  // pos_weight=PW).backward()
  Tensor z = logits_z(true), y = bce_y(true);
  F::binary_cross_entropy_with_logits(z, y, {.weight = bce_w(), .pos_weight = pos_w()}).backward();
  check_values(z.grad(),
               {0.09574041946860984, -0.12808746391650294, 0.03376477291445381, -0.334093886084083,
                0.1166666666666667, 0.08183448250315904},
               1e-12);
  check_values(y.grad(),
               {0.13478508148950905, 0.15611958877699478, -0.20504626107114376, 0.484395349628486,
                -0.11552453009332421, -0.3325770863367579},
               1e-12);
}

TEST_CASE("losses: binary_cross_entropy_with_logits of +-1000 is finite and exact") {
  // z = [1000, -1000, 1000, -1000], y = [1, 0, 0, 1]: [0, 0, 1000, 1000], grad [0, 0, 1, -1];
  // with pos_weight=[2] in float32: [0, 0, 1000, 2000]
  for (const Dtype dt : {f32, f64}) {
    CAPTURE(dt);
    Tensor z = tensor({1000, -1000, 1000, -1000}, {4}, {.dtype = dt, .requires_grad = true});
    const Tensor y = tensor({1, 0, 0, 1}, {4}, {.dtype = dt});
    const Tensor l = F::binary_cross_entropy_with_logits(z, y, {.reduction = Reduction::none});
    check_values(l, {0.0, 0.0, 1000.0, 1000.0}, 0.0);
    sum(l).backward();
    check_values(z.grad(), {0.0, 0.0, 1.0, -1.0}, 0.0);
    check_values(
        F::binary_cross_entropy_with_logits(
            z, y, {.reduction = Reduction::none, .pos_weight = full({1}, 2.0, {.dtype = dt})}),
        {0.0, 0.0, 1000.0, 2000.0}, 0.0);
  }
}

TEST_CASE("losses: binary_cross_entropy_with_logits gradcheck") {
  using V = std::vector<Tensor>;
  for (const Reduction r : {Reduction::none, Reduction::mean, Reduction::sum}) {
    CAPTURE(nn::reduction_name(r));
    // input, target, weight and pos_weight (broadcast along the last axis)
    check_gradcheck(
        [&](const V& in) {
          return F::binary_cross_entropy_with_logits(
              in[0], in[1], {.reduction = r, .weight = in[2], .pos_weight = in[3]});
        },
        {xg::test::rand_f64({2, 3}, -4, 4), xg::test::rand_f64({2, 3}, 0, 1),
         xg::test::rand_f64({3}, 0.5, 2), xg::test::rand_f64({3}, 0.5, 3)});
    check_gradcheck(
        [&](const V& in) {
          return F::binary_cross_entropy_with_logits(in[0], in[1], {.reduction = r});
        },
        {xg::test::rand_f64({4}, -4, 4), xg::test::rand_f64({4}, 0, 1)});
  }
  // second order through sigmoid in the backward
  const Tensor y = uniform({5}, 0, 1, {.dtype = f64});
  check_gradcheck(
      [&](const V& in) {
        EnableGradGuard enable;  // gradcheck perturbs under NoGradGuard
        const Tensor l = F::binary_cross_entropy_with_logits(in[0], y, {.pos_weight = in[1]});
        return sum(square(grad({l}, {in[0]}, {.create_graph = true})[0]));
      },
      {xg::test::rand_f64({5}, -3, 3), xg::test::rand_f64({5}, 0.5, 2)});
}

TEST_CASE("losses: binary_cross_entropy_with_logits rejects bad inputs") {
  check_throws<ShapeError>(
      [] {
        F::binary_cross_entropy_with_logits(logits_z(), f64_tensor({1, 0, 1}, {3}));
      },
      {"binary_cross_entropy_with_logits", "(3)", "(2, 3)"});
  check_throws<ShapeError>(
      [] {
        F::binary_cross_entropy_with_logits(logits_z(), bce_y(),
                                            {.pos_weight = f64_tensor({1, 2}, {2})});
      },
      {"binary_cross_entropy_with_logits", "pos_weight", "(2)", "(2, 3)"});
  check_throws<DtypeError>(
      [] {
        F::binary_cross_entropy_with_logits(logits_z(), bce_y(), {.pos_weight = tensor({1.0})});
      },
      {"binary_cross_entropy_with_logits", "pos_weight", "f32"});
  check_throws<DtypeError>(
      [] {
        F::binary_cross_entropy_with_logits(tensor_i64({1, 0}), tensor_i64({1, 0}));
      },
      {"binary_cross_entropy_with_logits", "float", "i64"});
  check_throws<ValueError>(
      [] {
        F::binary_cross_entropy_with_logits(logits_z(), bce_y(),
                                            {.reduction = Reduction::batchmean});
      },
      {"binary_cross_entropy_with_logits", "batchmean"});
}

TEST_CASE("losses: hinge_embedding_loss matches PyTorch") {
  const Tensor h = f64_tensor({0.3, 2.0, -1.0, 0.5, 1.0, -0.2}, {6});
  const Tensor ht = f64_tensor({1.0, -1.0, -1.0, 1.0, -1.0, -1.0}, {6});
  // F.hinge_embedding_loss(H, HT, reduction=r), and margin=2.0
  check_values(F::hinge_embedding_loss(h, ht), {0.6666666666666666}, 1e-12);
  check_values(F::hinge_embedding_loss(h, ht, {.reduction = Reduction::sum}), {4.0}, 1e-12);
  check_values(F::hinge_embedding_loss(h, ht, {.reduction = Reduction::none}),
               {0.3, 0.0, 2.0, 0.5, 0.0, 1.2}, 1e-12);
  check_values(F::hinge_embedding_loss(h, ht, {.reduction = Reduction::none, .margin = 2.0}),
               {0.3, 0.0, 3.0, 0.5, 1.0, 2.2}, 1e-12);
  // i64 targets give the same; PyTorch's formula for targets other than +-1:
  // F.hinge_embedding_loss(torch.tensor([0.3, 0.3]), torch.tensor([0.5, 0.0])) -> [1, 1]
  check_values(F::hinge_embedding_loss(h, tensor_i64({1, -1, -1, 1, -1, -1}),
                                       {.reduction = Reduction::none}),
               {0.3, 0.0, 2.0, 0.5, 0.0, 1.2}, 1e-12);
  check_values(F::hinge_embedding_loss(f64_tensor({0.3, 0.3}, {2}), f64_tensor({0.5, 0.0}, {2}),
                                       {.reduction = Reduction::none}),
               {1.0, 1.0}, 1e-12);
  // h = [1, 0.5, 2], y = [-1, -1, 1], sum: grad [-1, -1, 1] (the hinge passes at z = 0)
  Tensor x = f64_tensor({1.0, 0.5, 2.0}, {3}, true);
  F::hinge_embedding_loss(x, f64_tensor({-1, -1, 1}, {3}), {.reduction = Reduction::sum})
      .backward();
  check_values(x.grad(), {-1.0, -1.0, 1.0}, 0.0);
}

TEST_CASE("losses: hinge_embedding_loss gradcheck and bad inputs") {
  using V = std::vector<Tensor>;
  const Tensor y = tensor_i64({1, -1, -1, 1, -1});
  for (const Reduction r : {Reduction::none, Reduction::mean, Reduction::sum}) {
    check_gradcheck(
        [&](const V& in) {
          return F::hinge_embedding_loss(in[0], y, {.reduction = r, .margin = 1.5});
        },
        {f64_tensor({0.3, -0.8, 0.2, 2.0, 1.1}, {5}, true)});
  }
  check_throws<ShapeError>(
      [] {
        F::hinge_embedding_loss(f64_tensor({1, 2}, {2}), f64_tensor({1, -1, 1}, {3}));
      },
      {"hinge_embedding_loss", "(3)", "(2)"});
  check_throws<DtypeError>(
      [] {
        F::hinge_embedding_loss(tensor_i64({1, 2}), tensor_i64({1, -1}));
      },
      {"hinge_embedding_loss", "float"});
}
