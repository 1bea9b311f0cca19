// Tests of autograd/ops/linalg.hpp (matmul, linear): values against hand-computed and
// NumPy numbers, every NumPy/PyTorch matmul case (1-D, 2-D, batched, broadcast batch),
// float64 gradchecks of first and second order, and bad inputs.
//
// Numbers marked "numpy" were produced with NumPy 1.24 (Debian python3-numpy) in float64,
// e.g. (np.arange(12.).reshape(2, 3, 2) * 0.5 - 1) @ b; the others are worked by hand.
#include <array>
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

using Fn = std::function<Tensor(const std::vector<Tensor>&)>;

// First-order gradcheck of fn, and a second-order one of each input's gradient of
// sum(fn(x) * fn(x) * c) for a fixed random c (non-linear, so every gradient depends on
// every input, and c is not symmetric, so a wrong transpose shows).
void check_grads(const Fn& fn, const std::vector<Tensor>& inputs) {
  check_gradcheck(fn, inputs);
  Tensor c;
  {
    NoGradGuard ng;
    c = uniform(fn(inputs).shape(), 0.5, 1.5, {.dtype = f64});
  }
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    INFO("second order, input " << i);
    check_gradcheck(
        [&, i](const std::vector<Tensor>& in) {
          // gradcheck perturbs under NoGradGuard; the inner grad() needs a graph.
          EnableGradGuard enable;
          Tensor y = fn(in);
          return grad({sum(y * y * c)}, {in[i]}, {.create_graph = true})[0];
        },
        inputs);
  }
}

// Plain triple loop: c = a (m x k) @ b (k x n), all row-major.
std::vector<double> naive_matmul(const std::vector<double>& a, const std::vector<double>& b,
                                 std::int64_t m, std::int64_t k, std::int64_t n) {
  std::vector<double> c(static_cast<std::size_t>(m * n), 0.0);
  for (std::int64_t i = 0; i < m; ++i)
    for (std::int64_t j = 0; j < n; ++j)
      for (std::int64_t p = 0; p < k; ++p) c[i * n + j] += a[i * k + p] * b[p * n + j];
  return c;
}

}  // namespace

// ---- matmul values -------------------------------------------------------------------

TEST_CASE("matmul: 2-D values in f32 and f64") {
  for (Dtype dt : {f32, f64}) {
    INFO("dtype " << dt);
    Tensor a = tensor({1, 2, 3, 4, 5, 6}, {2, 3}, {.dtype = dt});
    Tensor b = tensor({7, 8, 9, 10, 11, 12}, {3, 2}, {.dtype = dt});
    Tensor c = matmul(a, b);
    CHECK(c.shape() == Shape{2, 2});
    CHECK(c.dtype() == dt);
    check_values(c, {58, 64, 139, 154}, 0.0);  // by hand
    check_values(a.matmul(b), {58, 64, 139, 154}, 0.0);
  }
}

TEST_CASE("matmul: 1-D operands (dot, vector-matrix, matrix-vector)") {
  for (Dtype dt : {f32, f64}) {
    INFO("dtype " << dt);
    Tensor d = matmul(tensor({1, 2, 3}, {3}, {.dtype = dt}), tensor({4, 5, 6}, {3}, {.dtype = dt}));
    CHECK(d.shape() == Shape{});
    CHECK(d.item() == 32.0);
    Tensor m = tensor({1, 2, 3, 4, 5, 6}, {2, 3}, {.dtype = dt});
    Tensor vm = matmul(tensor({1, 2}, {2}, {.dtype = dt}), m);
    CHECK(vm.shape() == Shape{3});
    check_values(vm, {9, 12, 15}, 0.0);
    Tensor mv = matmul(m, tensor({1, 0, -1}, {3}, {.dtype = dt}));
    CHECK(mv.shape() == Shape{2});
    check_values(mv, {-2, -2}, 0.0);
  }
}

