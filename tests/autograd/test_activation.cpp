// Tests of autograd/ops/activation.hpp: values and gradients against PyTorch, float64
// gradchecks (first and second order), kink conventions, extreme inputs, bad inputs.
//
// Expected numbers were produced with PyTorch 1.13 (Debian python3-torch) in float64:
//   x = torch.tensor(xs, dtype=torch.float64, requires_grad=True)
//   y = F.<activation>(x, ...); y.backward(torch.ones_like(y)); print(y, x.grad)
#include <cmath>
#include <functional>
#include <tuple>
#include <vector>

#include "support/check.hpp"

using namespace xg;
using xg::test::check_gradcheck;
using xg::test::check_throws;
using xg::test::check_values;
using xg::test::rand_f64;

namespace {

using Unary = std::function<Tensor(const Tensor&)>;

const std::vector<double> kXs = {-3.0, -1.0, -0.5, 0.0, 0.5, 1.0, 3.0};

struct ForwardBackward {
  Tensor y;
  Tensor grad;
};

// y = f(x) and dL/dx for L = sum(y), x given by values in dtype dt.
ForwardBackward run(const Unary& f, const std::vector<double>& xs, Dtype dt = f64) {
  Tensor x =
      tensor(xs, {static_cast<std::int64_t>(xs.size())}, {.dtype = dt, .requires_grad = true});
  Tensor y = f(x);
  y.backward(ones_like(y));
  return {y, x.grad()};
}

// Checks values and gradient (L = sum(y)) in f64 and in f32.
void check_activation(const Unary& f, const std::vector<double>& xs, const std::vector<double>& y,
                      const std::vector<double>& g) {
  for (Dtype dt : {f64, f32}) {
    INFO("dtype " << dt);
    const ForwardBackward r = run(f, xs, dt);
    CHECK(r.y.dtype() == dt);
    CHECK(r.y.shape() == Shape{static_cast<std::int64_t>(xs.size())});
    REQUIRE(r.grad.defined());
    CHECK(r.grad.dtype() == dt);
    const double tol = dt == f64 ? 1e-12 : 1e-6;
    check_values(r.y, y, tol);
    check_values(r.grad, g, tol);
  }
}

// float64 gradcheck of f at the given points (shape (2, n/2)), and of its gradient
// (second order, through create_graph) when `second_order`.
void check_grads(const Unary& f, const std::vector<double>& xs, bool second_order = true) {
  const Shape shape = {2, static_cast<std::int64_t>(xs.size()) / 2};
  Tensor x = tensor(xs, shape, {.dtype = f64, .requires_grad = true});
  check_gradcheck([&](const std::vector<Tensor>& in) { return f(in[0]); }, {x});
  if (second_order) {
    check_gradcheck(
        [&](const std::vector<Tensor>& in) {
          // gradcheck evaluates fn under NoGradGuard for finite differences; the inner
          // grad() needs a graph, so recording is switched back on here.
          EnableGradGuard enable;
          Tensor y = f(in[0]);
          return grad({y}, {in[0]}, {.grad_outputs = {ones_like(y)}, .create_graph = true})[0];
        },
        {x});
  }
}

// Smooth points away from every kink (0) and from softplus's threshold.
const std::vector<double> kSmoothXs = {-2.7, -1.3, -0.4, -0.05, 0.07, 0.35, 1.1, 2.9};

// Every output and gradient finite at +-1000, with the expected values.
void check_extreme(const Unary& f, const std::vector<double>& y, const std::vector<double>& g,
                   double grad_tol = 1e-6) {
  for (Dtype dt : {f32, f64}) {
    INFO("dtype " << dt);
    const ForwardBackward r = run(f, {-1000.0, 1000.0}, dt);
    for (double v : r.y.to_vector<double>()) CHECK(std::isfinite(v));
    for (double v : r.grad.to_vector<double>()) CHECK(std::isfinite(v));
    check_values(r.y, y, 0.0);
    check_values(r.grad, g, grad_tol);
  }
}

void check_rejects_i64(const char* op, const Unary& f) {
  check_throws<DtypeError>([&] { f(tensor_i64({1, 2, 3})); }, {op, "i64"});
  check_throws<GraphError>([&] { f(Tensor()); }, {op});
}

}  // namespace

