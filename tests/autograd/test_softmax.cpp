// Tests of autograd/ops/softmax.hpp: values against NumPy on several axes (both the
// last-axis and the strided loops), extreme inputs (+-1000), gradient values, float64
// gradchecks of first and second order, and bad inputs.
//
// Expected numbers come from NumPy 1.24 (Debian python3-numpy) in float64:
//   e = np.exp(x - x.max(axis, keepdims=True)); softmax = e / e.sum(axis, keepdims=True)
//   log_softmax = x - m - np.log(np.exp(x - m).sum(axis, keepdims=True)), m the max
#include <cmath>
#include <functional>
#include <vector>

#include "support/check.hpp"

using namespace xg;
using xg::test::check_gradcheck;
using xg::test::check_throws;
using xg::test::check_values;
using xg::test::rand_f64;

namespace {

using Unary = std::function<Tensor(const Tensor&)>;

// First- and second-order gradchecks of f at x. The second-order check differentiates
// grad(sum(f(x) * c)) for a fixed random c: with c = ones the softmax gradient is zero.
void check_grads(const Unary& f, const Tensor& x) {
  check_gradcheck([&](const std::vector<Tensor>& in) { return f(in[0]); }, {x});
  Tensor c;
  {
    NoGradGuard ng;
    c = uniform(x.shape(), -1.0, 1.0, {.dtype = f64});
  }
  check_gradcheck(
      [&](const std::vector<Tensor>& in) {
        EnableGradGuard enable;  // gradcheck perturbs under NoGradGuard
        Tensor y = f(in[0]);
        return grad({sum(y * y * c)}, {in[0]}, {.create_graph = true})[0];
      },
      {x});
}

// x = (np.arange(24.).reshape(2, 3, 4) % 5) - 2
Tensor t3(Dtype dt) {
  return tensor({-2, -1, 0, 1, 2, -2, -1, 0, 1, 2, -2, -1, 0, 1, 2, -2, -1, 0, 1, 2, -2, -1, 0, 1},
                {2, 3, 4}, {.dtype = dt});
}

}  // namespace

TEST_CASE("softmax: values on a 1-D tensor and on each axis of 2-D and 3-D tensors") {
  for (Dtype dt : {f32, f64}) {
    INFO("dtype " << dt);
    const double tol = dt == f64 ? 1e-12 : 1e-6;
    Tensor y = softmax(tensor({1, 2, 3}, {3}, {.dtype = dt}));
    CHECK(y.dtype() == dt);
    check_values(y, {0.09003057317038043, 0.24472847105479767, 0.6652409557748218}, tol);

    Tensor t = tensor({1, 2, 3, -1, 0, 4}, {2, 3}, {.dtype = dt});
    const std::vector<double> ax1 = {0.09003057317038043,  0.24472847105479767, 0.6652409557748218,
                                     0.006573263185309083, 0.0178679818703045,  0.9755587549443865};
    check_values(softmax(t, 1), ax1, tol);
    check_values(softmax(t, -1), ax1, tol);
    const std::vector<double> ax0 = {0.8807970779778825,  0.8807970779778825,  0.26894142136999516,
                                     0.11920292202211755, 0.11920292202211755, 0.7310585786300049};
    check_values(softmax(t, 0), ax0, tol);
    check_values(softmax(t, -2), ax0, tol);

    Tensor s = softmax(t3(dt), 1);
    CHECK(s.shape() == Shape{2, 3, 4});
    check_values(
        s, {0.013212886953789414, 0.04661262257797389, 0.6652409557748219,  0.6652409557748219,
            0.7213991842739687,   0.01714782554552039, 0.24472847105479772, 0.24472847105479772,
            0.265387928772242,    0.9362395518765058,  0.09003057317038045, 0.09003057317038045,
            0.6652409557748219,   0.6652409557748219,  0.6652409557748219,  0.013212886953789414,
            0.24472847105479772,  0.24472847105479772, 0.24472847105479772, 0.7213991842739687,
            0.09003057317038045,  0.09003057317038045, 0.09003057317038045, 0.265387928772242},
        tol);
  }
}

