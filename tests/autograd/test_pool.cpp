// Tests of autograd/ops/pool.hpp: values against PyTorch (stride, padding, dilation,
// ceil_mode, count_include_pad, divisor_override, ties, NaN, unbatched and odd sizes),
// gradients, float64 gradchecks of first and second order, bad inputs, and the same
// bits for 1 and 2 threads.
//
// Expected numbers come from PyTorch 1.13 (python3-torch) in float64:
//   import torch, torch.nn.functional as F; torch.set_default_dtype(torch.float64)
//   X = ((torch.arange(50.) * 7) % 11 - 5).reshape(1, 2, 5, 5)
//   Y = ((torch.arange(70.) * 5) % 13 - 6).reshape(2, 5, 7) / 4
//   Z = ((torch.arange(42.) * 3) % 10 - 4.5).reshape(2, 3, 7)
// and the call written next to each expectation.
#include <cmath>
#include <limits>
#include <vector>

#include "support/check.hpp"

using namespace xg;
using xg::test::check_gradcheck;
using xg::test::check_throws;
using xg::test::check_values;
using xg::test::rand_f64;

namespace {

std::vector<double> seq(std::int64_t n, std::int64_t mul, std::int64_t mod, double sub,
                        double div = 1.0) {
  std::vector<double> v;
  for (std::int64_t i = 0; i < n; ++i)
    v.push_back((static_cast<double>((i * mul) % mod) - sub) / div);
  return v;
}
Tensor X(Dtype dt = f64) { return tensor(seq(50, 7, 11, 5), {1, 2, 5, 5}, {.dtype = dt}); }
Tensor Y() { return tensor(seq(70, 5, 13, 6, 4), {2, 5, 7}, {.dtype = f64}); }
Tensor Z() { return tensor(seq(42, 3, 10, 4.5), {2, 3, 7}, {.dtype = f64}); }

// A random f64 input without ties (distinct values, so max pooling is differentiable).
Tensor distinct(const Shape& shape) {
  Tensor t = rand_f64(shape);
  std::vector<double> v = t.to_vector<double>();
  for (std::size_t i = 0; i < v.size(); ++i)
    v[i] = v[i] * 0.1 + static_cast<double>((i * 37) % v.size());
  return tensor(v, shape, {.dtype = f64, .requires_grad = true});
}

using Fn = std::function<Tensor(const Tensor&)>;

// gradcheck and gradgradcheck of f at x.
void check_grads(const Fn& f, const Tensor& x, bool second = true) {
  const auto fn = [&](const std::vector<Tensor>& in) { return f(in[0]); };
  check_gradcheck(fn, {x});
  if (second) {
    const GradcheckResult r = gradgradcheck(fn, {x});
    INFO(r.message);
    CHECK(r.ok);
  }
}

}  // namespace

TEST_CASE("max_pool2d: values against PyTorch") {
  for (Dtype dt : {f32, f64}) {
    INFO("dtype " << dt);
    // F.max_pool2d(X, 2)
    Tensor y = max_pool2d(X(dt), {.kernel_size = 2});
    CHECK(y.shape() == Shape{1, 2, 2, 2});
    CHECK(y.dtype() == dt);
    check_values(y, {4, 5, 1, 4, 5, 4, 5, 3}, 0);
    // F.max_pool2d(X, 3, 2, 1)
    check_values(max_pool2d(X(dt), {.kernel_size = 3, .stride = 2, .padding = 1}),
                 {4, 5, 5, 4, 4, 5, 3, 4, 2, 5, 4, 4, 5, 5, 4, 2, 5, 1}, 0);
  }
  // F.max_pool2d(X, 2, 1, 0, 2) (dilation)
  check_values(max_pool2d(X(), {.kernel_size = 2, .stride = 1, .dilation = 2}),
               {2, 5, 5, 4, 4, 4, 3, 2, 5, 5, 5, 4, 3, 3, 3, 5, 5, 5}, 0);
  // F.max_pool2d(X, 3, 2, 0, 1, True): ceil_mode adds a last window starting inside
  Tensor c = max_pool2d(X(), {.kernel_size = 3, .stride = 2, .ceil_mode = true});
  CHECK(c.shape() == Shape{1, 2, 2, 2});
  check_values(c, {4, 5, 4, 5, 5, 4, 5, 5}, 0);
  // F.max_pool2d(X, 2, 2, 1, 1, True): (5 + 2 - 2 + 1) / 2 + 1 = 4, but the 4th window
  // would start at 6 >= 5 + 1, in the right padding: 3
  Tensor c2 = max_pool2d(X(), {.kernel_size = 2, .stride = 2, .padding = 1, .ceil_mode = true});
  CHECK(c2.shape() == Shape{1, 2, 3, 3});
  check_values(c2, {-5, 2, 5, -1, 4, 5, 3, 4, 2, 5, 1, 4, -2, 5, 4, 2, 5, 1}, 0);
  // Unbatched (C, H, W): the same numbers
  Tensor u = max_pool2d(reshape(X(), {2, 5, 5}), {.kernel_size = 3, .stride = 2, .padding = 1});
  CHECK(u.shape() == Shape{2, 3, 3});
  check_values(u, {4, 5, 5, 4, 4, 5, 3, 4, 2, 5, 4, 4, 5, 5, 4, 2, 5, 1}, 0);
}

