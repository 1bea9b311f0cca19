// Second derivatives: gradgradcheck over every differentiable op, and a full Hessian.
#include <doctest/doctest.h>

#include <cmath>

#include "support/check.hpp"

using namespace xg;
using xg::test::check_values;
using xg::test::rand_f64;
using Fn = std::function<Tensor(const std::vector<Tensor>&)>;

namespace {
struct Case {
  const char* name;
  Fn fn;
  std::vector<Shape> shapes;
  double low = -1.0, high = 1.0;
};

// Every differentiable op of the autograd layer, on inputs away from its kinks.
std::vector<Case> all_ops() {
  const Tensor idx = tensor_i64({2, 0, 2}, {3});
  const Tensor gidx = tensor_i64({0, 2, 1, 1, 0, 2}, {2, 3});
  const Tensor cond = tensor_i64({1, 0, 1, 0, 0, 1}, {2, 3});
  return {
      {"add", [](auto& v) { return v[0] + v[1]; }, {{2, 3}, {3}}},
      {"sub", [](auto& v) { return v[0] - v[1]; }, {{2, 3}, {2, 1}}},
      {"mul", [](auto& v) { return v[0] * v[1]; }, {{2, 3}, {3}}},
      {"div", [](auto& v) { return v[0] / v[1]; }, {{2, 3}, {3}}, 0.5, 2.0},
      {"neg", [](auto& v) { return -v[0]; }, {{4}}},
      {"pow scalar", [](auto& v) { return pow(v[0], 2.5); }, {{4}}, 0.5, 2.0},
      {"pow tensor", [](auto& v) { return pow(v[0], v[1]); }, {{4}, {4}}, 0.5, 2.0},
      {"exp", [](auto& v) { return exp(v[0]); }, {{4}}},
      {"log", [](auto& v) { return log(v[0]); }, {{4}}, 0.5, 2.0},
      {"sqrt", [](auto& v) { return sqrt(v[0]); }, {{4}}, 0.5, 2.0},
      {"abs", [](auto& v) { return abs(v[0]) * v[0]; }, {{4}}},
      {"clamp", [](auto& v) { return clamp(v[0] * v[0], 0.1, 0.6); }, {{6}}},
      {"maximum", [](auto& v) { return maximum(v[0] * v[1], v[1]); }, {{4}, {4}}},
      {"minimum", [](auto& v) { return minimum(v[0] * v[1], v[1]); }, {{4}, {4}}},
      {"sigmoid", [](auto& v) { return sigmoid(v[0]); }, {{4}}},
      {"tanh", [](auto& v) { return tanh(v[0]); }, {{4}}},
      {"relu", [](auto& v) { return relu(v[0]) * v[0]; }, {{6}}},
      {"leaky_relu", [](auto& v) { return leaky_relu(v[0], 0.2) * v[0]; }, {{6}}},
      {"softplus", [](auto& v) { return softplus(v[0], 1.5); }, {{4}}},
      {"gelu", [](auto& v) { return gelu(v[0]); }, {{4}}},
      {"gelu tanh", [](auto& v) { return gelu(v[0], "tanh"); }, {{4}}},
      {"elu", [](auto& v) { return elu(v[0], 1.3); }, {{6}}},
      {"sum", [](auto& v) { return sum(v[0] * v[0], {1}); }, {{2, 3}}},
      {"mean", [](auto& v) { return mean(v[0] * v[0], {0}, true); }, {{2, 3}}},
      {"var", [](auto& v) { return var(v[0], {1}); }, {{2, 4}}},
      {"std", [](auto& v) { return xg::std(v[0], {0}); }, {{3, 2}}},
      {"max", [](auto& v) { return max(v[0] * v[0], {1}); }, {{2, 3}}},
      {"min", [](auto& v) { return min(v[0] * v[0], {0}); }, {{2, 3}}},
      {"logsumexp", [](auto& v) { return logsumexp(v[0], {1}); }, {{2, 3}}},
      {"matmul", [](auto& v) { return matmul(v[0], v[1]); }, {{2, 3, 4}, {4, 2}}},
      {"matmul 1-D", [](auto& v) { return matmul(v[0], v[1]); }, {{3}, {3}}},
      {"linear", [](auto& v) { return linear(v[0], v[1], v[2]); }, {{2, 3}, {4, 3}, {4}}},
      {"reshape",
       [](auto& v) {
         return reshape(v[0] * v[0], {3, 2});
       },
       {{2, 3}}},
      {"flatten", [](auto& v) { return flatten(v[0] * v[0]); }, {{2, 3}}},
      {"transpose", [](auto& v) { return transpose(v[0] * v[0], 0, 1); }, {{2, 3}}},
      {"permute",
       [](auto& v) {
         return permute(v[0] * v[0], {2, 0, 1});
       },
       {{2, 3, 2}}},
      {"squeeze", [](auto& v) { return squeeze(v[0] * v[0]); }, {{2, 1, 3}}},
      {"unsqueeze", [](auto& v) { return unsqueeze(v[0] * v[0], 1); }, {{2, 3}}},
      {"broadcast_to",
       [](auto& v) {
         return broadcast_to(v[0] * v[0], {2, 3});
       },
       {{3}}},
      {"sum_to_size",
       [](auto& v) {
         return sum_to_size(v[0] * v[0], {1, 3});
       },
       {{2, 3}}},
      {"slice", [](auto& v) { return slice(v[0] * v[0], 1, 0, 3, 2); }, {{2, 4}}},
      {"index_select", [idx](auto& v) { return index_select(v[0] * v[0], 1, idx); }, {{2, 3}}},
      {"gather", [gidx](auto& v) { return gather(v[0] * v[0], 1, gidx); }, {{2, 3}}},
      {"concat",
       [](auto& v) {
         return concat({v[0] * v[1], v[1]}, 0);
       },
       {{2, 3}, {2, 3}}},
      {"stack",
       [](auto& v) {
         return stack({v[0] * v[1], v[1]}, 1);
       },
       {{2, 3}, {2, 3}}},
      {"softmax", [](auto& v) { return softmax(v[0], 1); }, {{2, 3}}},
      {"log_softmax", [](auto& v) { return log_softmax(v[0], 0); }, {{2, 3}}},
      {"where",
       [cond](auto& v) { return where(cond, v[0] * v[1], v[1] * v[1]); },
       {{2, 3}, {2, 3}}},
      {"to", [](auto& v) { return (v[0] * v[0]).to(f64); }, {{3}}},
      {"clone", [](auto& v) { return (v[0] * v[0]).clone(); }, {{3}}},
  };
}
}  // namespace