TEST_CASE("activation sigmoid values, gradients, extremes") {
  check_activation([](const Tensor& x) { return sigmoid(x); }, kXs,
                   {0.04742587317756678, 0.2689414213699951, 0.3775406687981454, 0.5,
                    0.6224593312018546, 0.7310585786300049, 0.9525741268224334},
                   {0.04517665973091214, 0.19661193324148185, 0.2350037122015945, 0.25,
                    0.2350037122015945, 0.19661193324148185, 0.045176659730912});
  // Exactly 0 and 1 with gradient 0 (the two-branch form never computes inf/inf).
  check_extreme([](const Tensor& x) { return sigmoid(x); }, {0.0, 1.0}, {0.0, 0.0});
  // Far tail: tiny values to full relative precision (no 1 - (1 - e) cancellation).
  for (const auto& [dt, xs, expected] :
       std::vector<std::tuple<Dtype, std::vector<double>, std::vector<double>>>{
           {f64,
            {-30.0, -100.0, -700.0},
            {9.357622968839299e-14, 3.7200759760208356e-44, 9.85967654375977e-305}},
           {f32, {-30.0, -80.0}, {9.357623589846195e-14, 1.8048513285848406e-35}}}) {
    INFO("dtype " << dt);
    const auto got = run([](const Tensor& x) { return sigmoid(x); }, xs, dt).y.to_vector<double>();
    const double tol = dt == f64 ? 1e-13 : 1e-6;
    for (std::size_t i = 0; i < got.size(); ++i) CHECK(std::abs(got[i] / expected[i] - 1) < tol);
  }
  check_grads([](const Tensor& x) { return sigmoid(x); }, kSmoothXs);
  CHECK(sigmoid(rand_f64({2, 2})).grad_fn_name() == "sigmoid");
  check_rejects_i64("sigmoid", [](const Tensor& x) { return sigmoid(x); });
}

TEST_CASE("activation tanh values, gradients, extremes") {
  check_activation([](const Tensor& x) { return xg::tanh(x); }, kXs,
                   {-0.9950547536867305, -0.7615941559557649, -0.46211715726000974, 0.0,
                    0.46211715726000974, 0.7615941559557649, 0.9950547536867305},
                   {0.009866037165440166, 0.41997434161402614, 0.7864477329659274, 1.0,
                    0.7864477329659274, 0.41997434161402614, 0.009866037165440166});
  check_extreme([](const Tensor& x) { return xg::tanh(x); }, {-1.0, 1.0}, {0.0, 0.0});
  check_grads([](const Tensor& x) { return xg::tanh(x); }, kSmoothXs);
  check_rejects_i64("tanh", [](const Tensor& x) { return xg::tanh(x); });
}

TEST_CASE("activation relu values, gradients, kink, extremes") {
  // The gradient at x = 0 is 0 (PyTorch's threshold_backward on the result).
  check_activation([](const Tensor& x) { return relu(x); }, kXs,
                   {0.0, 0.0, 0.0, 0.0, 0.5, 1.0, 3.0}, {0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0});
  check_extreme([](const Tensor& x) { return relu(x); }, {0.0, 1000.0}, {0.0, 1.0});
  // relu is piecewise linear: its gradient does not depend on x, so no second order.
  check_grads([](const Tensor& x) { return relu(x); }, kSmoothXs, /*second_order=*/false);
  // Through a broadcast product, so that the gradient reaching relu is not all ones.
  Tensor a =
      tensor({-1.5, 0.3, 2.0, -0.2, 0.8, -0.9}, {2, 3}, {.dtype = f64, .requires_grad = true});
  Tensor b = tensor({0.7, -1.1, 1.9}, {3}, {.dtype = f64, .requires_grad = true});
  check_gradcheck([](const std::vector<Tensor>& in) { return relu(in[0] * in[1]); }, {a, b});
  // NaN propagates like PyTorch's relu.
  CHECK(std::isnan(relu(tensor({std::nan("")})).item()));
  check_rejects_i64("relu", [](const Tensor& x) { return relu(x); });
}

TEST_CASE("activation leaky_relu values, gradients, kink, extremes") {
  // Default slope 0.01; at x = 0 the gradient is the slope (PyTorch: x > 0 ? g : g * slope).
  check_activation([](const Tensor& x) { return leaky_relu(x); }, kXs,
                   {-0.03, -0.01, -0.005, 0.0, 0.5, 1.0, 3.0},
                   {0.01, 0.01, 0.01, 0.01, 1.0, 1.0, 1.0});
  check_activation([](const Tensor& x) { return leaky_relu(x, 0.2); }, kXs,
                   {-0.6000000000000001, -0.2, -0.1, 0.0, 0.5, 1.0, 3.0},
                   {0.2, 0.2, 0.2, 0.2, 1.0, 1.0, 1.0});
  check_extreme([](const Tensor& x) { return leaky_relu(x); }, {-10.0, 1000.0}, {0.01, 1.0});
  check_grads([](const Tensor& x) { return leaky_relu(x, 0.3); }, kSmoothXs,
              /*second_order=*/false);
  check_rejects_i64("leaky_relu", [](const Tensor& x) { return leaky_relu(x); });
}