TEST_CASE("max_pool2d_with_indices: the first maximum on ties, the last NaN") {
  // v, i = F.max_pool2d(X, (2, 3), (1, 2), return_indices=True)
  auto [v, i] = max_pool2d_with_indices(X(), {.kernel_size = {2, 3}, .stride = {1, 2}});
  CHECK(v.shape() == Shape{1, 2, 4, 2});
  CHECK(i.dtype() == i64);
  check_values(v, {4, 5, 4, 5, 4, 5, 4, 4, 5, 4, 5, 4, 5, 4, 5, 5}, 0);
  check_values(i, {6, 3, 6, 14, 17, 14, 17, 17, 0, 3, 11, 14, 11, 14, 22, 22}, 0);
  // N = [[[1, nan, 3], [nan, 0, 2], [5, 6, 7]]]; F.max_pool2d(N, 2, 1, return_indices=True)
  const double nan = std::numeric_limits<double>::quiet_NaN();
  auto [nv, ni] = max_pool2d_with_indices(tensor({1, nan, 3, nan, 0, 2, 5, 6, 7}, {1, 3, 3}),
                                          {.kernel_size = 2, .stride = 1});
  check_values(nv, {nan, nan, nan, 7}, 0);
  check_values(ni, {3, 1, 3, 8}, 0);
}

TEST_CASE("max_pool2d: gradient goes to the arg-max, as PyTorch (ties included)") {
  // Xg = X.requires_grad_(); C = torch.arange(18.).reshape(1, 2, 3, 3) - 8
  // (F.max_pool2d(Xg, 3, 2, 1) * C).sum().backward(); Xg.grad
  Tensor x = X();
  x.requires_grad_();
  Tensor c = arange(18, {.dtype = f64}) - 8.0;
  sum(max_pool2d(x, {.kernel_size = 3, .stride = 2, .padding = 1}) * reshape(c, {1, 2, 3, 3}))
      .backward();
  check_values(x.grad(), {0.0, 0.0,  0.0, -13.0, 0.0,  0.0, -17.0, 0.0,  0.0, 0.0, 0.0, 0.0, 0.0,
                          0.0, -3.0, 0.0, 0.0,   -1.0, 0.0, 0.0,   -2.0, 0.0, 0.0, 0.0, 0.0, 1.0,
                          0.0, 0.0,  5.0, 0.0,   0.0,  0.0, 0.0,   0.0,  0.0, 0.0, 9.0, 0.0, 0.0,
                          6.0, 0.0,  0.0, 0.0,   0.0,  0.0, 7.0,   0.0,  8.0, 9.0, 0.0},
               0);
}

TEST_CASE("max_pool2d and max_pool1d: gradcheck and gradgradcheck without ties") {
  check_grads(
      [](const Tensor& x) { return max_pool2d(x, {.kernel_size = 3, .stride = 2, .padding = 1}); },
      distinct({2, 2, 5, 6}));
  check_grads(
      [](const Tensor& x) {
        return max_pool2d(
            x, {.kernel_size = {2, 3}, .stride = 1, .dilation = {2, 1}, .ceil_mode = true});
      },
      distinct({3, 5, 5}));
  check_grads(
      [](const Tensor& x) {
        return max_pool1d(x, {.kernel_size = 3, .stride = 2, .padding = 1, .ceil_mode = true});
      },
      distinct({2, 2, 8}));
}

