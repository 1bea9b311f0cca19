// Elementwise arithmetic: values, float64 gradchecks (with broadcasting), bad input.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>

#include "support/check.hpp"

using namespace xg;
using xg::test::check_gradcheck;
using xg::test::check_throws;
using xg::test::check_values;
using xg::test::rand_f64;
using Fn = std::function<Tensor(const std::vector<Tensor>&)>;

TEST_CASE("elementwise: values") {
  Tensor a = tensor({1, 2, 3, 4}, {2, 2});
  Tensor b = tensor({10, 20}, {2});
  check_values(a + b, {11, 22, 13, 24});
  check_values(a - b, {-9, -18, -7, -16});
  check_values(a * b, {10, 40, 30, 80});
  check_values(b / a, {10, 10, 10.0 / 3, 5});
  check_values(-a, {-1, -2, -3, -4});
  check_values(a + 1.0, {2, 3, 4, 5});
  check_values(1.0 - a, {0, -1, -2, -3});
  check_values(2.0 * a, {2, 4, 6, 8});
  check_values(a / 2.0, {0.5, 1, 1.5, 2});
  check_values(1.0 / a, {1, 0.5, 1.0 / 3, 0.25});
  check_values(pow(a, 2.0), {1, 4, 9, 16});
  check_values(pow(a, 0.5), {1, std::sqrt(2.0), std::sqrt(3.0), 2});
  check_values(pow(a, tensor({2, 3}, {2})), {1, 8, 9, 64});
  check_values(pow(2.0, a), {2, 4, 8, 16});
  check_values(square(a), {1, 4, 9, 16});
  check_values(exp(tensor({0, 1})), {1, std::exp(1.0)});
  check_values(log(tensor({1, std::exp(2.0)})), {0, 2});
  check_values(sqrt(tensor({4, 9})), {2, 3});
  check_values(abs(tensor({-1.5, 0, 2})), {1.5, 0, 2});
  check_values(clamp(tensor({-2, 0.5, 3}), -1.0, 1.0), {-1, 0.5, 1});
  check_values(clamp(tensor({-2, 0.5, 3}), std::nullopt, 1.0), {-2, 0.5, 1});
  check_values(maximum(tensor({1, 5, 3}), tensor({2, 4, 3})), {2, 5, 3});
  check_values(minimum(tensor({1, 5, 3}), tensor({2, 4, 3})), {1, 4, 3});
  // Outer-product broadcasting (3, 1) with (1, 4) and a 3-D broadcast.
  check_values(tensor({1, 2, 3}, {3, 1}) * tensor({1, 10, 100, 1000}, {1, 4}),
               {1, 10, 100, 1000, 2, 20, 200, 2000, 3, 30, 300, 3000});
  check_values(ones({2, 1, 2}) + tensor({1, 2, 3, 4, 5, 6}, {3, 2}),
               {2, 3, 4, 5, 6, 7, 2, 3, 4, 5, 6, 7});
  check_values(broadcast_to(tensor({1, 2}), {2, 2}), {1, 2, 1, 2});
  check_values(sum_to_size(tensor({1, 2, 3, 4}, {2, 2}), {1, 2}), {4, 6});
}

TEST_CASE("elementwise: dtype promotion") {
  Tensor f = tensor({1, 2});
  Tensor l = tensor_i64({3, 4});
  CHECK((f + l).dtype() == f32);
  CHECK((l + l).dtype() == i64);
  check_values(l * l, {9, 16});
  CHECK((l / l).dtype() == f32);  // true division
  check_values(tensor_i64({1, 3}) / tensor_i64({2, 2}), {0.5, 1.5});
  CHECK((l * 0.5).dtype() == f32);
  check_values(l * 0.5, {1.5, 2});
  CHECK((l * 2.0).dtype() == i64);
  CHECK((tensor({1.0}, {1}, {.dtype = f64}) + 1.0).dtype() == f64);
}