TEST_CASE("matmul: batched and broadcast batch values (numpy)") {
  // a = np.arange(12.).reshape(2, 3, 2) * 0.5 - 1; b as below; a @ b
  Tensor a = arange(12.0, {.dtype = f64}).reshape({2, 3, 2}) * 0.5 - 1.0;
  Tensor b = tensor({1, -2, 0.5, 3, 2, 1, -1, 0}, {2, 4}, {.dtype = f64});
  Tensor c = matmul(a, b);
  CHECK(c.shape() == Shape{2, 3, 4});
  check_values(c, {-2.0, 1.5,  0.0,  -3.0, 1.0,  0.5,  -0.5, 0.0, 4.0,  -0.5, -1.0, 3.0,
                   7.0,  -1.5, -1.5, 6.0,  10.0, -2.5, -2.0, 9.0, 13.0, -3.5, -2.5, 12.0},
               1e-12);

  // (np.arange(6.).reshape(2, 1, 2, 3) - 5) @ (np.arange(18.).reshape(3, 3, 2) * 0.25)
  Tensor a4 = arange(12.0, {.dtype = f64}).reshape({2, 1, 2, 3}) - 5.0;
  Tensor b3 = arange(18.0, {.dtype = f64}).reshape({3, 3, 2}) * 0.25;
  Tensor c4 = matmul(a4, b3);
  CHECK(c4.shape() == Shape{2, 3, 2, 2});
  check_values(c4, {-5.0, -8.0, -0.5, -1.25, -23.0, -26.0, -5.0, -5.75, -41.0, -44.0, -9.5, -10.25,
                    4.0,  5.5,  8.5,  12.25, 13.0,  14.5,  31.0, 34.75, 22.0,  23.5,  53.5, 57.25},
               1e-12);

  // np.array([1., -1.]) @ np.arange(12.).reshape(2, 2, 3), and ... @ np.array([2., 0., -1.])
  Tensor m3 = arange(12.0, {.dtype = f64}).reshape({2, 2, 3});
  Tensor vm = matmul(tensor({1, -1}, {2}, {.dtype = f64}), m3);
  CHECK(vm.shape() == Shape{2, 3});
  check_values(vm, {-3, -3, -3, -3, -3, -3}, 0.0);
  Tensor mv = matmul(m3, tensor({2, 0, -1}, {3}, {.dtype = f64}));
  CHECK(mv.shape() == Shape{2, 2});
  check_values(mv, {-2, 1, 4, 7}, 0.0);
}

TEST_CASE("matmul: the (2, 1, 3, 4) @ (5, 4, 6) broadcast against a plain loop") {
  manual_seed(3);
  Tensor a = randn({2, 1, 3, 4}, {.dtype = f64});
  Tensor b = randn({5, 4, 6}, {.dtype = f64});
  Tensor c = matmul(a, b);
  REQUIRE(c.shape() == Shape{2, 5, 3, 6});
  const auto av = a.to_vector<double>(), bv = b.to_vector<double>(), cv = c.to_vector<double>();
  for (std::int64_t i = 0; i < 2; ++i) {
    for (std::int64_t j = 0; j < 5; ++j) {
      std::vector<double> am(av.begin() + i * 12, av.begin() + (i + 1) * 12);
      std::vector<double> bm(bv.begin() + j * 24, bv.begin() + (j + 1) * 24);
      const auto ref = naive_matmul(am, bm, 3, 4, 6);
      for (std::size_t e = 0; e < ref.size(); ++e) {
        CHECK(cv[static_cast<std::size_t>((i * 5 + j) * 18) + e] ==
              doctest::Approx(ref[e]).epsilon(1e-12));
      }
    }
  }
}

TEST_CASE("matmul: larger f32 products (GEMM and GEMV paths) against a plain loop") {
  manual_seed(7);
  // (m, k, n): a general GEMM, a matrix-vector shape and a vector-matrix shape.
  for (auto [m, k, n] :
       std::vector<std::array<std::int64_t, 3>>{{37, 65, 29}, {50, 40, 1}, {1, 40, 50}}) {
    INFO("m=" << m << " k=" << k << " n=" << n);
    Tensor a = randn({m, k});
    Tensor b = randn({k, n});
    const auto ref = naive_matmul(a.to_vector<double>(), b.to_vector<double>(), m, k, n);
    check_values(matmul(a, b), ref, 1e-4);
  }
}

TEST_CASE("matmul: empty sizes give empty or zero results") {
  Tensor z = matmul(zeros({2, 0}), zeros({0, 3}));
  CHECK(z.shape() == Shape{2, 3});
  check_values(z, std::vector<double>(6, 0.0), 0.0);
  CHECK(matmul(zeros({0, 3}), ones({3, 2})).shape() == Shape{0, 2});
  CHECK(matmul(zeros({0}), zeros({0})).item() == 0.0);
}