TEST_CASE("avg_pool2d: values against PyTorch") {
  for (Dtype dt : {f32, f64}) {
    INFO("dtype " << dt);
    // F.avg_pool2d(X, 3, 2, 1)
    check_values(avg_pool2d(X(dt), {.kernel_size = 3, .stride = 2, .padding = 1}),
                 {-0.2222222222222222, 0.5555555555555556, 0.5555555555555556, -0.7777777777777778,
                  -0.4444444444444444, -0.2222222222222222, 0.0, -0.3333333333333333,
                  -0.4444444444444444, 0.5555555555555556, -0.1111111111111111, 0.1111111111111111,
                  -0.2222222222222222, -0.2222222222222222, -0.8888888888888888,
                  -0.4444444444444444, 0.2222222222222222, -0.8888888888888888},
                 dt == f32 ? 1e-6 : 1e-14);
  }
  // F.avg_pool2d(X, 3, 2, 1, count_include_pad=False)
  check_values(
      avg_pool2d(X(), {.kernel_size = 3, .stride = 2, .padding = 1, .count_include_pad = false}),
      {-0.5, 0.8333333333333334, 1.25, -1.1666666666666667, -0.4444444444444444,
       -0.3333333333333333, 0.0, -0.5, -1.0, 1.25, -0.16666666666666666, 0.25, -0.3333333333333333,
       -0.2222222222222222, -1.3333333333333333, -1.0, 0.3333333333333333, -2.0},
      1e-14);
  // F.avg_pool2d(X, 2, 2, 1, ceil_mode=True)
  Tensor c = avg_pool2d(X(), {.kernel_size = 2, .stride = 2, .padding = 1, .ceil_mode = true});
  CHECK(c.shape() == Shape{1, 2, 3, 3});
  check_values(c,
               {-1.25, 0.0, 1.5, -1.0, 0.25, 0.5, 1.0, -1.25, -1.0, 1.25, -0.5, 1.0, -1.5, 2.0,
                -0.5, 0.5, 0.5, -2.0},
               1e-14);
  // F.avg_pool2d(X, 2, 2, 1, ceil_mode=True, count_include_pad=False)
  check_values(avg_pool2d(X(), {.kernel_size = 2,
                                .stride = 2,
                                .padding = 1,
                                .ceil_mode = true,
                                .count_include_pad = false}),
               {-5.0, 0.0, 3.0, -2.0, 0.25, 0.5, 2.0, -1.25, -1.0, 5.0, -1.0, 2.0, -3.0, 2.0, -0.5,
                1.0, 0.5, -2.0},
               1e-14);
  // F.avg_pool2d(X, 3, 2, 0, ceil_mode=True): the last window runs past the input
  check_values(avg_pool2d(X(), {.kernel_size = 3, .stride = 2, .ceil_mode = true}),
               {-0.8888888888888888, 0.8888888888888888, -0.5555555555555556, 0.0,
                0.5555555555555556, -0.1111111111111111, 0.8888888888888888, 0.2222222222222222},
               1e-14);
  // F.avg_pool2d(X, (2, 3), (2, 1), (1, 1), divisor_override=2)
  Tensor d = avg_pool2d(
      X(), {.kernel_size = {2, 3}, .stride = {2, 1}, .padding = 1, .divisor_override = 2});
  CHECK(d.shape() == Shape{1, 2, 3, 5});
  check_values(
      d, {-1.5, -2.5, 2.5, 2.0, 3.0, -2.5, -1.5, -2.5, 2.0,  1.0,  0.0,  -0.5, -1.5, -2.5, -2.0,
          3.0,  1.5,  1.0, 0.5, 2.0, 1.0,  1.0,  0.0,  -1.0, -1.0, -2.0, 2.0,  1.0,  0.0,  -4.0},
      1e-14);
}

TEST_CASE("adaptive_avg_pool2d: values against PyTorch, unbatched odd sizes") {
  // F.adaptive_avg_pool2d(Y, (3, 4)), Y of shape (2, 5, 7)
  Tensor y = adaptive_avg_pool2d(Y(), {3, 4});
  CHECK(y.shape() == Shape{2, 3, 4});
  check_values(y,
               {-0.5625,
                -0.041666666666666664,
                0.2916666666666667,
                0.0,
                -0.16666666666666666,
                0.08333333333333333,
                0.05555555555555555,
                -0.4166666666666667,
                -0.3125,
                0.20833333333333334,
                0.0,
                -0.5625,
                0.125,
                0.375,
                -0.375,
                -0.125,
                0.25,
                0.1388888888888889,
                -0.25,
                0.0,
                0.375,
                0.08333333333333333,
                -0.125,
                0.125},
               1e-14);
}