TEST_CASE("elementwise: gradcheck") {
  const Shape s{2, 3};
  std::vector<std::pair<const char*, Fn>> binary = {
      {"add", [](auto& v) { return v[0] + v[1]; }},
      {"sub", [](auto& v) { return v[0] - v[1]; }},
      {"mul", [](auto& v) { return v[0] * v[1]; }},
      {"div", [](auto& v) { return v[0] / v[1]; }},
      {"maximum", [](auto& v) { return maximum(v[0], v[1]); }},
      {"minimum", [](auto& v) { return minimum(v[0], v[1]); }},
  };
  for (auto& [name, fn] : binary) {
    CAPTURE(name);
    // Same shapes, then broadcast both ways and with a 0-D operand. Values kept away
    // from 0 so div is smooth.
    check_gradcheck(fn, {rand_f64(s, 0.5, 2.0), rand_f64(s, 0.5, 2.0)});
    check_gradcheck(fn, {rand_f64({2, 1, 3}, 0.5, 2.0), rand_f64({4, 1}, 0.5, 2.0)});
    check_gradcheck(fn, {rand_f64({3}, 0.5, 2.0), rand_f64({2, 3}, 0.5, 2.0)});
    check_gradcheck(fn, {rand_f64({}, 0.5, 2.0), rand_f64({2, 2}, 0.5, 2.0)});
  }
  std::vector<std::pair<const char*, Fn>> unary = {
      {"neg", [](auto& v) { return -v[0]; }},
      {"scalar ops", [](auto& v) { return (2.0 - v[0] * 3.0 + 1.0) / 4.0 + 1.0 / v[0]; }},
      {"pow 3", [](auto& v) { return pow(v[0], 3.0); }},
      {"pow -1.5", [](auto& v) { return pow(v[0], -1.5); }},
      {"pow base", [](auto& v) { return pow(1.7, v[0]); }},
      {"square", [](auto& v) { return square(v[0]); }},
      {"exp", [](auto& v) { return exp(v[0]); }},
      {"log", [](auto& v) { return log(v[0]); }},
      {"sqrt", [](auto& v) { return sqrt(v[0]); }},
      {"abs", [](auto& v) { return abs(v[0] - 1.0); }},
      {"clamp", [](auto& v) { return clamp(v[0], 0.8, 1.6); }},
      {"broadcast_to",
       [](auto& v) {
         return broadcast_to(v[0], {4, 2, 3});
       }},
      {"sum_to_size",
       [](auto& v) {
         return sum_to_size(v[0], {1, 3});
       }},
  };
  for (auto& [name, fn] : unary) {
    CAPTURE(name);
    check_gradcheck(fn, {rand_f64(s, 0.5, 2.0)});
  }
  check_gradcheck([](auto& v) { return pow(v[0], v[1]); },
                  {rand_f64(s, 0.5, 2.0), rand_f64({3}, -1.0, 2.0)});
}

TEST_CASE("elementwise: gradients at kinks follow PyTorch") {
  Tensor x = tensor({0.0, -2.0, 2.0}, {3}, {.dtype = f64, .requires_grad = true});
  abs(x).sum().backward();
  check_values(x.grad(), {0, -1, 1});  // abs'(0) = 0

  Tensor a = tensor({1.0, 2.0}, {2}, {.dtype = f64, .requires_grad = true});
  Tensor b = tensor({1.0, 3.0}, {2}, {.dtype = f64, .requires_grad = true});
  maximum(a, b).sum().backward();
  check_values(a.grad(), {0.5, 0});  // ties split evenly
  check_values(b.grad(), {0.5, 1});

  Tensor c = tensor({-1.0, 0.0, 1.0, 2.0}, {4}, {.dtype = f64, .requires_grad = true});
  clamp(c, 0.0, 1.0).sum().backward();
  check_values(c.grad(), {0, 1, 1, 0});  // bounds are inside, as PyTorch

  Tensor z = tensor({0.0}, {1}, {.dtype = f64, .requires_grad = true});
  pow(z, 0.0).sum().backward();
  check_values(z.grad(), {0});
  z.zero_grad();
  pow(z, 2.0).sum().backward();
  check_values(z.grad(), {0});

  // d/dy 0^y is masked to 0 where x == 0 and y >= 0 (PyTorch).
  Tensor base = tensor({0.0}, {1}, {.dtype = f64});
  Tensor e = tensor({2.0}, {1}, {.dtype = f64, .requires_grad = true});
  pow(base, e).sum().backward();
  check_values(e.grad(), {0});
}