TEST_CASE("log_softmax: values on a 1-D tensor and on several axes") {
  for (Dtype dt : {f32, f64}) {
    INFO("dtype " << dt);
    const double tol = dt == f64 ? 1e-12 : 1e-6;
    check_values(log_softmax(tensor({1, 2, 3}, {3}, {.dtype = dt})),
                 {-2.4076059644443806, -1.4076059644443804, -0.40760596444438035}, tol);
    Tensor t = tensor({1, 2, 3, -1, 0, 4}, {2, 3}, {.dtype = dt});
    check_values(log_softmax(t, 0),
                 {-0.1269280110429724, -0.1269280110429724, -1.3132616875182228,
                  -2.1269280110429722, -2.1269280110429722, -0.3132616875182228},
                 tol);
    check_values(
        log_softmax(t3(dt), 1),
        {-4.32656264126747,    -3.0658839037574293,  -0.40760596444438024, -0.40760596444438024,
         -0.3265626412674705,  -4.065883903757429,   -1.4076059644443801,  -1.4076059644443801,
         -1.3265626412674705,  -0.06588390375742911, -2.40760596444438,    -2.40760596444438,
         -0.40760596444438024, -0.40760596444438024, -0.40760596444438024, -4.32656264126747,
         -1.4076059644443801,  -1.4076059644443801,  -1.4076059644443801,  -0.3265626412674705,
         -2.40760596444438,    -2.40760596444438,    -2.40760596444438,    -1.3265626412674705},
        tol);
    check_values(
        log_softmax(t3(dt), 0),
        {-2.1269280110429722,  -2.1269280110429722,  -2.1269280110429722, -0.04858735157374197,
         -0.04858735157374197, -2.1269280110429722,  -2.1269280110429722, -2.1269280110429722,
         -0.04858735157374197, -0.04858735157374197, -2.1269280110429722, -2.1269280110429722,
         -0.1269280110429724,  -0.1269280110429724,  -0.1269280110429724, -3.048587351573742,
         -3.048587351573742,   -0.1269280110429724,  -0.1269280110429724, -0.1269280110429724,
         -3.048587351573742,   -3.048587351573742,   -0.1269280110429724, -0.1269280110429724},
        tol);
  }
}

TEST_CASE("softmax: rows sum to one and log_softmax is its log, on long rows") {
  manual_seed(5);
  Tensor x = randn({7, 300}, {.dtype = f64}) * 5.0;
  const auto s = softmax(x).to_vector<double>();
  const auto l = log_softmax(x).to_vector<double>();
  for (std::size_t r = 0; r < 7; ++r) {
    double total = 0.0;
    for (std::size_t i = 0; i < 300; ++i) {
      total += s[r * 300 + i];
      CHECK(std::log(s[r * 300 + i]) == doctest::Approx(l[r * 300 + i]).epsilon(1e-10));
    }
    CHECK(total == doctest::Approx(1.0).epsilon(1e-12));
  }
}

TEST_CASE("softmax: extreme inputs stay exact and finite") {
  for (Dtype dt : {f32, f64}) {
    INFO("dtype " << dt);
    check_values(softmax(tensor({1000, -1000}, {2}, {.dtype = dt})), {1.0, 0.0}, 0.0);
    check_values(softmax(tensor({-1000, 1000}, {2}, {.dtype = dt})), {0.0, 1.0}, 0.0);
    check_values(softmax(tensor({1000, 1000}, {2}, {.dtype = dt})), {0.5, 0.5}, 0.0);
    Tensor l = log_softmax(tensor({1000, -1000}, {2}, {.dtype = dt}));
    check_values(l, {0.0, -2000.0}, 0.0);
    // Along axis 0 (the strided loop) as well.
    check_values(softmax(tensor({1000, 5, -1000, 5}, {2, 2}, {.dtype = dt}), 0), {1, 0.5, 0, 0.5},
                 0.0);
    check_values(log_softmax(tensor({1000, 5, -1000, 5}, {2, 2}, {.dtype = dt}), 0),
                 {0, -std::log(2.0), -2000, -std::log(2.0)}, 1e-6);
    // Gradients at the extremes are finite too.
    Tensor x = tensor({1000, -1000}, {2}, {.dtype = dt, .requires_grad = true});
    log_softmax(x).sum().backward();
    check_values(x.grad(), {-1.0, 1.0}, 0.0);  // 1 - 2 * softmax
  }
}

