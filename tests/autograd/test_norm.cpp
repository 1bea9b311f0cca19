// Tests of autograd/ops/norm.hpp (batch_norm): values, gradients and running-statistics
// updates against PyTorch in training and evaluation, gradchecks of first and second
// order, bad inputs, and the same bits for 1 and 2 threads.
//
// Expected numbers come from PyTorch 1.13 (python3-torch) in float64:
//   import torch, torch.nn.functional as F; torch.set_default_dtype(torch.float64)
//   X = (((torch.arange(24.) * 7) % 11) - 5).reshape(2, 3, 2, 2) / 3
//   rm = torch.tensor([0.5, -1.0, 2.0]); rv = torch.tensor([1.5, 0.5, 2.0])
//   w = torch.tensor([1.5, -0.5, 2.0]); b = torch.tensor([0.1, 0.2, -0.3])
//   C = torch.cos(torch.arange(24.)).reshape(2, 3, 2, 2)
//   y = F.batch_norm(Xg, rm, rv, wg, bg, training, 0.1, 1e-5); (y * C).sum().backward()
// with Xg, wg, bg copies of X, w, b that require grad; the training call first (which
// updates rm and rv), then the evaluation call with the updated statistics.
#include <cmath>
#include <vector>

#include "support/check.hpp"

using namespace xg;
using xg::test::check_gradcheck;
using xg::test::check_throws;
using xg::test::check_values;
using xg::test::rand_f64;

namespace {

Tensor bn_x(Dtype dt, bool rg) {
  std::vector<double> v;
  for (int i = 0; i < 24; ++i) v.push_back(static_cast<double>((i * 7) % 11 - 5) / 3.0);
  return tensor(v, {2, 3, 2, 2}, {.dtype = dt, .requires_grad = rg});
}
Tensor vec3(double a, double b, double c, Dtype dt, bool rg = false) {
  return tensor({a, b, c}, {3}, {.dtype = dt, .requires_grad = rg});
}
Tensor cosines(Dtype dt) {
  std::vector<double> v;
  for (int i = 0; i < 24; ++i) v.push_back(std::cos(static_cast<double>(i)));
  return tensor(v, {2, 3, 2, 2}, {.dtype = dt});
}

}  // namespace

TEST_CASE("batch_norm: training then evaluation against PyTorch, running statistics updated") {
  for (Dtype dt : {f32, f64}) {
    INFO("dtype " << dt);
    const double tol = dt == f64 ? 1e-12 : 2e-6;
    Tensor rm = vec3(0.5, -1.0, 2.0, dt), rv = vec3(1.5, 0.5, 2.0, dt);
    Tensor x = bn_x(dt, true), w = vec3(1.5, -0.5, 2.0, dt, true),
           b = vec3(0.1, 0.2, -0.3, dt, true);
    const std::uint64_t v0 = rm.version();
    Tensor y = batch_norm(x, rm, rv, w, b, /*training=*/true, 0.1, 1e-5);
    check_values(y,
                 {-2.5079441339584467,
                  0.6669443769474882,
                  -1.1472776292844744,
                  2.0276108816214604,
                  0.005449081774117709,
                  0.6971856799105881,
                  -0.5133533668282351,
                  0.1783832313082353,
                  -2.174076915026584,
                  2.198769220035446,
                  -0.3,
                  -2.798769220035446,
                  0.6669443769474882,
                  -1.1472776292844744,
                  2.0276108816214604,
                  0.21338887538949758,
                  0.6971856799105881,
                  -0.5133533668282351,
                  0.1783832313082353,
                  0.8701198294447057,
                  2.198769220035446,
                  -0.3,
                  -2.798769220035446,
                  1.5740769150265843},
                 tol);
    check_values(rm, {0.47500000000000003, -0.9041666666666667, 1.7666666666666666}, tol);
    check_values(rv, {1.488888888888889, 0.5561507936507937, 1.9301587301587302}, tol);
    CHECK(rm.version() > v0);
    sum(y * cosines(dt)).backward();
    check_values(
        x.grad(),
        {0.3244709737620948, 0.6990177952008024,    -1.1738431312334123,  -0.954613623600678,
         0.4565277425765345, -0.041341734018613845, -0.3720281673425616,  -0.276608736296851,
         0.6175522978912998, -0.9465539025194462,   -0.7376495722507084,  0.9169898314665894,
         1.1120503616917476, 0.627126370575803,     0.5784897591598046,   -1.2126985055561628,
         0.6026589856946314, 0.2688659419936367,    -0.22805632582678498, -0.4100177067799911,
         1.5257514593416825, -0.19165175182336155,  -0.9653077676427915,  -0.21913059446326386},
        tol * 10);
    check_values(w.grad(), {-2.777917513992904, 0.12921424767684367, 0.2523596846598267}, tol * 10);
    check_values(b.grad(), {1.2625130182522528, 1.7602896136490527, -3.5637171719206036}, tol * 10);

    x.zero_grad();
    w.zero_grad();
    b.zero_grad();
    Tensor e = batch_norm(x, rm, rv, w, b, /*training=*/false);
    check_values(
        e, {-2.532755528609065,  0.33561625353310687, -1.3034533362624197, 1.564918445879752,
            -0.629688416536555,  0.2642519649169723,  -1.3001437026267004, -0.4062033211731732,
            -4.762662584872583,  -1.4036692414201009, -3.3230940091072334, -5.242518776794366,
            0.33561625353310687, -1.3034533362624197, 1.564918445879752,   -0.07415114391577476,
            0.2642519649169723,  -1.3001437026267004, -0.4062033211731732, 0.4877370602803541,
            -1.4036692414201009, -3.3230940091072334, -5.242518776794366,  -1.883525433341884},
        tol);
    check_values(rm, {0.47500000000000003, -0.9041666666666667, 1.7666666666666666}, tol);
    sum(e * cosines(dt)).backward();
    check_values(
        x.grad(),
        {1.229302192346645,    0.6641948091336517,   -0.5115702185055231, -1.216999946477656,
         0.4382388208271115,   -0.19018281170770326, -0.6437512442314282, -0.5054577516197459,
         -0.20945727644367598, -1.3116344934380342,  -1.2079010060778426, 0.006371095749425841,
         1.0373515214902478,   1.1155263178746329,   0.16809136211827141, -0.9338860167765959,
         0.642067860857155,    0.18448471453490284,  -0.4427128275358879, -0.6628822376449913,
         0.587462112520092,    -0.7884938310460584,  -1.4395121826740696, -0.7670496722020985},
        tol * 10);
    check_values(w.grad(), {-2.7425274928916443, 2.202822483259648, 5.58057562241813}, tol * 10);
    check_values(b.grad(), {1.2625130182522528, 1.7602896136490527, -3.5637171719206036}, tol * 10);
  }
}