TEST_CASE("max_pool1d and avg_pool1d: values against PyTorch") {
  // F.max_pool1d(Z, 3, 2, 1, ceil_mode=True)
  Tensor m = max_pool1d(Z(), {.kernel_size = 3, .stride = 2, .padding = 1, .ceil_mode = true});
  CHECK(m.shape() == Shape{2, 3, 4});
  check_values(m, {-1.5, 4.5, 4.5, 3.5, -0.5, 2.5, 1.5, 4.5, 0.5, 3.5, 2.5, 2.5,
                   1.5,  4.5, 3.5, 3.5, 2.5,  2.5, 4.5, 4.5, 3.5, 3.5, 2.5, -1.5},
               0);
  // F.max_pool1d(Z[0], 2, 1, 0, 2): unbatched, dilation
  check_values(
      max_pool1d(slice(Z(), 0, 0, 1).squeeze(0), {.kernel_size = 2, .stride = 1, .dilation = 2}),
      {1.5, 4.5, 1.5, 4.5, 3.5, 2.5, -0.5, 2.5, 1.5, 4.5, 3.5, 0.5, 3.5, 2.5, -0.5}, 0);
  // F.avg_pool1d(Z, 3, 2, 1, ceil_mode=True, count_include_pad=False)
  check_values(avg_pool1d(Z(), {.kernel_size = 3,
                                .stride = 2,
                                .padding = 1,
                                .ceil_mode = true,
                                .count_include_pad = false}),
               {-3.0,
                1.5,
                0.8333333333333334,
                2.0,
                -2.0,
                -0.8333333333333334,
                -1.5,
                3.0,
                -1.0,
                0.16666666666666666,
                -0.5,
                -1.0,
                0.0,
                1.1666666666666667,
                0.5,
                0.0,
                1.0,
                -1.1666666666666667,
                1.5,
                1.0,
                2.0,
                -0.16666666666666666,
                -0.8333333333333334,
                -3.0},
               1e-14);
  // F.avg_pool1d(Z, 2)
  check_values(avg_pool1d(Z(), {.kernel_size = 2}),
               {-3, 3, -1, -2, -1, 0, -1, 0, 1, 0, 1, 2, 1, -3, 3, 2, -2, -1}, 1e-14);
}

TEST_CASE("upsample_nearest2d and interpolate: values and gradient against PyTorch") {
  // U = torch.arange(6.).reshape(1, 1, 2, 3); F.interpolate(U, size=(5, 4))
  Tensor u = arange(6, {.dtype = f64}).reshape({1, 1, 2, 3});
  const std::vector<double> up = {0, 0, 1, 2, 0, 0, 1, 2, 0, 0, 1, 2, 3, 3, 4, 5, 3, 3, 4, 5};
  check_values(upsample_nearest2d(u, {5, 4}), up, 0);
  check_values(interpolate(u, {.size = {5, 4}}), up, 0);
  // V = torch.arange(9.).reshape(1, 1, 3, 3); F.interpolate(V, scale_factor=1.7)
  Tensor v = interpolate(arange(9, {.dtype = f64}).reshape({1, 1, 3, 3}), {.scale_factor = {1.7}});
  CHECK(v.shape() == Shape{1, 1, 5, 5});
  check_values(v, {0, 0, 1, 1, 2, 0, 0, 1, 1, 2, 3, 3, 4, 4, 5, 3, 3, 4, 4, 5, 6, 6, 7, 7, 8}, 0);
  // x = torch.arange(10.).reshape(1, 1, 10): the scale factor, not in / out, maps back
  // F.interpolate(x, scale_factor=1.25) and F.interpolate(x, size=12)
  Tensor x = arange(10, {.dtype = f64}).reshape({1, 1, 10});
  check_values(interpolate(x, {.scale_factor = {1.25}}), {0, 0, 1, 2, 3, 4, 4, 5, 6, 7, 8, 8}, 0);
  check_values(interpolate(x, {.size = {12}}), {0, 0, 1, 2, 3, 4, 5, 5, 6, 7, 8, 9}, 0);
  // (F.interpolate(Ug, size=(5, 4)) * torch.arange(20.).reshape(1, 1, 5, 4)).sum().backward()
  Tensor ug = u.detach();
  ug.requires_grad_();
  sum(upsample_nearest2d(ug, {5, 4}) * arange(20, {.dtype = f64}).reshape({1, 1, 5, 4})).backward();
  check_values(ug.grad(), {27, 18, 21, 58, 32, 34}, 0);
  // A scale factor maps back even when the output is the input's size or twice it:
  // torch.ops.aten.upsample_nearest2d(torch.arange(6.).reshape(1, 2, 3, 1), [3, 1], 2.0, None)
  check_values(upsample_nearest2d(arange(6, {.dtype = f64}).reshape({1, 2, 3, 1}), {3, 1}, 2.0,
                                  std::nullopt),
               {0, 0, 1, 3, 3, 4}, 0);
  // y = torch.arange(4.).reshape(1, 2, 2).requires_grad_(); o = F.interpolate(y,
  // scale_factor=2.3); (o * torch.arange(1., 9.).reshape(1, 2, 4)).sum().backward()
  Tensor y = arange(4, {.dtype = f64}).reshape({1, 2, 2}).requires_grad_();
  Tensor o = interpolate(y, {.scale_factor = {2.3}});
  check_values(o, {0, 0, 0, 1, 2, 2, 2, 3}, 0);
  sum(o * arange(1, 9, 1, {.dtype = f64}).reshape({1, 2, 4})).backward();
  check_values(y.grad(), {6, 4, 18, 8}, 0);  // the adjoint of the forward above
}

