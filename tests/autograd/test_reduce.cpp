// Tests of the reductions (autograd/ops/reduce.hpp): values, shapes, keepdim, dtypes,
// gradients (finite differences, first and second order) and error messages.
//
// Expected numbers were worked out by hand or with Python's standard library (math,
// statistics), never copied from xgrad's output; the snippets are in the comments. The
// "reference" test cases compare every axis combination against a naive loop written
// here, independent of the library's kernels.
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <vector>

#include "support/check.hpp"

using namespace xg;
using xg::test::check_gradcheck;
using xg::test::check_throws;
using xg::test::check_values;
using xg::test::rand_f64;

namespace {

const double kNan = std::numeric_limits<double>::quiet_NaN();
const double kInf = std::numeric_limits<double>::infinity();

// Naive reduction of row-major `values` of `shape` over `axes` (non-negative, any order):
// every output element folds its group in row-major order with `fold`, starting from
// `init`. Returns the values of the output without keepdim, in row-major order.
std::vector<double> naive_reduce(const std::vector<double>& values, const Shape& shape,
                                 const std::vector<std::int64_t>& axes, double init,
                                 const std::function<double(double, double)>& fold) {
  const std::size_t nd = shape.size();
  std::vector<bool> red(nd, false);
  for (auto a : axes) red[static_cast<std::size_t>(a)] = true;
  std::int64_t out_n = 1;
  for (std::size_t d = 0; d < nd; ++d) {
    if (!red[d]) out_n *= shape[d];
  }
  std::vector<double> out(static_cast<std::size_t>(out_n), init);
  std::vector<std::int64_t> idx(nd, 0);
  for (std::size_t flat = 0; flat < values.size(); ++flat) {
    std::int64_t o = 0;
    for (std::size_t d = 0; d < nd; ++d) {
      if (!red[d]) o = o * shape[d] + idx[d];
    }
    out[static_cast<std::size_t>(o)] = fold(out[static_cast<std::size_t>(o)], values[flat]);
    for (std::size_t d = nd; d-- > 0;) {
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
    }
  }
  return out;
}

// The shape of a reduction over `axes` (non-negative) with or without keepdim.
Shape reduced_shape(const Shape& shape, const std::vector<std::int64_t>& axes, bool keepdim) {
  Shape out;
  for (std::size_t d = 0; d < shape.size(); ++d) {
    bool red = false;
    for (auto a : axes) red = red || a == static_cast<std::int64_t>(d);
    if (!red) {
      out.push_back(shape[d]);
    } else if (keepdim) {
      out.push_back(1);
    }
  }
  return out;
}

// All subsets of the axes of an n-D shape (the empty subset is skipped: it means "all").
std::vector<Axes> axis_subsets(std::size_t nd) {
  std::vector<Axes> subsets;
  for (unsigned mask = 1; mask < (1u << nd); ++mask) {
    Axes axes;
    for (std::size_t d = 0; d < nd; ++d) {
      if (mask & (1u << d)) axes.push_back(static_cast<std::int64_t>(d));
    }
    subsets.push_back(axes);
  }
  return subsets;
}

struct GradCase {
  Shape shape;
  Axes axes;
  bool keepdim;
};

// Axis combinations used by every gradcheck below: 1-D to 4-D, negative axes, keepdim
// true and false, "all axes" as {}.
std::vector<GradCase> grad_cases() {
  return {
      {{5}, {}, false},
      {{5}, {0}, true},
      {{3, 4}, {0}, false},
      {{3, 4}, {1}, true},
      {{3, 4}, {-1}, false},
      {{3, 4}, {0, 1}, true},
      {{2, 3, 4}, {0, 2}, false},
      {{2, 3, 4}, {1}, true},
      {{2, 3, 4}, {}, true},
      {{2, 3, 2, 3}, {1, 3}, false},
      {{2, 3, 2, 3}, {0, 1, 2, 3}, true},
      {{2, 3, 2, 3}, {-1}, true},
      {{2, 3, 2, 3}, {0, 2}, true},
  };
}

using ReduceFn = std::function<Tensor(const Tensor&, const Axes&, bool)>;

// One gradcheck per case of grad_cases(); returns how many ran.
int gradcheck_cases(const ReduceFn& fn) {
  int n = 0;
  for (const auto& c : grad_cases()) {
    INFO("shape " << shape_str(c.shape) << ", axes " << c.axes.size() << " given, keepdim "
                  << c.keepdim);
    check_gradcheck([&](const std::vector<Tensor>& in) { return fn(in[0], c.axes, c.keepdim); },
                    {rand_f64(c.shape)});
    ++n;
  }
  return n;
}

// Gradcheck of the first derivative of sum(fn(x)^2) (built with create_graph), i.e. a
// check of the backward pass's own gradient.
void check_double_backward(const std::function<Tensor(const Tensor&)>& fn, const Shape& shape) {
  check_gradcheck(
      [&](const std::vector<Tensor>& in) {
        // gradcheck evaluates fn under NoGradGuard for its finite differences; the
        // first derivative inside still needs a graph.
        EnableGradGuard enable;
        Tensor loss = sum(square(fn(in[0])));
        return grad({loss}, {in[0]}, {.create_graph = true})[0];
      },
      {rand_f64(shape)});
}

Tensor a23() { return tensor({1, 2, 3, 4, 5, 6}, {2, 3}, {.dtype = f64}); }

}  // namespace

