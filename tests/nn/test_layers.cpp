// Layers: Linear, the activation layers, Dropout, Flatten, Identity. Each has a value test
// (expected numbers from PyTorch 1.13 where applicable), a float64 gradcheck through the
// layer (over the input and, for Linear, over the parameters) and a bad-input test.
#include <doctest/doctest.h>

#include <cmath>
#include <memory>

#include "support/check.hpp"

using namespace xg;
using namespace xg::nn;
using xg::test::check_gradcheck;
using xg::test::check_throws;
using xg::test::check_values;
using xg::test::rand_f64;

namespace {

// x = [-3, -1, -0.5, 0, 0.5, 1, 3] in f64, the input of the activation value tests.
Tensor activation_input() { return tensor({-3, -1, -0.5, 0, 0.5, 1, 3}, {7}, {.dtype = f64}); }

// Runs a float64 gradcheck of module(x) over x (values kept away from kinks at 0).
void gradcheck_layer(Module& m, const Shape& shape) {
  m.to(f64);
  Tensor x = rand_f64(shape, 0.1, 2.0);
  // Mix signs but keep |x| >= 0.1 so that relu-like kinks are never within eps.
  {
    auto v = x.mutable_data<double>();
    for (std::size_t i = 0; i < v.size(); i += 2) v[i] = -v[i];
  }
  check_gradcheck([&](const std::vector<Tensor>& in) { return m(in[0]); }, {x});
}

}  // namespace

// ---- Linear ----------------------------------------------------------------------------

TEST_CASE("nn.Linear: parameters, shapes and PyTorch's default initialisation") {
  manual_seed(1);
  Linear fc(16, 8);
  CHECK(fc.in_features == 16);
  CHECK(fc.out_features == 8);
  CHECK(fc.weight.shape() == Shape{8, 16});
  CHECK(fc.bias.shape() == Shape{8});
  CHECK(fc.weight.requires_grad());
  CHECK(fc.weight.is_leaf());
  const auto named = fc.named_parameters();
  REQUIRE(named.size() == 2);
  CHECK(named[0].first == "weight");
  CHECK(named[1].first == "bias");
  // The registered tensors are the public members (same storage).
  CHECK(named[0].second.impl() == fc.weight.impl());
  CHECK(fc.num_parameters() == 8 * 16 + 8);
  // U(-1/sqrt(16), 1/sqrt(16)) = U(-0.25, 0.25) for both, and not all equal.
  for (const Tensor& t : {fc.weight, fc.bias}) {
    const auto v = t.to_vector<double>();
    for (double x : v) CHECK(std::abs(x) <= 0.25);
    CHECK(*std::max_element(v.begin(), v.end()) > *std::min_element(v.begin(), v.end()));
  }
  Linear no_bias(3, 2, false);
  CHECK_FALSE(no_bias.bias.defined());
  CHECK(no_bias.named_parameters().size() == 1);
  CHECK(no_bias.extra_repr() == "in_features=3, out_features=2, bias=false");
  CHECK(fc.extra_repr() == "in_features=16, out_features=8, bias=true");
  CHECK(fc.repr() == "Linear(in_features=16, out_features=8, bias=true)");
}

TEST_CASE("nn.Linear: initialisation spread matches U(-1/sqrt(in), 1/sqrt(in))") {
  manual_seed(2);
  Linear fc(400, 500);
  // Uniform on [-b, b] has mean 0 and variance b^2 / 3; 200000 draws.
  const double b = 1.0 / 20.0;
  const auto v = fc.weight.to_vector<double>();
  double mean = 0, sq = 0, lo = 1, hi = -1;
  for (double x : v) {
    mean += x;
    sq += x * x;
    lo = std::min(lo, x);
    hi = std::max(hi, x);
  }
  const double n = static_cast<double>(v.size());
  mean /= n;
  const double var = sq / n - mean * mean;
  const double sd = b / std::sqrt(3.0);
  CHECK(std::abs(mean) < 5 * sd / std::sqrt(n));
  CHECK(std::abs(var - b * b / 3) < 0.01 * b * b / 3);  // about 5 standard errors
  CHECK(lo >= -b);
  CHECK(hi <= b);
  CHECK(lo < -0.99 * b);
  CHECK(hi > 0.99 * b);
}