TEST_CASE("avg pools, adaptive pool, upsampling: gradcheck and gradgradcheck") {
  check_grads(
      [](const Tensor& x) {
        return avg_pool2d(x, {.kernel_size = 3,
                              .stride = 2,
                              .padding = 1,
                              .ceil_mode = true,
                              .count_include_pad = false});
      },
      rand_f64({2, 2, 6, 5}));
  check_grads(
      [](const Tensor& x) {
        return avg_pool2d(x, {.kernel_size = {2, 3}, .padding = {1, 0}, .divisor_override = 5});
      },
      rand_f64({2, 5, 7}));
  check_grads(
      [](const Tensor& x) {
        return adaptive_avg_pool2d(x, {3, 4});
      },
      rand_f64({2, 2, 5, 7}));
  check_grads(
      [](const Tensor& x) { return avg_pool1d(x, {.kernel_size = 3, .stride = 2, .padding = 1}); },
      rand_f64({2, 3, 7}));
  check_grads(
      [](const Tensor& x) {
        return upsample_nearest2d(x, {5, 4});
      },
      rand_f64({1, 2, 2, 3}));
  check_grads([](const Tensor& x) { return interpolate(x, {.scale_factor = {1.5}}); },
              rand_f64({2, 2, 5}));
}

TEST_CASE("pooling: bad input names the op and the shapes") {
  Tensor x4 = zeros({1, 2, 4, 4});
  check_throws<ShapeError>(
      [&] {
        max_pool2d(zeros({4, 4}), {.kernel_size = 2});
      },
      {"max_pool2d", "(4, 4)"});
  check_throws<ShapeError>(
      [&] {
        avg_pool2d(zeros({1, 1, 1, 4, 4}), {.kernel_size = 2});
      },
      {"avg_pool2d", "(1, 1, 1, 4, 4)"});
  check_throws<ShapeError>(
      [&] {
        max_pool1d(zeros({1, 2, 3, 4}), {.kernel_size = 2});
      },
      {"max_pool1d", "(1, 2, 3, 4)"});
  check_throws<ShapeError>(
      [&] {
        max_pool2d(zeros({1, 0, 4, 4}), {.kernel_size = 2});
      },
      {"max_pool2d", "(1, 0, 4, 4)"});
  check_throws<ShapeError>([&] { max_pool2d(x4, {.kernel_size = 7, .padding = 1}); },
                           {"max_pool2d", "(1, 2, 4, 4)", "too small", "(7, 7)"});
  check_throws<ShapeError>(
      [&] {
        avg_pool1d(zeros({2, 3}), {.kernel_size = 4});
      },
      {"avg_pool1d", "(2, 3)", "too small"});
  check_throws<ValueError>([&] { max_pool2d(x4, {.kernel_size = 3, .padding = 2}); },
                           {"max_pool2d", "padding (2, 2)", "half of kernel_size (3, 3)"});
  check_throws<ValueError>(
      [&] {
        avg_pool2d(x4, {.kernel_size = 2, .padding = {0, 2}});
      },
      {"avg_pool2d", "padding (0, 2)"});
  check_throws<ValueError>([&] { max_pool2d(x4, {.kernel_size = 2, .stride = 0}); },
                           {"max_pool2d", "stride", "(0, 0)"});
  check_throws<ValueError>(
      [&] {
        max_pool2d(x4, {.kernel_size = {0, 2}});
      },
      {"max_pool2d", "kernel_size", "(0, 2)"});
  check_throws<ValueError>(
      [&] {
        max_pool2d(x4, {.kernel_size = {2, 2147483648}});
      },
      {"max_pool2d", "kernel_size (2, 2147483648)", "out of range"});
  check_throws<ValueError>(
      [&] {
        avg_pool1d(zeros({2, 5}), {.kernel_size = 2, .stride = std::int64_t{1} << 62});
      },
      {"avg_pool1d", "stride 4611686018427387904", "out of range"});
  check_throws<ValueError>(
      [&] {
        adaptive_avg_pool2d(x4, {std::int64_t{1} << 40, 1 << 20});
      },
      {"adaptive_avg_pool2d", "2^46", "(1, 2, 4, 4)"});
  check_throws<ValueError>([&] { interpolate(x4, {.scale_factor = {1e300}}); },
                           {"interpolate", "scale_factor"});
  check_throws<ValueError>([&] { max_pool2d(x4, {.kernel_size = 2, .dilation = 0}); },
                           {"max_pool2d", "dilation"});
  check_throws<ValueError>(
      [&] {
        max_pool1d(zeros({2, 5}), {.kernel_size = 2, .stride = 0});
      },
      {"max_pool1d", "stride", "0"});
  check_throws<ValueError>([&] { avg_pool2d(x4, {.kernel_size = 2, .divisor_override = 0}); },
                           {"avg_pool2d", "divisor_override"});
  check_throws<ValueError>(
      [&] {
        adaptive_avg_pool2d(x4, {0, 2});
      },
      {"adaptive_avg_pool2d", "(0, 2)", "(1, 2, 4, 4)"});
  check_throws<ValueError>(
      [&] {
        upsample_nearest2d(x4, {3, 0});
      },
      {"upsample_nearest2d", "(3, 0)"});
  check_throws<ShapeError>(
      [&] {
        upsample_nearest2d(zeros({2, 4, 4}), {3, 3});
      },
      {"upsample_nearest2d", "(2, 4, 4)"});
  check_throws<ValueError>([&] { interpolate(x4, {}); }, {"interpolate", "either size"});
  check_throws<ValueError>([&] { interpolate(x4, {.size = {2}, .scale_factor = {2.0}}); },
                           {"interpolate", "only one"});
  check_throws<ValueError>(
      [&] {
        interpolate(x4, {.size = {2, 2, 2}});
      },
      {"interpolate", "3 values", "(1, 2, 4, 4)"});
  check_throws<ValueError>([&] { interpolate(x4, {.scale_factor = {std::nan("")}}); },
                           {"interpolate", "scale_factor"});
  check_throws<ValueError>([&] { interpolate(x4, {.size = {8}, .mode = "bilinear"}); },
                           {"interpolate", "bilinear"});
  check_throws<DtypeError>(
      [&] {
        max_pool2d(zeros({1, 4, 4}, {.dtype = i64}), {.kernel_size = 2});
      },
      {"max_pool2d", "i64"});
}