TEST_CASE("softmax: gradient values (numpy) and grad_fn names") {
  // x = [1, 2, 3], g = [1, 0, 0]: softmax: y * (g - sum(g * y)); log_softmax: g - y * sum(g).
  Tensor x = tensor({1, 2, 3}, {3}, {.dtype = f64, .requires_grad = true});
  Tensor y = softmax(x);
  CHECK(y.grad_fn_name() == "softmax");
  y.backward(tensor({1, 0, 0}, {3}, {.dtype = f64}));
  check_values(x.grad(), {0.08192506906499324, -0.022033044520174298, -0.059892024544818935},
               1e-12);
  Tensor x2 = tensor({1, 2, 3}, {3}, {.dtype = f64, .requires_grad = true});
  Tensor l = log_softmax(x2);
  CHECK(l.grad_fn_name() == "log_softmax");
  l.backward(tensor({1, 0, 0}, {3}, {.dtype = f64}));
  check_values(x2.grad(), {0.9099694268296196, -0.24472847105479767, -0.6652409557748219}, 1e-12);
}

TEST_CASE("softmax: gradchecks on several axes (first and second order)") {
  manual_seed(31);
  Tensor x = rand_f64({2, 3, 4}, -2.0, 2.0);
  for (std::int64_t axis : {0, 1, 2, -1}) {
    INFO("axis " << axis);
    check_grads([axis](const Tensor& t) { return softmax(t, axis); }, x);
  }
  check_grads([](const Tensor& t) { return softmax(t); }, rand_f64({5}, -2.0, 2.0));
}

TEST_CASE("log_softmax: gradchecks on several axes (first and second order)") {
  manual_seed(32);
  Tensor x = rand_f64({2, 3, 4}, -2.0, 2.0);
  for (std::int64_t axis : {0, 1, 2, -2}) {
    INFO("axis " << axis);
    check_grads([axis](const Tensor& t) { return log_softmax(t, axis); }, x);
  }
  check_grads([](const Tensor& t) { return log_softmax(t); }, rand_f64({5}, -2.0, 2.0));
}

TEST_CASE("softmax: 0-D and empty tensors") {
  check_values(softmax(scalar_tensor(3.0)), {1.0}, 0.0);
  check_values(log_softmax(scalar_tensor(3.0), 0), {0.0}, 0.0);
  CHECK(softmax(zeros({0, 3})).shape() == Shape{0, 3});
  CHECK(log_softmax(zeros({2, 0}), 1).shape() == Shape{2, 0});
}

TEST_CASE("softmax: bad inputs name the op and the shape") {
  for (const char* op : {"softmax", "log_softmax"}) {
    INFO(op);
    const auto f = [op](const Tensor& x, std::int64_t axis) {
      return std::string(op) == "softmax" ? softmax(x, axis) : log_softmax(x, axis);
    };
    check_throws<ShapeError>([&] { f(zeros({2, 3}), 2); }, {op, "axis 2", "(2, 3)"});
    check_throws<ShapeError>([&] { f(zeros({2, 3}), -3); }, {op, "-3", "(2, 3)"});
    check_throws<ShapeError>([&] { f(scalar_tensor(1.0), 1); }, {op, "()"});
    check_throws<DtypeError>([&] { f(tensor_i64({1, 2, 3}), -1); }, {op, "i64", "(3)"});
    check_throws<GraphError>([&] { f(Tensor(), -1); }, {op});
  }
}