TEST_CASE("nn.Linear: values against PyTorch") {
  // torch.nn.functional.linear(x, W, b) in float64 with the values below.
  Linear fc(4, 3);
  fc.to(f64);
  const std::vector<double> w{0.1, -0.2, 0.3, 0.4, 0.5, 0.6, -0.7, 0.8, -0.9, 1.0, 1.1, -1.2};
  std::copy(w.begin(), w.end(), fc.weight.mutable_data<double>().begin());
  const std::vector<double> b{0.01, -0.02, 0.03};
  std::copy(b.begin(), b.end(), fc.bias.mutable_data<double>().begin());
  Tensor x = tensor({1, 2, 3, 4, -1, 0.5, -0.25, 2}, {2, 4}, {.dtype = f64});
  Tensor y = fc(x);
  CHECK(y.shape() == Shape{2, 3});
  check_values(y, {2.21, 2.78, -0.37, 0.535, 1.555, -1.245}, 1e-12);
  // Leading batch axes are kept: (2, 1, 4) -> (2, 1, 3).
  check_values(fc(x.reshape({2, 1, 4})), {2.21, 2.78, -0.37, 0.535, 1.555, -1.245}, 1e-12);
  CHECK(fc(x.reshape({2, 1, 4})).shape() == Shape{2, 1, 3});
  // 1-D input: (4) -> (3).
  CHECK(fc(tensor({1, 2, 3, 4}, {4}, {.dtype = f64})).shape() == Shape{3});

  Linear nb(4, 3, false);
  nb.to(f64);
  std::copy(w.begin(), w.end(), nb.weight.mutable_data<double>().begin());
  check_values(nb(x), {2.2, 2.8, -0.4, 0.525, 1.575, -1.275}, 1e-12);
}

TEST_CASE("nn.Linear: gradcheck over the input and over the parameters") {
  manual_seed(3);
  Linear fc(5, 3);
  fc.to(f64);
  Tensor x = rand_f64({4, 5});
  check_gradcheck([&](const std::vector<Tensor>& in) { return fc(in[0]); }, {x});
  // gradcheck perturbs the parameters in place; the lambda reads them through the layer.
  Tensor xc = rand_f64({2, 3, 5}).detach();
  check_gradcheck([&](const std::vector<Tensor>&) { return fc(xc); }, {fc.weight, fc.bias});
}

TEST_CASE("nn.Linear: bad inputs") {
  Linear fc(4, 8);
  // The exact text of the layer's message; the top-level call adds the layer's type.
  check_throws<ShapeError>(
      [&] {
        fc(zeros({2, 5}));
      },
      {"Linear: expected input with 4 features (last axis), got shape (2, 5); "
       "weight is (8, 4)"});
  check_throws<ShapeError>(
      [&] {
        fc.forward(zeros({2, 5}));
      },
      {"Linear: expected input with 4 features (last axis), got shape (2, 5)"});
  check_throws<ShapeError>([&] { fc(scalar_tensor(1.0)); }, {"Linear", "got shape ()", "(8, 4)"});
  // f64 input into an f32 layer: the op names both dtypes.
  check_throws<DtypeError>([&] { fc(zeros({2, 4}, {.dtype = f64})); }, {"linear", "f32", "f64"});
  check_throws<GraphError>([&] { fc(Tensor()); }, {"Linear"});
  check_throws<ValueError>([] { Linear(-1, 3); }, {"Linear", "-1"});
}

TEST_CASE("nn.Linear: reset_parameters redraws in place") {
  manual_seed(4);
  Linear fc(3, 2);
  Tensor alias = fc.weight;
  const auto before = fc.weight.to_vector<double>();
  fc.reset_parameters();
  CHECK(alias.impl() == fc.weight.impl());
  CHECK(fc.weight.to_vector<double>() != before);
  CHECK(fc.parameters()[0].impl() == fc.weight.impl());
}