TEST_CASE("gradgradcheck: every differentiable op") {
  manual_seed(11);
  int checked = 0;
  for (const auto& c : all_ops()) {
    CAPTURE(c.name);
    std::vector<Tensor> inputs;
    for (const auto& s : c.shapes) inputs.push_back(rand_f64(s, c.low, c.high));
    const GradcheckResult r = gradgradcheck(c.fn, inputs);
    INFO(r.message);
    CHECK(r.ok);
    ++checked;
  }
  MESSAGE("gradgradcheck ran over " << checked << " op cases");
  CHECK(checked >= 50);
}

TEST_CASE("gradgradcheck: catches a wrong second derivative") {
  // x * detach(x) has first derivative x (through the graph) but the true first
  // derivative of x^2 is 2x; gradcheck already fails, and so must gradgradcheck.
  const GradcheckResult r =
      gradgradcheck([](auto& v) { return v[0] * v[0].detach(); }, {rand_f64({3})});
  CHECK_FALSE(r.ok);
}

TEST_CASE("hessian: full Hessian of a small function equals the analytic one") {
  // f(x, y) = x^2 y + exp(x y) + y^3
  // d2f/dx2 = 2y + y^2 e^{xy}; d2f/dxdy = 2x + e^{xy} (1 + xy); d2f/dy2 = x^2 e^{xy} + 6y
  Tensor v = tensor({0.7, -0.4}, {2}, {.dtype = f64, .requires_grad = true});
  auto f = [](const Tensor& p) {
    Tensor x = slice(p, 0, 0, 1), y = slice(p, 0, 1, 2);
    return (x * x * y + exp(x * y) + y * y * y).sum();
  };
  Tensor g = grad({f(v)}, {v}, {.create_graph = true})[0];
  std::vector<double> hessian;
  for (int i = 0; i < 2; ++i) {
    Tensor row = grad({slice(g, 0, i, i + 1).sum()}, {v}, {.retain_graph = true})[0];
    for (double h : row.to_vector<double>()) hessian.push_back(h);
  }
  const double x = 0.7, y = -0.4, e = std::exp(x * y);
  check_values(
      tensor(hessian, {4}, {.dtype = f64}),
      {2 * y + y * y * e, 2 * x + e * (1 + x * y), 2 * x + e * (1 + x * y), x * x * e + 6 * y},
      1e-12);
}