TEST_CASE("matmul: gradient values (by hand) and grad_fn name") {
  Tensor a = tensor({1, 2, 3, 4, 5, 6}, {2, 3}, {.dtype = f64, .requires_grad = true});
  Tensor b = tensor({7, 8, 9, 10, 11, 12}, {3, 2}, {.dtype = f64, .requires_grad = true});
  Tensor c = matmul(a, b);
  CHECK(c.grad_fn_name() == "matmul");
  c.sum().backward();
  check_values(a.grad(), {15, 19, 23, 15, 19, 23}, 0.0);  // ones(2, 2) @ b^T
  check_values(b.grad(), {5, 5, 7, 7, 9, 9}, 0.0);        // a^T @ ones(2, 2)
  CHECK(matmul(tensor({1, 2}, {2}, {.requires_grad = true}), tensor({3, 4})).grad_fn_name() ==
        "matmul");
}

TEST_CASE("matmul: broadcast batch gradients are summed back to each input's shape") {
  Tensor a = ones({3, 2}, {.dtype = f64, .requires_grad = true});
  Tensor b = ones({4, 2, 5}, {.dtype = f64, .requires_grad = true});
  matmul(a, b).sum().backward();
  CHECK(a.grad().shape() == Shape{3, 2});
  check_values(a.grad(), std::vector<double>(6, 20.0), 0.0);  // 4 batches x 5 columns
  CHECK(b.grad().shape() == Shape{4, 2, 5});
  check_values(b.grad(), std::vector<double>(40, 3.0), 0.0);  // 3 rows
}

// ---- matmul gradchecks ---------------------------------------------------------------

TEST_CASE("matmul: gradcheck 1-D x 1-D, 1-D x 2-D, 2-D x 1-D, 2-D x 2-D") {
  manual_seed(11);
  const Fn mm = [](const std::vector<Tensor>& in) { return matmul(in[0], in[1]); };
  SUBCASE("1-D x 1-D") { check_grads(mm, {rand_f64({4}), rand_f64({4})}); }
  SUBCASE("1-D x 2-D") { check_grads(mm, {rand_f64({3}), rand_f64({3, 5})}); }
  SUBCASE("2-D x 1-D") { check_grads(mm, {rand_f64({4, 3}), rand_f64({3})}); }
  SUBCASE("2-D x 2-D") { check_grads(mm, {rand_f64({3, 4}), rand_f64({4, 2})}); }
}

TEST_CASE("matmul: gradcheck batched and broadcast batch") {
  manual_seed(12);
  const Fn mm = [](const std::vector<Tensor>& in) { return matmul(in[0], in[1]); };
  SUBCASE("3-D x 3-D") { check_grads(mm, {rand_f64({2, 3, 4}), rand_f64({2, 4, 2})}); }
  SUBCASE("3-D x 2-D") { check_grads(mm, {rand_f64({2, 3, 4}), rand_f64({4, 2})}); }
  SUBCASE("2-D x 3-D") { check_grads(mm, {rand_f64({3, 4}), rand_f64({2, 4, 2})}); }
  SUBCASE("4-D x 3-D") { check_grads(mm, {rand_f64({2, 1, 3, 4}), rand_f64({3, 4, 2})}); }
  SUBCASE("3-D x 1-D") { check_grads(mm, {rand_f64({2, 3, 4}), rand_f64({4})}); }
  SUBCASE("1-D x 3-D") { check_grads(mm, {rand_f64({4}), rand_f64({2, 4, 3})}); }
  SUBCASE("size-1 batch x 3-D") { check_grads(mm, {rand_f64({1, 2, 3}), rand_f64({3, 3, 2})}); }
}

// ---- matmul bad inputs ---------------------------------------------------------------