// ---- activations -----------------------------------------------------------------------

TEST_CASE("nn.activations: values against PyTorch") {
  // torch.sigmoid / tanh / relu / F.leaky_relu(x, 0.1) / F.softplus(x, beta=2, threshold=5)
  // / F.gelu(x) / F.gelu(x, approximate='tanh') / F.elu(x, 0.5) of
  // x = [-3, -1, -0.5, 0, 0.5, 1, 3] in float64.
  const Tensor x = activation_input();
  check_values(Sigmoid()(x),
               {0.0474258731776, 0.26894142137, 0.377540668798, 0.5, 0.622459331202, 0.73105857863,
                0.952574126822},
               1e-10);
  check_values(Tanh()(x),
               {-0.995054753687, -0.761594155956, -0.46211715726, 0.0, 0.46211715726,
                0.761594155956, 0.995054753687},
               1e-10);
  check_values(ReLU()(x), {0, 0, 0, 0, 0.5, 1, 3}, 0);
  check_values(LeakyReLU(0.1)(x), {-0.3, -0.1, -0.05, 0.0, 0.5, 1.0, 3.0}, 1e-12);
  check_values(LeakyReLU()(x), {-0.03, -0.01, -0.005, 0.0, 0.5, 1.0, 3.0}, 1e-12);
  check_values(Softplus(2, 5)(x),
               {0.00123784256887, 0.0634640055215, 0.156630843759, 0.34657359028, 0.656630843759,
                1.06346400552, 3.0},
               1e-10);
  check_values(Softplus()(x),
               {0.0485873515737, 0.313261687518, 0.47407698418, 0.69314718056, 0.97407698418,
                1.31326168752, 3.04858735157},
               1e-10);
  check_values(GELU()(x),
               {-0.00404969409489, -0.158655253931, -0.154268769363, 0.0, 0.345731230637,
                0.841344746069, 2.99595030591},
               1e-10);
  check_values(GELU("tanh")(x),
               {-0.00363739208177, -0.158808009392, -0.154285990175, 0.0, 0.345714009825,
                0.841191990608, 2.99636260792},
               1e-10);
  check_values(ELU(0.5)(x), {-0.475106465816, -0.316060279414, -0.196734670144, 0.0, 0.5, 1.0, 3.0},
               1e-10);
  // F.softmax(s, 1) and F.log_softmax(s, 0) of s = [[1, 2, 3], [-1, 0, 4]].
  const Tensor s = tensor({1, 2, 3, -1, 0, 4}, {2, 3}, {.dtype = f64});
  check_values(Softmax(1)(s),
               {0.0900305731704, 0.244728471055, 0.665240955775, 0.00657326318531, 0.0178679818703,
                0.975558754944},
               1e-10);
  check_values(Softmax()(s),
               {0.0900305731704, 0.244728471055, 0.665240955775, 0.00657326318531, 0.0178679818703,
                0.975558754944},
               1e-10);
  check_values(LogSoftmax(0)(s),
               {-0.126928011043, -0.126928011043, -1.31326168752, -2.12692801104, -2.12692801104,
                -0.313261687518},
               1e-10);
  // f32 in, f32 out.
  CHECK(ReLU()(zeros({2})).dtype() == f32);
}

TEST_CASE("nn.activations: gradcheck through each layer") {
  manual_seed(5);
  Sigmoid sigmoid;
  Tanh tanh_layer;
  ReLU relu_layer;
  LeakyReLU leaky(0.2);
  Softplus softplus_layer(1.5, 2.0);
  GELU gelu_exact;
  GELU gelu_tanh("tanh");
  ELU elu_layer(0.7);
  Softmax softmax_layer(0);
  LogSoftmax log_softmax_layer(1);
  for (Module* m : std::vector<Module*>{&sigmoid, &tanh_layer, &relu_layer, &leaky, &softplus_layer,
                                        &gelu_exact, &gelu_tanh, &elu_layer, &softmax_layer,
                                        &log_softmax_layer}) {
    INFO(m->repr());
    gradcheck_layer(*m, {3, 4});
  }
}