// ---- sum -------------------------------------------------------------------------------

TEST_CASE("reduce: sum values, shapes and keepdim") {
  const Tensor a = a23();
  Tensor all = sum(a);
  CHECK(all.shape() == Shape{});
  CHECK(all.dtype() == f64);
  check_values(all, {21});
  check_values(sum(a, {0}), {5, 7, 9});
  check_values(sum(a, {1}), {6, 15});
  Tensor k = sum(a, {-1}, true);
  CHECK(k.shape() == Shape{2, 1});
  check_values(k, {6, 15});
  CHECK(sum(a, {}, true).shape() == Shape{1, 1});
  CHECK(sum(a, {0, 1}).shape() == Shape{});

  // b = arange(24).reshape(2, 3, 4); Python: [sum(12i+4j+k for i, k) for j in range(3)]
  const Tensor b = arange(24, {.dtype = f64}).reshape({2, 3, 4});
  check_values(sum(b, {0, 2}), {60, 92, 124});
  check_values(sum(b, {2, 0}), {60, 92, 124});
  Tensor b1 = sum(b, {1}, true);
  CHECK(b1.shape() == Shape{2, 1, 4});
  check_values(b1, {12, 15, 18, 21, 48, 51, 54, 57});

  // f32 keeps its dtype.
  Tensor f = sum(tensor({0.5, 0.25, 0.125}));
  CHECK(f.dtype() == f32);
  check_values(f, {0.875});
}

TEST_CASE("reduce: sum of i64 is exact i64") {
  const std::int64_t big = (std::int64_t{1} << 53) + 1;  // not representable in double
  Tensor x = tensor_i64({big, 1, 2, 3}, {2, 2});
  Tensor s0 = sum(x, {0});
  CHECK(s0.dtype() == i64);
  CHECK(s0.to_vector<std::int64_t>() == std::vector<std::int64_t>{big + 2, 4});
  CHECK(sum(x).to_vector<std::int64_t>() == std::vector<std::int64_t>{big + 6});
}

TEST_CASE("reduce: i64 sum overflow throws instead of wrapping around") {
  const std::int64_t max = std::numeric_limits<std::int64_t>::max();
  const std::int64_t min = std::numeric_limits<std::int64_t>::min();
  check_throws<OverflowError>(
      [&] {
        sum(tensor_i64({max, 1}));
      },
      {"sum: i64 overflow", "9223372036854775807 + 1"});
  check_throws<OverflowError>(
      [&] {
        sum(tensor_i64({-1, 2, min, -5}, {2, 2}), {0});
      },
      {"sum: i64 overflow"});
  check_throws<OverflowError>(
      [&] {
        sum(tensor_i64({min, -1, 0, 0, 0}), {0});
      },
      {"sum: i64 overflow"});
  // Partial sums may not leave the range either (as exact integer arithmetic), but a
  // result that fits is exact.
  CHECK(sum(tensor_i64({max, -1, 1})).to_vector<std::int64_t>() == std::vector<std::int64_t>{max});
  CHECK(sum(tensor_i64({max, min}, {1, 2}), {1}).to_vector<std::int64_t>() ==
        std::vector<std::int64_t>{-1});
}