TEST_CASE("matmul: bad inputs name the op and the shapes") {
  check_throws<ShapeError>(
      [] {
        matmul(zeros({2, 3}), zeros({4, 5}));
      },
      {"matmul: cannot multiply (2, 3) by (4, 5): inner sizes 3 and 4 differ"});
  check_throws<ShapeError>([] { matmul(zeros({3}), zeros({4})); },
                           {"matmul", "(3)", "(4)", "inner"});
  check_throws<ShapeError>(
      [] {
        matmul(zeros({2, 3, 4}), zeros({3, 4, 5}));
      },
      {"matmul", "(2, 3, 4)", "(3, 4, 5)", "batch"});
  check_throws<ShapeError>([] { matmul(scalar_tensor(2.0), zeros({3})); }, {"matmul", "()", "(3)"});
  check_throws<ShapeError>([] { matmul(zeros({3}), scalar_tensor(2.0)); }, {"matmul", "()", "(3)"});
  check_throws<DtypeError>(
      [] {
        matmul(zeros({2, 2}), zeros({2, 2}, {.dtype = f64}));
      },
      {"matmul", "f32", "f64"});
  check_throws<DtypeError>(
      [] {
        matmul(tensor_i64({1, 2, 3, 4}, {2, 2}), zeros({2, 2}));
      },
      {"matmul", "i64"});
  check_throws<GraphError>([] { matmul(Tensor(), zeros({2, 2})); }, {"matmul"});
}

// ---- linear ----------------------------------------------------------------------------

TEST_CASE("linear: values with and without bias, 1-D, 2-D and 3-D input") {
  for (Dtype dt : {f32, f64}) {
    INFO("dtype " << dt);
    Tensor x = tensor({1, 2, 3, 4, 5, 6}, {2, 3}, {.dtype = dt});
    Tensor w = tensor({1, 0, -1, 0.5, 0.5, 0.5}, {2, 3}, {.dtype = dt});
    Tensor b = tensor({10, 20}, {2}, {.dtype = dt});
    // By hand: x @ w^T = [[-2, 3], [-2, 7.5]].
    Tensor y = linear(x, w, b);
    CHECK(y.shape() == Shape{2, 2});
    CHECK(y.dtype() == dt);
    check_values(y, {8, 23, 8, 27.5}, 0.0);
    check_values(linear(x, w), {-2, 3, -2, 7.5}, 0.0);
    Tensor y1 = linear(tensor({1, 2, 3}, {3}, {.dtype = dt}), w, b);
    CHECK(y1.shape() == Shape{2});
    check_values(y1, {8, 23}, 0.0);
    // numpy: np.arange(12.).reshape(2, 2, 3) * 0.1 @ w.T + b
    Tensor x3 = arange(12.0, {.dtype = dt}).reshape({2, 2, 3}) * 0.1;
    Tensor y3 = linear(x3, w, b);
    CHECK(y3.shape() == Shape{2, 2, 2});
    check_values(y3, {9.8, 20.15, 9.8, 20.6, 9.8, 21.05, 9.8, 21.5}, dt == f64 ? 1e-12 : 1e-6);
  }
}

TEST_CASE("linear: gradient values (numpy) and grad_fn name") {
  Tensor x = tensor({1, 2, 3, 4, 5, 6}, {2, 3}, {.dtype = f64, .requires_grad = true});
  Tensor w = tensor({1, 0, -1, 0.5, 0.5, 0.5}, {2, 3}, {.dtype = f64, .requires_grad = true});
  Tensor b = tensor({10, 20}, {2}, {.dtype = f64, .requires_grad = true});
  Tensor y = linear(x, w, b);
  CHECK(y.grad_fn_name() == "linear");
  // g = [[1, 2], [3, 4]]: dx = g @ w, dw = g^T @ x, db = g.sum(0)
  y.backward(tensor({1, 2, 3, 4}, {2, 2}, {.dtype = f64}));
  check_values(x.grad(), {2, 1, 0, 5, 2, -1}, 0.0);
  check_values(w.grad(), {13, 17, 21, 18, 24, 30}, 0.0);
  check_values(b.grad(), {4, 6}, 0.0);
}

TEST_CASE("linear: gradchecks with and without bias, 1-D and 3-D input") {
  manual_seed(21);
  SUBCASE("2-D with bias") {
    check_grads([](const std::vector<Tensor>& in) { return linear(in[0], in[1], in[2]); },
                {rand_f64({4, 3}), rand_f64({2, 3}), rand_f64({2})});
  }
  SUBCASE("2-D without bias") {
    check_grads([](const std::vector<Tensor>& in) { return linear(in[0], in[1]); },
                {rand_f64({4, 3}), rand_f64({5, 3})});
  }
  SUBCASE("3-D with bias") {
    check_grads([](const std::vector<Tensor>& in) { return linear(in[0], in[1], in[2]); },
                {rand_f64({2, 3, 4}), rand_f64({2, 4}), rand_f64({2})});
  }
  SUBCASE("1-D with bias") {
    check_grads([](const std::vector<Tensor>& in) { return linear(in[0], in[1], in[2]); },
                {rand_f64({3}), rand_f64({2, 3}), rand_f64({2})});
  }
}