TEST_CASE("nn.activations: extra_repr like PyTorch") {
  CHECK(ReLU().repr() == "ReLU()");
  CHECK(Sigmoid().repr() == "Sigmoid()");
  CHECK(Tanh().repr() == "Tanh()");
  CHECK(LeakyReLU().repr() == "LeakyReLU(negative_slope=0.01)");
  CHECK(Softplus().repr() == "Softplus(beta=1, threshold=20)");
  CHECK(GELU().repr() == "GELU(approximate='none')");
  CHECK(ELU(0.5).repr() == "ELU(alpha=0.5)");
  CHECK(Softmax(1).repr() == "Softmax(axis=1)");
  CHECK(LogSoftmax(-1).repr() == "LogSoftmax(axis=-1)");
}

TEST_CASE("nn.activations: bad inputs") {
  // An i64 input: DtypeError from the op, naming it; an undefined input: GraphError.
  const Tensor labels = tensor_i64({1, 2, 3});
  Sigmoid sigmoid_layer;
  Tanh tanh_layer;
  ReLU relu_layer;
  LeakyReLU leaky;
  Softplus softplus_layer;
  GELU gelu_layer;
  ELU elu_layer;
  Softmax softmax_layer;
  LogSoftmax log_softmax_layer;
  const std::vector<std::pair<Module*, std::string>> layers{{&sigmoid_layer, "sigmoid"},
                                                            {&tanh_layer, "tanh"},
                                                            {&relu_layer, "relu"},
                                                            {&leaky, "leaky_relu"},
                                                            {&softplus_layer, "softplus"},
                                                            {&gelu_layer, "gelu"},
                                                            {&elu_layer, "elu"},
                                                            {&softmax_layer, "softmax"},
                                                            {&log_softmax_layer, "log_softmax"}};
  for (const auto& [m, op] : layers) {
    INFO(m->type_name());
    check_throws<DtypeError>([&] { (*m)(labels); }, {op, "i64"});
    check_throws<GraphError>([&] { (*m)(Tensor()); }, {});
  }
  check_throws<ValueError>([] { GELU("fast"); }, {"GELU", "\"fast\""});
  check_throws<ValueError>([] { Softplus(0.0); }, {"Softplus", "beta"});
  // An axis outside the input: ShapeError naming the layer and the shape.
  check_throws<ShapeError>([] { Softmax(2)(zeros({2, 3})); }, {"Softmax", "(2, 3)"});
  check_throws<ShapeError>([] { LogSoftmax(-3)(zeros({2, 3})); }, {"LogSoftmax", "(2, 3)"});
}

// ---- Dropout ---------------------------------------------------------------------------

TEST_CASE("nn.Dropout: training zeroes about p of the values and scales the rest") {
  manual_seed(6);
  Dropout drop(0.3);
  CHECK(drop.is_training());
  const Tensor x = ones({200, 500});
  const auto y = drop(x).to_vector<double>();
  std::int64_t zeros_seen = 0;
  for (double v : y) {
    if (v == 0.0) {
      ++zeros_seen;
    } else {
      CHECK(std::abs(v - 1.0 / 0.7) < 1e-6);  // survivors scaled by 1 / (1 - p)
    }
  }
  // Binomial(100000, 0.3): standard deviation about 145; allow 5 of them.
  const double n = 100000;
  CHECK(std::abs(static_cast<double>(zeros_seen) - 0.3 * n) < 5 * std::sqrt(n * 0.3 * 0.7));
}