TEST_CASE("elementwise: bad input") {
  check_throws<ShapeError>(
      [] {
        tensor({1, 2, 3}) + tensor({1, 2});
      },
      {"add", "(3)", "(2)", "broadcast"});
  check_throws<ShapeError>([] { ones({2, 3}) * ones({3, 2}); }, {"mul", "(2, 3)", "(3, 2)"});
  check_throws<ShapeError>([] { ones({4}) / ones({3}); }, {"div", "(4)", "(3)"});
  check_throws<ShapeError>([] { ones({4}) - ones({2, 3}); }, {"sub", "(4)", "(2, 3)"});
  check_throws<ShapeError>([] { maximum(ones({4}), ones({3})); }, {"maximum", "(4)", "(3)"});
  check_throws<DtypeError>([] { ones({2}) + ones({2}, {.dtype = f64}); },
                           {"add", "f32", "f64", "(2)"});
  check_throws<DtypeError>([] { pow(ones({2}), ones({2}, {.dtype = f64})); },
                           {"pow", "f32", "f64"});
  check_throws<DtypeError>([] { exp(tensor_i64({1})); }, {"exp", "i64"});
  check_throws<DtypeError>([] { log(tensor_i64({1})); }, {"log", "i64"});
  check_throws<DtypeError>([] { sqrt(tensor_i64({1})); }, {"sqrt", "i64"});
  check_throws<DtypeError>([] { pow(tensor_i64({1}), 2.0); }, {"pow", "i64"});
  check_throws<ValueError>([] { clamp(ones({2}), 1.0, 0.0); }, {"clamp", "min"});
  check_throws<ValueError>([] { clamp(ones({2}), std::nullopt, std::nullopt); }, {"clamp"});
  check_throws<ShapeError>(
      [] {
        broadcast_to(ones({3}), {2, 2});
      },
      {"broadcast_to", "(3)", "(2, 2)"});
  check_throws<ShapeError>(
      [] {
        sum_to_size(ones({2, 3}), {4});
      },
      {"sum_to_size", "(4)", "(2, 3)"});
  check_throws<GraphError>([] { ones({2}) + Tensor(); }, {"add", "undefined"});
}

TEST_CASE("elementwise: no graph inside NoGradGuard, f32 results stay f32") {
  Tensor x = ones({2}, {.requires_grad = true});
  {
    NoGradGuard ng;
    CHECK_FALSE((x * 2.0 + 1.0).requires_grad());
  }
  CHECK((x * 2.0).requires_grad());
  CHECK((x * 2.0).dtype() == f32);
}

TEST_CASE("gradcheck: reports a wrong gradient and rejects f32 inputs") {
  // An op whose backward is deliberately wrong (twice the true gradient) must fail.
  // x * 2 - detach(x) has the value x (numeric derivative 1) but the graph sees only
  // x * 2 (analytic derivative 2): gradcheck must catch the disagreement.
  auto wrong = [](const std::vector<Tensor>& v) { return v[0] * 2.0 - v[0].detach(); };
  GradcheckResult r = gradcheck(wrong, {rand_f64({3})});
  CHECK_FALSE(r.ok);
  CHECK(r.message.find("mismatch") != std::string::npos);
  CHECK(std::abs(r.analytic - 2.0) < 1e-12);
  CHECK(std::abs(r.numeric - 1.0) < 1e-6);

  check_throws<DtypeError>(
      [] { gradcheck([](auto& v) { return v[0] * 2.0; }, {ones({2}, {.requires_grad = true})}); },
      {"gradcheck", "f32", "f64"});
  GradcheckResult ok = gradcheck([](auto& v) { return v[0] * v[0]; }, {rand_f64({4})});
  CHECK(ok.ok);
  CHECK(ok.max_error < 1e-6);
}