TEST_CASE("reduce: sum over empty and 0-D tensors") {
  Tensor e = zeros({0, 3}, {.dtype = f64});
  Tensor s0 = sum(e, {0});
  CHECK(s0.shape() == Shape{3});
  check_values(s0, {0, 0, 0});
  CHECK(sum(e, {1}).shape() == Shape{0});
  check_values(sum(e), {0});
  // PyTorch: torch.tensor(3.5).sum(0) and .sum(-1) are allowed on a 0-D tensor.
  Tensor s = scalar_tensor(3.5, {.dtype = f64});
  check_values(sum(s, {0}), {3.5});
  CHECK(sum(s, {-1}, true).shape() == Shape{});
  check_values(sum(s), {3.5});
}

TEST_CASE("reduce: sum gradient") {
  Tensor x = rand_f64({2, 3});
  Tensor y = sum(x, {1});
  CHECK(y.grad_fn_name() == "sum");
  y.backward(tensor({1.0, 2.0}, {2}, {.dtype = f64}));
  check_values(x.grad(), {1, 1, 1, 2, 2, 2});
  CHECK(gradcheck_cases([](const Tensor& t, const Axes& ax, bool k) { return sum(t, ax, k); }) ==
        13);
  check_gradcheck([](const std::vector<Tensor>& in) { return sum(in[0]); }, {rand_f64({3, 2})});
  check_double_backward([](const Tensor& t) { return sum(t, {1}); }, {3, 4});
}

TEST_CASE("reduce: sum bad input") {
  const Tensor a = a23();
  check_throws<ShapeError>([&] { sum(a, {2}); }, {"sum", "axis 2", "(2, 3)"});
  check_throws<ShapeError>([&] { sum(a, {-3}); }, {"sum", "axis -3", "(2, 3)"});
  check_throws<ShapeError>([&] { sum(a, {1, -1}); }, {"sum", "twice", "(2, 3)"});
  check_throws<ShapeError>([&] { sum(scalar_tensor(1.0), {1}); }, {"sum", "axis 1", "()"});
  check_throws<GraphError>([&] { sum(Tensor()); }, {"sum"});
}

// ---- mean ------------------------------------------------------------------------------

TEST_CASE("reduce: mean values") {
  const Tensor a = a23();
  check_values(mean(a), {3.5});
  check_values(mean(a, {0}), {2.5, 3.5, 4.5});
  Tensor m = mean(a, {1}, true);
  CHECK(m.shape() == Shape{2, 1});
  check_values(m, {2, 5});
  check_values(mean(tensor({1, 2, 3, 4})), {2.5});
  // PyTorch: torch.zeros(0, 3).mean(0) is nan (0 / 0).
  check_values(mean(zeros({0, 3}), {0}), {kNan, kNan, kNan});
}

TEST_CASE("reduce: mean gradient") {
  Tensor x = rand_f64({2, 4});
  Tensor y = mean(x, {1});
  CHECK(y.grad_fn_name() == "mean");
  y.backward(tensor({1.0, 2.0}, {2}, {.dtype = f64}));
  check_values(x.grad(), {0.25, 0.25, 0.25, 0.25, 0.5, 0.5, 0.5, 0.5});
  CHECK(gradcheck_cases([](const Tensor& t, const Axes& ax, bool k) { return mean(t, ax, k); }) ==
        13);
  check_gradcheck([](const std::vector<Tensor>& in) { return mean(in[0]); }, {rand_f64({2, 3})});
  check_double_backward([](const Tensor& t) { return mean(t, {0}); }, {3, 2});
}