TEST_CASE("nn.Dropout: eval mode, p = 0 and p = 1") {
  const Tensor x = tensor({1, -2, 3, 4}, {2, 2}, {.requires_grad = true});
  Dropout drop(0.5);
  drop.eval();
  CHECK_FALSE(drop.is_training());
  check_values(drop(x), {1, -2, 3, 4}, 0);
  drop.train();
  Dropout none(0.0);
  check_values(none(x), {1, -2, 3, 4}, 0);
  Dropout all(1.0);
  Tensor y = all(x);
  check_values(y, {0, 0, 0, 0}, 0);
  // The input still receives a (zero) gradient through p = 1.
  y.sum().backward();
  REQUIRE(x.grad().defined());
  check_values(x.grad(), {0, 0, 0, 0}, 0);
  // The functional form.
  check_values(functional::dropout(x, 0.9, false), {1, -2, 3, 4}, 0);
}

TEST_CASE("nn.Dropout: the same seed gives the same mask; the gradient is the mask") {
  Dropout drop(0.5);
  const Tensor x = ones({64}, {.requires_grad = true});
  manual_seed(7);
  const auto a = drop(x).to_vector<double>();
  manual_seed(7);
  Tensor y = drop(x);
  CHECK(y.to_vector<double>() == a);
  y.sum().backward();
  // d(sum(x * mask)) / dx = mask = y / x.
  CHECK(x.grad().to_vector<double>() == a);
}

TEST_CASE("nn.Dropout: gradcheck with a fixed mask") {
  Dropout drop(0.4);
  Tensor x = rand_f64({3, 5});
  // Reseeding inside the function keeps the mask fixed across gradcheck's evaluations.
  check_gradcheck(
      [&](const std::vector<Tensor>& in) {
        manual_seed(8);
        return drop(in[0]);
      },
      {x});
  drop.eval();
  check_gradcheck([&](const std::vector<Tensor>& in) { return drop(in[0]); }, {x});
}

TEST_CASE("nn.Dropout: bad inputs") {
  check_throws<ValueError>([] { Dropout(1.5); }, {"Dropout", "[0, 1]", "1.5"});
  check_throws<ValueError>([] { Dropout(-0.1); }, {"Dropout", "-0.1"});
  check_throws<ValueError>([] { functional::dropout(zeros({2}), 2.0); }, {"dropout", "2"});
  check_throws<DtypeError>([] { Dropout(0.5)(tensor_i64({1, 2})); }, {"dropout", "i64"});
  CHECK(Dropout(0.25).repr() == "Dropout(p=0.25)");
}

// ---- Flatten and Identity ----------------------------------------------------------------

TEST_CASE("nn.Flatten: keeps the batch axis by default") {
  const Tensor x = arange(24, {.dtype = f64}).reshape({2, 3, 2, 2});
  Tensor y = Flatten()(x);
  CHECK(y.shape() == Shape{2, 12});
  check_values(y, x.to_vector<double>(), 0);
  CHECK(Flatten(0)(x).shape() == Shape{24});
  CHECK(Flatten(1, 2)(x).shape() == Shape{2, 6, 2});
  CHECK(Flatten(-3, -2)(x).shape() == Shape{2, 6, 2});
  CHECK(Flatten().repr() == "Flatten(start_axis=1, end_axis=-1)");
  Flatten f(1, 2);
  gradcheck_layer(f, {2, 3, 2});
}

TEST_CASE("nn.Flatten: bad inputs") {
  check_throws<ShapeError>([] { Flatten(3)(zeros({2, 3})); }, {"Flatten", "(2, 3)"});
  check_throws<ShapeError>([] { Flatten(0, 5)(zeros({2, 3})); }, {"Flatten", "(2, 3)"});
}

TEST_CASE("nn.Identity: returns its input") {
  Identity id;
  const Tensor x = tensor({1, 2, 3}, {3}, {.dtype = f64, .requires_grad = true});
  Tensor y = id(x);
  CHECK(y.impl() == x.impl());
  CHECK(id.repr() == "Identity()");
  CHECK(id.num_parameters() == 0);
  gradcheck_layer(id, {2, 2});
  // Any dtype and shape pass through.
  CHECK(id(tensor_i64({4})).dtype() == i64);
  check_throws<GraphError>([&] { Identity().forward(x, x); }, {"Identity"});
}