TEST_CASE("pooling: an empty batch gives an empty output and gradient") {
  Tensor x = zeros({0, 2, 4, 4}, {.dtype = f64, .requires_grad = true});
  Tensor y = max_pool2d(x, {.kernel_size = 2});
  Tensor z = adaptive_avg_pool2d(x, {3, 3});
  CHECK(y.shape() == Shape{0, 2, 2, 2});
  CHECK(z.shape() == Shape{0, 2, 3, 3});
  (sum(y) + sum(z)).backward();
  CHECK(x.grad().shape() == Shape{0, 2, 4, 4});
}

TEST_CASE("pooling: 1 and 2 threads give the same bits") {
  manual_seed(3);
  Tensor x = uniform({8, 16, 64, 64}, -1.0, 1.0, {.dtype = f32, .requires_grad = true});
  xg::test::check_same_bits_for_threads([&] {
    x.zero_grad();
    Tensor y = max_pool2d(x, {.kernel_size = 3, .stride = 2, .padding = 1});
    Tensor z = avg_pool2d(x, {.kernel_size = 3, .stride = 2, .padding = 1});
    Tensor w = upsample_nearest2d(adaptive_avg_pool2d(x, {5, 7}), {64, 64});
    sum(y * y).backward();
    (sum(z * z) + sum(w)).backward();
    return std::vector<Tensor>{y, z, w, x.grad()};
  });
}