TEST_CASE("linear: agrees with matmul of the transposed weight plus bias") {
  manual_seed(22);
  Tensor x = randn({5, 7, 16});
  Tensor w = randn({9, 16});
  Tensor b = randn({9});
  const auto ref = (matmul(x, w.t()) + b).to_vector<double>();
  check_values(linear(x, w, b), ref, 1e-5);
}

TEST_CASE("linear: batches smaller, equal and larger than out_features against a plain loop") {
  // In f32, x @ w^T is computed as (w @ x^T)^T when the batch is smaller than
  // out_features and in_features >= 256 (Note [gemm orientation] in linalg.cpp: here
  // (2, 784, 256) and (5, 300, 37), whose 16 x 16 transpose tiles are partial); the other
  // shapes and f64 take the direct GEMM. With and without the bias (the GEMM's initial
  // value), and the gradient of x (g @ w) too.
  manual_seed(23);
  for (Dtype dt : {f32, f64}) {
    for (auto [rows, in, out] : std::vector<std::array<std::int64_t, 3>>{
             {3, 20, 50}, {50, 20, 3}, {17, 33, 17}, {2, 784, 256}, {5, 300, 37}, {64, 40, 65}}) {
      INFO("dtype " << dtype_name(dt) << ", rows=" << rows << " in=" << in << " out=" << out);
      Tensor x = randn({rows, in}, {.dtype = dt});
      Tensor w = randn({out, in}, {.dtype = dt, .requires_grad = true});
      Tensor b = randn({out}, {.dtype = dt});
      Tensor xg = x.detach().requires_grad_();
      const auto ref =
          naive_matmul(x.to_vector<double>(), w.t().to_vector<double>(), rows, in, out);
      std::vector<double> ref_b = ref;
      const auto bv = b.to_vector<double>();
      for (std::int64_t i = 0; i < rows; ++i)
        for (std::int64_t j = 0; j < out; ++j) ref_b[i * out + j] += bv[j];
      const double tol = dt == f32 ? 1e-4 : 1e-12;
      check_values(linear(x, w, Tensor()), ref, tol);
      Tensor y = linear(xg, w, b);
      check_values(y, ref_b, tol);
      // dx = g @ w with g = 1: each row of dx is the column sums of w.
      y.sum().backward();
      const auto wv = w.to_vector<double>();
      std::vector<double> dx(static_cast<std::size_t>(rows * in), 0.0);
      for (std::int64_t i = 0; i < rows; ++i)
        for (std::int64_t p = 0; p < in; ++p)
          for (std::int64_t j = 0; j < out; ++j) dx[i * in + p] += wv[j * in + p];
      check_values(xg.grad(), dx, tol);
    }
  }
}

TEST_CASE("linear: bad inputs name the op and the shapes of input and weight") {
  check_throws<ShapeError>(
      [] {
        linear(zeros({2, 3}), zeros({4, 5}));
      },
      {"linear", "(2, 3)", "(4, 5)", "3", "5"});
  check_throws<ShapeError>([] { linear(zeros({2, 3}), zeros({3})); }, {"linear", "(2, 3)", "(3)"});
  check_throws<ShapeError>(
      [] {
        linear(scalar_tensor(1.0), zeros({2, 1}));
      },
      {"linear", "()", "(2, 1)"});
  check_throws<ShapeError>(
      [] {
        linear(zeros({2, 3}), zeros({4, 3}), zeros({3}));
      },
      {"linear", "(2, 3)", "(4, 3)", "bias", "(4)"});
  check_throws<DtypeError>(
      [] {
        linear(zeros({2, 3}), zeros({4, 3}, {.dtype = f64}));
      },
      {"linear", "f32", "f64"});
  check_throws<DtypeError>(
      [] {
        linear(zeros({2, 3}), zeros({4, 3}), zeros({4}, {.dtype = f64}));
      },
      {"linear", "f32", "f64"});
  check_throws<DtypeError>([] { linear(tensor_i64({1, 2, 3}), zeros({4, 3})); }, {"linear", "i64"});
  check_throws<GraphError>([] { linear(zeros({2, 3}), Tensor()); }, {"linear"});
}