TEST_CASE("reduce: mean bad input") {
  check_throws<DtypeError>(
      [] {
        mean(tensor_i64({1, 2, 3, 4}, {2, 2}));
      },
      {"mean", "i64", "(2, 2)"});
  check_throws<ShapeError>([] { mean(a23(), {5}); }, {"mean", "axis 5", "(2, 3)"});
  check_throws<ShapeError>([] { mean(a23(), {0, 0}); }, {"mean", "twice", "(2, 3)"});
}

// ---- var and std -----------------------------------------------------------------------

TEST_CASE("reduce: var and std values") {
  // x = [1, 2, 4, 7]: mean 3.5, squared deviations sum to 21.
  const Tensor x = tensor({1, 2, 4, 7}, {4}, {.dtype = f64});
  check_values(var(x), {7});
  check_values(var(x, {}, 0), {5.25});
  check_values(var(x, {}, 2), {10.5});
  check_values(xg::std(x), {2.6457513110645907});       // math.sqrt(7)
  check_values(xg::std(x, {}, 0), {2.29128784747792});  // math.sqrt(5.25)
  CHECK(var(x).shape() == Shape{});

  // Rows: [1, 2, 4, 7] -> 7 and [0, 0, 3, 3] -> 9 / 3 = 3; columns (correction 1):
  // (1, 0) -> 0.5, (2, 0) -> 2, (4, 3) -> 0.5, (7, 3) -> 8.
  // var(m, {1}) is axis 1 (there is no var(x, correction) overload to capture it).
  const Tensor m = tensor({1, 2, 4, 7, 0, 0, 3, 3}, {2, 4}, {.dtype = f64});
  check_values(var(m, Axes{1}), {7, 3});
  check_values(var(m, {1}), {7, 3});
  Tensor v0 = var(m, {0}, 1, true);
  CHECK(v0.shape() == Shape{1, 4});
  check_values(v0, {0.5, 2, 0.5, 8});
  // Python: math.sqrt of each.
  check_values(xg::std(m, Axes{0}),
               {0.7071067811865476, 1.4142135623730951, 0.7071067811865476, 2.8284271247461903});
  check_values(xg::std(m, {-1}, 1, true), {2.6457513110645907, 1.7320508075688772});

  // Two-pass algorithm: a large offset does not cancel (statistics.variance gives 7.0).
  check_values(var(tensor({1e9 + 1, 1e9 + 2, 1e9 + 4, 1e9 + 7}, {4}, {.dtype = f64})), {7}, 1e-12);
  // f32 too: one pass of sum(x^2) - n mean^2 would lose every digit here.
  check_values(var(tensor({1e4 + 1, 1e4 + 2, 1e4 + 4, 1e4 + 7})), {7}, 1e-6);

  // One element with correction 1 divides 0 by 0: nan, as torch.var(torch.tensor([5.])).
  check_values(var(tensor({5.0})), {kNan});
  check_values(xg::std(tensor({5.0})), {kNan});
  check_values(var(tensor({5.0}), {}, 0), {0});
}

TEST_CASE("reduce: var and std gradients") {
  // d var / dx = 2 (x - mean) / (N - 1) = [-5/3, -1, 1/3, 7/3] for x = [1, 2, 4, 7].
  Tensor x = tensor({1, 2, 4, 7}, {4}, {.dtype = f64, .requires_grad = true});
  Tensor v = var(x);
  CHECK(v.grad_fn_name() == "var");
  v.backward();
  check_values(x.grad(), {-5.0 / 3, -1, 1.0 / 3, 7.0 / 3});
  // d std / dx = (x - mean) / ((N - 1) std); Python: [d / (3 * math.sqrt(7)) for d in devs]
  Tensor y = tensor({1, 2, 4, 7}, {4}, {.dtype = f64, .requires_grad = true});
  Tensor s = xg::std(y);
  CHECK(s.grad_fn_name() == "std");
  s.backward();
  check_values(y.grad(),
               {-0.314970394174356, -0.1889822365046136, 0.0629940788348712, 0.44095855184409843});

  int n = 0;
  for (std::int64_t c : {0, 1, 2}) {
    CAPTURE(c);
    n += gradcheck_cases([c](const Tensor& t, const Axes& ax, bool k) { return var(t, ax, c, k); });
    n += gradcheck_cases(
        [c](const Tensor& t, const Axes& ax, bool k) { return xg::std(t, ax, c, k); });
  }
  CHECK(n == 78);
  check_double_backward([](const Tensor& t) { return var(t, Axes{1}); }, {2, 4});
  check_double_backward([](const Tensor& t) { return xg::std(t, {0, 2}, 1, true); }, {3, 2, 2});
}