TEST_CASE("batch_norm: (N, C) input, no affine, momentum and eps, no running statistics") {
  // X2 = torch.tensor([[1.0, -2.0, 0.5], [3.0, 0.0, 0.25], [-1.0, 4.0, 2.0], [0.0, 1.0, -0.75]])
  // rm2 = torch.zeros(3); rv2 = torch.ones(3)
  // F.batch_norm(X2, rm2, rv2, None, None, True, 0.3, 1e-3), then rm2, rv2
  Tensor x = tensor({1.0, -2.0, 0.5, 3.0, 0.0, 0.25, -1.0, 4.0, 2.0, 0.0, 1.0, -0.75}, {4, 3},
                    {.dtype = f64});
  Tensor rm = zeros({3}, {.dtype = f64}), rv = ones({3}, {.dtype = f64});
  check_values(batch_norm(x, rm, rv, Tensor(), Tensor(), true, 0.3, 1e-3),
               {0.16899222856408513, -1.2700351290277316, 0.0, 1.5209300570767659,
                -0.3463732170075632, -0.25386925850224057, -1.1829455999485958, 1.5009506070327738,
                1.5232155510134433, -0.5069766856922553, 0.1154577390025211, -1.269346292511203},
               1e-12);
  check_values(rm, {0.22499999999999998, 0.22499999999999998, 0.15}, 1e-12);
  check_values(rv, {1.5749999999999997, 2.575, 1.0875}, 1e-12);
  // F.batch_norm(X2, None, None, training=True)
  check_values(batch_norm(x, Tensor(), Tensor(), Tensor(), Tensor(), true),
               {0.16903046459079718, -1.270169237370713, 0.0, 1.5212741813171748,
                -0.3464097920101944, -0.25399894304147747, -1.1832132521355805, 1.5011090987108426,
                1.5239936582488647, -0.5070913937723917, 0.11546993067006484, -1.2699947152073874},
               1e-12);
}

TEST_CASE("batch_norm: gradcheck and gradgradcheck, training and evaluation") {
  const Tensor rm = uniform({3}, -0.5, 0.5, {.dtype = f64});
  const Tensor rv = uniform({3}, 0.5, 1.5, {.dtype = f64});
  for (bool training : {true, false}) {
    INFO("training " << training);
    const auto fn = [&](const std::vector<Tensor>& in) {
      // running statistics left out in training: gradcheck calls fn many times
      return training ? batch_norm(in[0], Tensor(), Tensor(), in[1], in[2], true)
                      : batch_norm(in[0], rm, rv, in[1], in[2], false);
    };
    const std::vector<Tensor> inputs = {rand_f64({4, 3, 2}), rand_f64({3}), rand_f64({3})};
    check_gradcheck(fn, inputs);
    const GradcheckResult r = gradgradcheck(fn, inputs);
    INFO(r.message);
    CHECK(r.ok);
    // without weight and bias, 4-D
    const auto plain = [&](const std::vector<Tensor>& in) {
      return training ? batch_norm(in[0], Tensor(), Tensor(), Tensor(), Tensor(), true)
                      : batch_norm(in[0], rm, rv);
    };
    check_gradcheck(plain, {rand_f64({2, 3, 2, 2})});
    const GradcheckResult r2 = gradgradcheck(plain, {rand_f64({2, 3, 2, 2})});
    INFO(r2.message);
    CHECK(r2.ok);
  }
}