TEST_CASE("maximum, minimum and clamp propagate NaN as PyTorch") {
  // torch.maximum(tensor([nan, 1, 2]), tensor([1, nan, 2])) = [nan, nan, 2]; both grads
  // [1, 1, 0.5]; the same for minimum.
  const double n = std::nan("");
  for (bool take_max : {true, false}) {
    Tensor a = tensor({n, 1, 2}, {3}, {.dtype = f64, .requires_grad = true});
    Tensor b = tensor({1, n, 2}, {3}, {.dtype = f64, .requires_grad = true});
    Tensor y = take_max ? maximum(a, b) : minimum(a, b);
    const auto v = y.to_vector<double>();
    CHECK(std::isnan(v[0]));
    CHECK(std::isnan(v[1]));
    CHECK(v[2] == 2.0);
    y.sum().backward();
    check_values(a.grad(), {1, 1, 0.5});
    check_values(b.grad(), {1, 1, 0.5});
  }
  // Without NaN: the chosen operand gets the gradient.
  Tensor a = tensor({3, 1}, {2}, {.dtype = f64, .requires_grad = true});
  Tensor b = tensor({2, 2}, {2}, {.dtype = f64, .requires_grad = true});
  maximum(a, b).sum().backward();
  check_values(a.grad(), {1, 0});
  check_values(b.grad(), {0, 1});

  // clamp: a NaN input stays NaN (gradient 0, as PyTorch); a NaN bound gives NaN everywhere.
  Tensor x = tensor({1, 2, n}, {3}, {.dtype = f64, .requires_grad = true});
  Tensor c = clamp(x, 1.5, std::nullopt);
  CHECK(std::isnan(c.to_vector<double>()[2]));
  c.sum().backward();
  check_values(x.grad(), {0, 1, 0});
  for (const Tensor& t : {clamp(x, n, std::nullopt), clamp(x, 0.0, n)}) {
    for (double v : t.to_vector<double>()) CHECK(std::isnan(v));
  }
  check_throws<ValueError>(
      [n] {
        clamp(tensor_i64({1, 2}), n, std::nullopt);
      },
      {"clamp", "NaN", "i64"});
}

TEST_CASE("elementwise: i64 overflow throws instead of wrapping around") {
  const std::int64_t max = std::numeric_limits<std::int64_t>::max();
  const std::int64_t min = std::numeric_limits<std::int64_t>::min();
  const Tensor big = tensor_i64({1, max});
  check_throws<OverflowError>(
      [&] {
        mul(big, tensor_i64({2, 2}));
      },
      {"mul: i64 overflow (9223372036854775807 * 2)"});
  check_throws<OverflowError>([&] { (void)(big * 2.0); }, {"mul: i64 overflow"});
  check_throws<OverflowError>([&] { add(big, tensor_i64({1})); },  // broadcast
                              {"add: i64 overflow (9223372036854775807 + 1)"});
  check_throws<OverflowError>(
      [&] {
        (void)(tensor_i64({min}, {1, 1}) - tensor_i64({0, 1}));
      },
      {"sub: i64 overflow (-9223372036854775808 - 1)"});
  check_throws<OverflowError>(
      [&] {
        neg(tensor_i64({3, min}));
      },
      {"neg: i64 overflow", "-9223372036854775808"});
  check_throws<OverflowError>(
      [&] {
        xg::abs(tensor_i64({min, 3}));
      },
      {"abs: i64 overflow", "-9223372036854775808"});
  // Up to the limits the results stay exact.
  CHECK(mul(tensor_i64({3037000499, -3037000499}), tensor_i64({3037000499}))
            .to_vector<std::int64_t>() ==
        std::vector<std::int64_t>{9223372030926249001, -9223372030926249001});
  CHECK((tensor_i64({max - 1, min + 1}) + tensor_i64({1, -1})).to_vector<std::int64_t>() ==
        std::vector<std::int64_t>{max, min});
  CHECK(xg::abs(tensor_i64({min + 1})).to_vector<std::int64_t>() == std::vector<std::int64_t>{max});
  // Floats still follow IEEE: inf, no error.
  check_values(tensor({1e308}, {1}, {.dtype = f64}) * 10.0, {INFINITY});
}