TEST_CASE("reduce: var and std bad input") {
  const Tensor i = tensor_i64({1, 2, 3, 4}, {2, 2});
  check_throws<DtypeError>([&] { var(i); }, {"var", "i64", "(2, 2)"});
  check_throws<DtypeError>([&] { xg::std(i, Axes{0}); }, {"std", "i64", "(2, 2)"});
  check_throws<ShapeError>([] { var(a23(), Axes{3}); }, {"var", "axis 3", "(2, 3)"});
  check_throws<ShapeError>([] { xg::std(a23(), {-1, 1}); }, {"std", "twice", "(2, 3)"});
}

// ---- max and min -----------------------------------------------------------------------

TEST_CASE("reduce: max and min values") {
  const Tensor m = tensor({1, 5, 3, 7, 2, 7}, {2, 3}, {.dtype = f64});
  check_values(max(m), {7});
  check_values(min(m), {1});
  CHECK(max(m).shape() == Shape{});
  check_values(max(m, {1}), {5, 7});
  check_values(min(m, {1}), {1, 2});
  check_values(max(m, {0}), {7, 5, 7});
  Tensor k = min(m, {0}, true);
  CHECK(k.shape() == Shape{1, 3});
  check_values(k, {1, 2, 3});
  check_values(max(tensor({-kInf, -kInf})), {-kInf});
  // NaN propagates, as torch.amax.
  check_values(max(tensor({1.0, kNan, 3.0})), {kNan});
  check_values(min(tensor({1.0, 3.0, kNan}, {1, 3}), {1}), {kNan});

  // Long rows (the kernels process blocks of lanes plus a tail): a NaN anywhere wins.
  for (std::int64_t pos : {0, 37, 64, 99}) {
    CAPTURE(pos);
    std::vector<double> row(100);
    for (std::size_t i = 0; i < row.size(); ++i) row[i] = static_cast<double>((i * 37) % 101);
    row[static_cast<std::size_t>(pos)] = kNan;
    check_values(max(tensor(row, {1, 100}, {.dtype = f64}), {1}), {kNan});
    check_values(min(tensor(row, {100})), {kNan});
    CHECK(argmax(tensor(row, {100})).item() == static_cast<double>(pos));
    CHECK(argmin(tensor(row, {1, 100}, {.dtype = f64}), 1).item() == static_cast<double>(pos));
  }
  Tensor xi = tensor_i64({3, -1, 9, 2}, {2, 2});
  Tensor mi = max(xi, {0});
  CHECK(mi.dtype() == i64);
  CHECK(mi.to_vector<std::int64_t>() == std::vector<std::int64_t>{9, 2});
  CHECK(min(xi).to_vector<std::int64_t>() == std::vector<std::int64_t>{-1});
  // Reducing a non-empty axis of an empty tensor is fine: torch.zeros(0, 3).amax(1).
  CHECK(max(zeros({0, 3}), {1}).shape() == Shape{0});
}