TEST_CASE("activation softplus values, threshold, gradients, extremes") {
  check_activation([](const Tensor& x) { return softplus(x); }, kXs,
                   {0.04858735157374206, 0.31326168751822286, 0.4740769841801067,
                    0.6931471805599453, 0.9740769841801067, 1.3132616875182228, 3.048587351573742},
                   {0.04742587317756679, 0.2689414213699951, 0.37754066879814546, 0.5,
                    0.6224593312018546, 0.7310585786300049, 0.9525741268224333});
  // beta = 2, threshold = 1: linear (y = x, gradient 1) only where beta x > 1 strictly;
  // x = 0.5 (beta x = 1 exactly) still takes the log branch.
  check_activation([](const Tensor& x) { return softplus(x, 2.0, 1.0); },
                   {-3.0, -0.5, 0.0, 0.4, 0.5, 0.6, 3.0},
                   {0.0012378425688652247, 0.15663084375911143, 0.34657359027997264,
                    0.5855503329738889, 0.6566308437591114, 0.6, 3.0},
                   {0.0024726231566347748, 0.2689414213699951, 0.5, 0.6899744811276125,
                    0.7310585786300049, 1.0, 1.0});
  check_extreme([](const Tensor& x) { return softplus(x); }, {0.0, 1000.0}, {0.0, 1.0});
  // A threshold far above the default must not overflow exp (stable form).
  const ForwardBackward big =
      run([](const Tensor& x) { return softplus(x, 1.0, 1e30); }, {-1000.0, 1000.0}, f32);
  check_values(big.y, {0.0, 1000.0}, 0.0);
  check_values(big.grad, {0.0, 1.0}, 0.0);
  check_grads([](const Tensor& x) { return softplus(x); }, kSmoothXs);
  check_grads([](const Tensor& x) { return softplus(x, 1.7, 2.0); }, kSmoothXs);
  check_rejects_i64("softplus", [](const Tensor& x) { return softplus(x); });
  check_throws<ValueError>([] { softplus(tensor({1.0}), 0.0); }, {"softplus", "beta"});
}

TEST_CASE("activation gelu exact and tanh values, gradients, extremes") {
  check_activation([](const Tensor& x) { return gelu(x); }, kXs,
                   {-0.00404969409489031, -0.15865525393145702, -0.15426876936299344, 0.0,
                    0.34573123063700656, 0.841344746068543, 2.99595030590511},
                   {-0.01194564720418392, -0.08331547058768635, 0.13250487534383712, 0.5,
                    0.8674951246561629, 1.0833154705876864, 1.011945647204184});
  check_activation([](const Tensor& x) { return gelu(x, "tanh"); }, kXs,
                   {-0.0036373920817729943, -0.15880800939172324, -0.15428599017485606, 0.0,
                    0.34571400982514394, 0.8411919906082768, 2.996362607918227},
                   {-0.011584166630969648, -0.08296408384578252, 0.13263009646535764, 0.5,
                    0.8673699035346424, 1.0829640838457826, 1.0115841666309695});
  check_extreme([](const Tensor& x) { return gelu(x); }, {0.0, 1000.0}, {0.0, 1.0});
  check_extreme([](const Tensor& x) { return gelu(x, "tanh"); }, {0.0, 1000.0}, {0.0, 1.0});
  // |x| = 1e20 in f32: x * x overflows inside the tanh form's derivative. PyTorch 1.13
  // returns nan there (0 * inf); we return the limits 0 and 1.
  const ForwardBackward huge =
      run([](const Tensor& x) { return gelu(x, "tanh"); }, {-1e20, 1e20}, f32);
  check_values(huge.y, {0.0, static_cast<double>(1e20f)}, 0.0);  // y = x exactly
  check_values(huge.grad, {0.0, 1.0}, 0.0);
  // Second order goes through the recorded gelu_backward op and its own backward.
  check_grads([](const Tensor& x) { return gelu(x); }, kSmoothXs);
  check_grads([](const Tensor& x) { return gelu(x, "tanh"); }, kSmoothXs);
  check_rejects_i64("gelu", [](const Tensor& x) { return gelu(x); });
  check_throws<ValueError>([] { gelu(tensor({1.0}), "erf"); }, {"gelu", "\"erf\"", "tanh"});
}

TEST_CASE("activation elu values, kink, gradients, extremes") {
  check_activation(
      [](const Tensor& x) { return elu(x); }, kXs,
      {-0.950212931632136, -0.6321205588285577, -0.3934693402873666, 0.0, 0.5, 1.0, 3.0},
      {0.049787068367863944, 0.36787944117144233, 0.6065306597126334, 1.0, 1.0, 1.0, 1.0});
  // alpha = 2: at x = 0 the gradient is alpha (PyTorch's elu_backward uses x <= 0).
  check_activation(
      [](const Tensor& x) { return elu(x, 2.0); }, kXs,
      {-1.900425863264272, -1.2642411176571153, -0.7869386805747332, 0.0, 0.5, 1.0, 3.0},
      {0.09957413673572789, 0.7357588823428847, 1.2130613194252668, 2.0, 1.0, 1.0, 1.0});
  check_extreme([](const Tensor& x) { return elu(x); }, {-1.0, 1000.0}, {0.0, 1.0});
  check_grads([](const Tensor& x) { return elu(x, 1.5); }, kSmoothXs);
  check_rejects_i64("elu", [](const Tensor& x) { return elu(x); });
}

TEST_CASE("activation results record no graph under NoGradGuard or without grad") {
  Tensor x = rand_f64({3});
  Tensor plain = tensor({1.0, -2.0});
  CHECK_FALSE(gelu(plain).requires_grad());
  NoGradGuard guard;
  CHECK_FALSE(sigmoid(x).requires_grad());
  CHECK_FALSE(relu(x).requires_grad());
  CHECK_FALSE(gelu(x, "tanh").requires_grad());
}