TEST_CASE("batch_norm: the backward recorded for create_graph gives the fused backward's values") {
  const Tensor rm = uniform({3}, -0.5, 0.5, {.dtype = f64});
  const Tensor rv = uniform({3}, 0.5, 1.5, {.dtype = f64});
  for (bool training : {true, false}) {
    INFO("training " << training);
    Tensor x = rand_f64({4, 3, 2}), w = rand_f64({3}), b = rand_f64({3});
    const Tensor c = uniform({4, 3, 2}, -1.0, 1.0, {.dtype = f64});
    const auto loss = [&] { return sum(batch_norm(x, rm, rv, w, b, training) * c); };
    const tensor_list fused = grad({loss()}, {x, w, b});
    const tensor_list composed = grad({loss()}, {x, w, b}, {.create_graph = true});
    for (std::size_t i = 0; i < 3; ++i) {
      INFO("input " << i);
      check_values(composed[i], fused[i].to_vector<double>(), 1e-12);
    }
  }
}

TEST_CASE("batch_norm: bad input") {
  Tensor x = zeros({4, 3, 5});
  Tensor c3 = ones({3}), c4 = ones({4});
  check_throws<ShapeError>([&] { batch_norm(zeros({3}), c3, c3); }, {"batch_norm", "(3)"});
  check_throws<ShapeError>([&] { batch_norm(x, c4, c3); },
                           {"batch_norm", "running_mean", "(3)", "(4, 3, 5)", "(4)"});
  check_throws<ShapeError>([&] { batch_norm(x, c3, c4); }, {"batch_norm", "running_var"});
  check_throws<ShapeError>([&] { batch_norm(x, c3, c3, c4); }, {"batch_norm", "weight", "(4)"});
  check_throws<ShapeError>(
      [&] {
        batch_norm(x, c3, c3, c3, ones({1, 3}));
      },
      {"batch_norm", "bias", "(1, 3)"});
  check_throws<ShapeError>(
      [&] {
        batch_norm(zeros({2, 4}), c3, c3, Tensor(), Tensor(), true);
      },
      {"batch_norm", "(2, 4)"});
  check_throws<DtypeError>([&] { batch_norm(x, ones({3}, {.dtype = f64}), c3); },
                           {"batch_norm", "running_mean", "f64", "f32"});
  check_throws<ValueError>(
      [&] {
        batch_norm(zeros({1, 3}), c3, c3, Tensor(), Tensor(), true);
      },
      {"batch_norm", "Expected more than 1 value per channel when training", "(1, 3)"});
  check_throws<ValueError>(
      [&] {
        batch_norm(zeros({1, 3, 1, 1}), c3, c3, c3, c3, true);
      },
      {"Expected more than 1 value per channel", "(1, 3, 1, 1)"});
  check_throws<ValueError>([&] { batch_norm(x, Tensor(), c3); }, {"batch_norm", "evaluation mode"});
  check_throws<DtypeError>(
      [&] {
        batch_norm(zeros({2, 3}, {.dtype = i64}), c3, c3);
      },
      {"batch_norm", "i64"});
  // an empty batch: empty output, running statistics unchanged (as PyTorch)
  Tensor rm = zeros({3}), rv = ones({3});
  CHECK(batch_norm(zeros({0, 3}), rm, rv, Tensor(), Tensor(), true).shape() == Shape{0, 3});
  check_values(rm, {0, 0, 0}, 0);
  check_values(rv, {1, 1, 1}, 0);
  // the (1, 3) input is fine in evaluation
  CHECK(batch_norm(zeros({1, 3}), c3, c3).shape() == Shape{1, 3});
}

TEST_CASE("batch_norm: 1 and 2 threads give the same bits") {
  manual_seed(5);
  Tensor x = uniform({16, 32, 32, 32}, -1.0, 1.0, {.requires_grad = true});
  Tensor w = uniform({32}, 0.5, 1.5, {.requires_grad = true});
  xg::test::check_same_bits_for_threads([&] {
    x.zero_grad();
    w.zero_grad();
    Tensor rm = zeros({32}), rv = ones({32});
    Tensor y = batch_norm(x, rm, rv, w, Tensor(), true);
    sum(y * y * x).backward();
    return std::vector<Tensor>{y, x.grad(), w.grad(), rm, rv};
  });
}