TEST_CASE("reduce: max and min gradients split ties") {
  // Row 0 has one maximum (5); row 1 has two (7 at columns 0 and 2): each gets half.
  Tensor x = tensor({1, 5, 3, 7, 2, 7}, {2, 3}, {.dtype = f64, .requires_grad = true});
  Tensor y = max(x, {1});
  CHECK(y.grad_fn_name() == "max");
  sum(y).backward();
  check_values(x.grad(), {0, 1, 0, 0.5, 0, 0.5});
  Tensor z = tensor({2, 2, 2, 4}, {4}, {.dtype = f64, .requires_grad = true});
  Tensor mz = min(z);
  CHECK(mz.grad_fn_name() == "min");
  mz.backward();
  check_values(z.grad(), {1.0 / 3, 1.0 / 3, 1.0 / 3, 0});

  // Uniform random values have no ties, so max is smooth around them.
  CHECK(gradcheck_cases([](const Tensor& t, const Axes& ax, bool k) { return max(t, ax, k); }) ==
        13);
  CHECK(gradcheck_cases([](const Tensor& t, const Axes& ax, bool k) { return min(t, ax, k); }) ==
        13);
  check_gradcheck([](const std::vector<Tensor>& in) { return max(in[0]); }, {rand_f64({3, 4})});
  check_gradcheck([](const std::vector<Tensor>& in) { return min(in[0]); }, {rand_f64({3, 4})});
  check_double_backward([](const Tensor& t) { return max(t, {1}); }, {3, 4});
}

TEST_CASE("reduce: max and min bad input") {
  // torch.zeros(0, 3).amax(0): "Expected reduction dim 0 to have non-zero size".
  check_throws<ValueError>([] { max(zeros({0, 3}), {0}); }, {"max", "axis 0", "(0, 3)"});
  check_throws<ValueError>([] { min(zeros({2, 0})); }, {"min", "axis 1", "(2, 0)"});
  check_throws<ShapeError>([] { max(a23(), {2}); }, {"max", "axis 2", "(2, 3)"});
  check_throws<ShapeError>([] { min(a23(), {0, -2}); }, {"min", "twice", "(2, 3)"});
}

// ---- logsumexp -------------------------------------------------------------------------

TEST_CASE("reduce: logsumexp values") {
  // Python: math.log(math.exp(1) + math.exp(2) + math.exp(3))
  check_values(logsumexp(tensor({1, 2, 3}, {3}, {.dtype = f64}), {}), {3.40760596444438});
  // Exact for large values: 1000 + math.log(2); exp(1000) overflows even in f64.
  check_values(logsumexp(tensor({1000, 1000}, {2}, {.dtype = f64}), {0}), {1000.6931471805599},
               1e-12);
  // f32: exp(100) overflows f32.
  check_values(logsumexp(tensor({100, 100}), {0}), {100.69314718055995}, 1e-6);
  const Tensor m = tensor({1, 5, 3, 7, 2, 7}, {2, 3}, {.dtype = f64});
  // Python: [math.log(sum(math.exp(v) for v in row)) for row in m]
  check_values(logsumexp(m, {1}), {5.1429316284999, 7.696510491782079});
  Tensor k = logsumexp(m, {0}, true);
  CHECK(k.shape() == Shape{1, 3});
  check_values(k, {7.00247568513773, 5.048587351573742, 7.0181499279178094});
  CHECK(logsumexp(m, {}).shape() == Shape{});
  // Infinite inputs: torch.logsumexp gives -inf for all -inf and inf with an inf.
  check_values(logsumexp(tensor({-kInf, -kInf}), {0}), {-kInf});
  check_values(logsumexp(tensor({kInf, 1.0}), {0}), {kInf});
  check_values(logsumexp(zeros({0, 2}), {0}), {-kInf, -kInf});
}

TEST_CASE("reduce: logsumexp gradient") {
  // The gradient is softmax over the axis. Python: [math.exp(v - lse(row)) for v in row]
  Tensor x = tensor({1, 5, 3, 7, 2, 7}, {2, 3}, {.dtype = f64, .requires_grad = true});
  Tensor y = logsumexp(x, {1});
  CHECK(y.grad_fn_name() == "logsumexp");
  sum(y).backward();
  check_values(x.grad(), {0.01587623997646676, 0.8668133321973345, 0.1173104278261983,
                          0.49832116918674857, 0.0033576616265026137, 0.49832116918674857});
  Tensor big = tensor({1000, 1000}, {2}, {.dtype = f64, .requires_grad = true});
  logsumexp(big, {0}).backward();
  check_values(big.grad(), {0.5, 0.5});

  CHECK(gradcheck_cases(
            [](const Tensor& t, const Axes& ax, bool k) { return logsumexp(t, ax, k); }) == 13);
  check_double_backward([](const Tensor& t) { return logsumexp(t, {1}); }, {3, 4});
  check_double_backward([](const Tensor& t) { return logsumexp(t, {0, 2}, true); }, {2, 2, 3});
}

TEST_CASE("reduce: logsumexp bad input") {
  check_throws<DtypeError>(
      [] {
        logsumexp(tensor_i64({1, 2}, {1, 2}), {0});
      },
      {"logsumexp", "i64", "(1, 2)"});
  check_throws<ShapeError>([] { logsumexp(a23(), {-3}); }, {"logsumexp", "axis -3", "(2, 3)"});
  check_throws<ShapeError>([] { logsumexp(a23(), {1, 1}); }, {"logsumexp", "twice", "(2, 3)"});
}

// ---- argmax and argmin -----------------------------------------------------------------

TEST_CASE("reduce: argmax and argmin values") {
  const Tensor m = tensor({1, 5, 5, 7, 2, 7}, {2, 3}, {.dtype = f64});
  Tensor am = argmax(m);
  CHECK(am.dtype() == i64);
  CHECK(am.shape() == Shape{});
  CHECK(am.to_vector<std::int64_t>() == std::vector<std::int64_t>{3});  // first of the 7s
  CHECK(argmin(m).to_vector<std::int64_t>() == std::vector<std::int64_t>{0});
  CHECK(argmax(m, 1).to_vector<std::int64_t>() == std::vector<std::int64_t>{1, 0});
  CHECK(argmin(m, -1).to_vector<std::int64_t>() == std::vector<std::int64_t>{0, 1});
  Tensor a0 = argmax(m, 0, true);
  CHECK(a0.shape() == Shape{1, 3});
  CHECK(a0.to_vector<std::int64_t>() == std::vector<std::int64_t>{1, 0, 1});
  CHECK(argmin(m, 0).to_vector<std::int64_t>() == std::vector<std::int64_t>{0, 1, 0});
  // NaN counts as the extreme (torch.argmax(torch.tensor([1., nan, 3.])) == 1).
  CHECK(argmax(tensor({1.0, kNan, 3.0, kNan})).item() == 1);
  CHECK(argmin(tensor({1.0, kNan, -3.0})).item() == 1);
  CHECK(argmax(tensor_i64({4, 9, 9, -2}, {2, 2}), 1).to_vector<std::int64_t>() ==
        std::vector<std::int64_t>{1, 0});
  CHECK(argmax(scalar_tensor(2.0)).item() == 0);
  CHECK(argmax(scalar_tensor(2.0), 0).shape() == Shape{});
}

TEST_CASE("reduce: argmax and argmin bad input") {
  check_throws<ValueError>([] { argmax(zeros({2, 0})); }, {"argmax", "(2, 0)"});
  check_throws<ValueError>([] { argmin(zeros({3, 0}), 1); }, {"argmin", "axis 1", "(3, 0)"});
  check_throws<ShapeError>([] { argmax(a23(), 2); }, {"argmax", "axis 2", "(2, 3)"});
  check_throws<ShapeError>([] { argmin(a23(), -3); }, {"argmin", "axis -3", "(2, 3)"});
}

// ---- every axis combination against a naive reference ----------------------------------

TEST_CASE("reduce: reference sum, mean, max, min, var, logsumexp on every axis subset") {
  manual_seed(7);
  for (const Shape& shape : {Shape{2, 3, 4, 5}, Shape{3, 1, 4, 2}, Shape{7, 33}}) {
    const Tensor x = uniform(shape, -2.0, 2.0, {.dtype = f64});
    const std::vector<double> v = x.to_vector<double>();
    for (const Axes& axes : axis_subsets(shape.size())) {
      for (bool keepdim : {false, true}) {
        INFO("shape " << shape_str(shape) << ", " << axes.size() << " axes from " << axes[0]
                      << ", keepdim " << keepdim);
        std::int64_t group = 1;
        for (auto a : axes) group *= shape[static_cast<std::size_t>(a)];
        const auto add = [](double a, double b) { return a + b; };
        const auto s = naive_reduce(v, shape, axes, 0.0, add);
        Tensor got = sum(x, axes, keepdim);
        CHECK(got.shape() == reduced_shape(shape, axes, keepdim));
        check_values(got, s, 1e-12);
        std::vector<double> mu = s;
        for (double& e : mu) e /= static_cast<double>(group);
        check_values(mean(x, axes, keepdim), mu, 1e-12);
        check_values(
            max(x, axes, keepdim),
            naive_reduce(v, shape, axes, -kInf, [](double a, double b) { return b > a ? b : a; }));
        check_values(
            min(x, axes, keepdim),
            naive_reduce(v, shape, axes, kInf, [](double a, double b) { return b < a ? b : a; }));
        // var from E[x^2] - E[x]^2 (fine for these small uniform values), correction 0.
        auto sq = naive_reduce(v, shape, axes, 0.0, [](double a, double b) { return a + b * b; });
        for (std::size_t i = 0; i < sq.size(); ++i) {
          sq[i] = sq[i] / static_cast<double>(group) - mu[i] * mu[i];
        }
        check_values(var(x, axes, 0, keepdim), sq, 1e-10);
        auto lse =
            naive_reduce(v, shape, axes, 0.0, [](double a, double b) { return a + std::exp(b); });
        for (double& e : lse) e = std::log(e);
        check_values(logsumexp(x, axes, keepdim), lse, 1e-12);
        // f32 takes the same paths.
        check_values(sum(x.to(f32), axes, keepdim), s, 1e-5);
        check_values(
            max(x.to(f32), axes, keepdim),
            naive_reduce(v, shape, axes, -kInf, [](double a, double b) { return b > a ? b : a; }),
            1e-6);
      }
    }
  }
}

TEST_CASE("reduce: reference argmax and argmin along every axis") {
  manual_seed(11);
  const Shape shape{3, 4, 5};
  // Integers in a small range, so that ties (first index wins) occur.
  const Tensor xi = randint(0, 4, shape);
  const Tensor x = xi.to(f64);
  const auto v = xi.to_vector<std::int64_t>();
  for (std::int64_t axis = 0; axis < 3; ++axis) {
    CAPTURE(axis);
    const std::int64_t n0 = shape[0], n1 = shape[1], n2 = shape[2];
    std::vector<double> want_max, want_min;
    // Output in row-major order of the two remaining axes.
    for (std::int64_t p = 0; p < (axis == 0 ? n1 : n0); ++p) {
      for (std::int64_t q = 0; q < (axis == 2 ? n1 : n2); ++q) {
        const std::int64_t len = shape[static_cast<std::size_t>(axis)];
        std::int64_t bmax = 0, bmin = 0;
        auto at = [&](std::int64_t k) {
          const std::int64_t i = axis == 0 ? k : p, j = axis == 0 ? p : (axis == 1 ? k : q),
                             l = axis == 2 ? k : q;
          return v[static_cast<std::size_t>((i * n1 + j) * n2 + l)];
        };
        for (std::int64_t k = 1; k < len; ++k) {
          if (at(k) > at(bmax)) bmax = k;
          if (at(k) < at(bmin)) bmin = k;
        }
        want_max.push_back(static_cast<double>(bmax));
        want_min.push_back(static_cast<double>(bmin));
      }
    }
    check_values(argmax(x, axis), want_max, 0);
    check_values(argmin(x, axis), want_min, 0);
    check_values(argmax(xi, axis), want_max, 0);
    CHECK(argmax(x, axis, true).shape() == reduced_shape(shape, {axis}, true));
  }
}
