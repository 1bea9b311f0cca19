// Tests of autograd/ops/compare.hpp: comparison values (with broadcasting, mixed dtypes,
// NaN, scalars), where() values and gradients, and bad inputs.
//
// Expected values are worked out by hand from the definitions; the PyTorch conventions
// they rely on were checked with PyTorch 1.13 (Debian python3-torch):
//   torch.tensor([0.1], dtype=torch.float32) == 0.1          -> True
//   torch.tensor([1, 2, 3]) < 2.5                            -> [True, True, False]
//   torch.tensor([3]) < torch.tensor([3.5])                  -> [True]
//   nan == nan -> False, nan != nan -> True
//   torch.where(torch.tensor([True, False]), torch.tensor([1, 2]), 1.5) -> [1.0, 1.5] (f32)
#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "support/check.hpp"

using namespace xg;
using xg::test::check_gradcheck;
using xg::test::check_throws;
using xg::test::check_values;
using xg::test::rand_f64;

namespace {

using Binary = std::function<Tensor(const Tensor&, const Tensor&)>;
using WithScalar = std::function<Tensor(const Tensor&, double)>;

struct CompareOp {
  const char* name;
  Binary tensors;
  WithScalar scalar;
};

const std::vector<CompareOp> kOps = {
    {"eq", [](const Tensor& a, const Tensor& b) { return eq(a, b); },
     [](const Tensor& a, double b) { return eq(a, b); }},
    {"ne", [](const Tensor& a, const Tensor& b) { return ne(a, b); },
     [](const Tensor& a, double b) { return ne(a, b); }},
    {"lt", [](const Tensor& a, const Tensor& b) { return lt(a, b); },
     [](const Tensor& a, double b) { return lt(a, b); }},
    {"le", [](const Tensor& a, const Tensor& b) { return le(a, b); },
     [](const Tensor& a, double b) { return le(a, b); }},
    {"gt", [](const Tensor& a, const Tensor& b) { return gt(a, b); },
     [](const Tensor& a, double b) { return gt(a, b); }},
    {"ge", [](const Tensor& a, const Tensor& b) { return ge(a, b); },
     [](const Tensor& a, double b) { return ge(a, b); }},
};

const CompareOp& op_named(const std::string& name) {
  for (const auto& op : kOps) {
    if (name == op.name) return op;
  }
  FAIL("no op " << name);
  return kOps[0];
}

}  // namespace

TEST_CASE("compare ops: elementwise values on equal shapes, every dtype") {
  // a = [1, 2, 3, -1], b = [2, 2, 1, -1]: less, equal, greater, equal.
  const std::vector<std::pair<std::string, std::vector<double>>> expected = {
      {"eq", {0, 1, 0, 1}}, {"ne", {1, 0, 1, 0}}, {"lt", {1, 0, 0, 0}},
      {"le", {1, 1, 0, 1}}, {"gt", {0, 0, 1, 0}}, {"ge", {0, 1, 1, 1}}};
  for (Dtype dt : {f32, f64, i64}) {
    const Tensor a = tensor({1, 2, 3, -1}).to(dt);
    const Tensor b = tensor({2, 2, 1, -1}).to(dt);
    for (const auto& [name, values] : expected) {
      INFO(name << " in " << dt);
      const Tensor r = op_named(name).tensors(a, b);
      CHECK(r.dtype() == i64);
      CHECK(r.shape() == Shape{4});
      check_values(r, values, 0.0);
    }
  }
}

TEST_CASE("compare ops: broadcasting") {
  // a (2, 1) = [[1], [3]] against b (3,) = [1, 2, 3] gives (2, 3).
  const Tensor a = tensor({1.0, 3.0}, {2, 1}, {.dtype = f64});
  const Tensor b = tensor({1.0, 2.0, 3.0}, {3}, {.dtype = f64});
  Tensor r = lt(a, b);
  CHECK(r.shape() == Shape{2, 3});
  check_values(r, {0, 1, 1, 0, 0, 0}, 0.0);
  r = ge(b, a);  // the same broadcast with the operands swapped
  check_values(r, {1, 1, 1, 0, 0, 1}, 0.0);
  // A 0-D operand broadcasts against anything.
  r = eq(tensor({1.0, 2.0, 1.0, 2.0, 1.0, 2.0}, {3, 2}), scalar_tensor(2.0));
  CHECK(r.shape() == Shape{3, 2});
  check_values(r, {0, 1, 0, 1, 0, 1}, 0.0);
  // Three axes with broadcasting on both sides: (2, 1, 2) vs (3, 1).
  const Tensor c = tensor({0, 1, 2, 3}, {2, 1, 2});
  const Tensor d = tensor({1, 2, 3}, {3, 1});
  r = gt(c, d);
  CHECK(r.shape() == Shape{2, 3, 2});
  // c[i, 0, k] = 2 i + k compared with d[j] = j + 1.
  check_values(r, {0, 0, 0, 0, 0, 0, 1, 1, 0, 1, 0, 0}, 0.0);
}

TEST_CASE("compare ops: mixed i64 and float compare in the float dtype; NaN") {
  // i64 3 against f32 3.5: compared as floats, so 3 < 3.5 (not truncated to 3 < 3).
  check_values(lt(tensor_i64({3, 4}), tensor({3.5, 3.5})), {1, 0}, 0.0);
  check_values(eq(tensor({3.0, 3.5}, {2}, {.dtype = f64}), tensor_i64({3, 3})), {1, 0}, 0.0);
  const Tensor nan = tensor({std::nan(""), 1.0});
  const Tensor other = tensor({std::nan(""), 1.0});
  check_values(eq(nan, other), {0, 1}, 0.0);
  check_values(ne(nan, other), {1, 0}, 0.0);
  check_values(le(nan, other), {0, 1}, 0.0);
  check_values(ge(nan, 0.0), {0, 1}, 0.0);
}

TEST_CASE("compare ops: scalar overloads") {
  // The scalar takes an f32 tensor's dtype: float32(0.1) == 0.1 is true.
  check_values(eq(tensor({0.1f, 0.2f}), 0.1), {1, 0}, 0.0);
  check_values(eq(tensor({0.1, 0.2}, {2}, {.dtype = f64}), 0.1), {1, 0}, 0.0);
  // i64 tensors: integral scalars compare exactly, fractional ones as real numbers.
  const Tensor labels = tensor_i64({1, 2, 3});
  check_values(eq(labels, 2.0), {0, 1, 0}, 0.0);
  check_values(lt(labels, 2.5), {1, 1, 0}, 0.0);
  check_values(ge(labels, 2.5), {0, 0, 1}, 0.0);
  // Exact beyond 2^53: 2^53 + 1 differs from 2^53 as an i64.
  const std::int64_t big = (std::int64_t{1} << 53) + 1;
  check_values(gt(tensor_i64({big}), 9007199254740992.0), {1}, 0.0);
  const Tensor x = tensor({-1.0, 0.0, 2.0}, {3, 1}, {.dtype = f64});
  for (const auto& [name, values] :
       std::vector<std::pair<std::string, std::vector<double>>>{{"eq", {0, 1, 0}},
                                                                {"ne", {1, 0, 1}},
                                                                {"lt", {1, 0, 0}},
                                                                {"le", {1, 1, 0}},
                                                                {"gt", {0, 0, 1}},
                                                                {"ge", {0, 1, 1}}}) {
    INFO(name);
    const Tensor r = op_named(name).scalar(x, 0.0);
    CHECK(r.dtype() == i64);
    CHECK(r.shape() == Shape{3, 1});
    check_values(r, values, 0.0);
  }
}

TEST_CASE("compare ops record no graph") {
  Tensor a = rand_f64({2, 3});
  Tensor b = rand_f64({3});
  for (const auto& op : kOps) {
    INFO(op.name);
    const Tensor r = op.tensors(a, b);
    CHECK_FALSE(r.requires_grad());
    CHECK(r.grad_fn_name() == "");
    CHECK_FALSE(op.scalar(a, 0.0).requires_grad());
  }
}

TEST_CASE("compare ops: bad inputs") {
  for (const auto& op : kOps) {
    INFO(op.name);
    check_throws<ShapeError>(
        [&] {
          op.tensors(zeros({2, 3}), zeros({4}));
        },
        {op.name, "(2, 3)", "(4)"});
    check_throws<DtypeError>([&] { op.tensors(zeros({2}), zeros({2}, {.dtype = f64})); },
                             {op.name, "f32", "f64"});
    check_throws<GraphError>([&] { op.tensors(Tensor(), zeros({2})); }, {op.name});
    check_throws<GraphError>([&] { op.scalar(Tensor(), 1.0); }, {op.name});
  }
}

TEST_CASE("where: values, broadcasting, cond dtypes, mixed value dtypes") {
  const Tensor a = tensor({1.0, 2.0, 3.0}, {3}, {.dtype = f64});
  const Tensor b = tensor({-1.0, -2.0, -3.0}, {3}, {.dtype = f64});
  check_values(where(tensor_i64({1, 0, 5}), a, b), {1, -2, 3}, 0.0);
  // A float cond: every non-zero value (negative, NaN) counts as true.
  check_values(where(tensor({0.0, -0.5, std::nan("")}), a, b), {-1, 2, 3}, 0.0);
  // cond (2, 1), a (3,), b 0-D broadcast to (2, 3).
  const Tensor r = where(tensor_i64({1, 0}, {2, 1}), a, scalar_tensor(9.0, {.dtype = f64}));
  CHECK(r.shape() == Shape{2, 3});
  CHECK(r.dtype() == f64);
  check_values(r, {1, 2, 3, 9, 9, 9}, 0.0);
  // cond (3,) against a (2, 1), b (1, 3).
  const Tensor r2 = where(tensor_i64({1, 0, 1}), tensor({10.0, 20.0}, {2, 1}),
                          tensor({-1.0, -2.0, -3.0}, {1, 3}));
  CHECK(r2.shape() == Shape{2, 3});
  check_values(r2, {10, -2, 10, 20, -2, 20}, 0.0);
  // Three axes, cond varying along both outer axes: out[i, j, k] = c[i, j] ? a[k] : b[i, k].
  const Tensor r3 = where(tensor_i64({1, 0, 1, 0, 0, 1}, {2, 3, 1}), tensor({10, 20}, {1, 1, 2}),
                          tensor({-1, -2, -3, -4}, {2, 1, 2}));
  CHECK(r3.shape() == Shape{2, 3, 2});
  check_values(r3, {10, 20, -1, -2, 10, 20, -3, -4, -3, -4, 10, 20}, 0.0);
  // i64 with f32 gives f32.
  const Tensor m = where(tensor_i64({1, 0}), tensor_i64({7, 8}), tensor({0.5f, 1.5f}));
  CHECK(m.dtype() == f32);
  check_values(m, {7, 1.5}, 0.0);
  // Two i64 operands stay i64.
  const Tensor k = where(tensor_i64({0, 1}), tensor_i64({7, 8}), tensor_i64({3, 4}));
  CHECK(k.dtype() == i64);
  check_values(k, {3, 8}, 0.0);
  // The result of a comparison as cond.
  check_values(where(gt(a, 1.5), a, 0.0), {0, 2, 3}, 0.0);
}

TEST_CASE("where: scalar overloads") {
  const Tensor c = tensor_i64({1, 0, 1});
  const Tensor x = tensor({1.0, 2.0, 3.0});
  Tensor r = where(c, x, -1.0);
  CHECK(r.dtype() == f32);
  check_values(r, {1, -1, 3}, 0.0);
  r = where(c, -1.0, x.to(f64));
  CHECK(r.dtype() == f64);
  check_values(r, {-1, 2, -1}, 0.0);
  // A fractional scalar next to an i64 tensor is not truncated: the result is f32.
  r = where(tensor_i64({1, 0}), tensor_i64({1, 2}), 1.5);
  CHECK(r.dtype() == f32);
  check_values(r, {1, 1.5}, 0.0);
  r = where(tensor_i64({1, 0}), 4.0, tensor_i64({1, 2}));
  CHECK(r.dtype() == i64);
  check_values(r, {4, 2}, 0.0);
}

TEST_CASE("where: gradients") {
  // Direct: the gradient goes to the chosen elements, and is summed back over broadcast
  // axes by the engine (b is (1,): it receives the number of false elements).
  Tensor a = tensor({1.0, 2.0, 3.0, 4.0}, {2, 2}, {.dtype = f64, .requires_grad = true});
  Tensor b = tensor({0.0}, {1}, {.dtype = f64, .requires_grad = true});
  where(tensor_i64({1, 0, 0, 1}, {2, 2}), a, b).backward(ones({2, 2}, {.dtype = f64}));
  check_values(a.grad(), {1, 0, 0, 1}, 0.0);
  CHECK(b.grad().shape() == Shape{1});
  check_values(b.grad(), {2}, 0.0);

  // gradcheck with broadcasting on all three operands.
  const Tensor cond = tensor_i64({1, 0, 1, 0, 0, 1}, {2, 3});
  Tensor ga = rand_f64({3});
  Tensor gb = rand_f64({2, 1});
  check_gradcheck([&](const std::vector<Tensor>& in) { return where(cond, in[0], in[1]) * in[1]; },
                  {ga, gb});
  check_gradcheck([&](const std::vector<Tensor>& in) { return where(cond, in[0], 2.0); }, {ga});
  check_gradcheck([&](const std::vector<Tensor>& in) { return where(cond, -1.0, in[0]); }, {gb});
  // A cond that depends on the inputs but gets no gradient.
  check_gradcheck(
      [](const std::vector<Tensor>& in) { return where(gt(in[0], 0.0), in[0], in[0] * in[0]); },
      {rand_f64({2, 3})});

  // Second order: where's backward is itself differentiable (create_graph).
  check_gradcheck(
      [&](const std::vector<Tensor>& in) {
        EnableGradGuard enable;  // gradcheck's finite differences run under NoGradGuard
        Tensor y = where(cond, in[0] * in[0], in[1] * in[0]);
        return grad({y}, {in[0]}, {.grad_outputs = {ones_like(y)}, .create_graph = true})[0];
      },
      {rand_f64({2, 3}), rand_f64({3})});

  // An i64 operand gets no gradient; the float one does.
  Tensor f = tensor({1.0, 2.0}, {2}, {.dtype = f64, .requires_grad = true});
  Tensor out = where(tensor_i64({0, 1}), tensor_i64({5, 6}), f);
  CHECK(out.grad_fn_name() == "where");
  out.backward(ones({2}, {.dtype = f64}));
  check_values(f.grad(), {1, 0}, 0.0);
}

TEST_CASE("where: bad inputs") {
  check_throws<ShapeError>(
      [] {
        where(zeros({2, 3}, {.dtype = i64}), zeros({4}), zeros({2, 3}));
      },
      {"where", "(2, 3)", "(4)"});
  check_throws<ShapeError>(
      [] {
        where(zeros({5}), zeros({2, 3}), zeros({3}));
      },
      {"where", "(5)", "(2, 3)", "(3)"});
  check_throws<DtypeError>([] { where(zeros({2}), zeros({2}), zeros({2}, {.dtype = f64})); },
                           {"where", "f32", "f64"});
  check_throws<GraphError>([] { where(Tensor(), zeros({2}), zeros({2})); }, {"where"});
  check_throws<GraphError>([] { where(zeros({2}), Tensor(), zeros({2})); }, {"where"});
  check_throws<GraphError>([] { where(zeros({2}), Tensor(), 1.0); }, {"where"});
  check_throws<GraphError>([] { where(zeros({2}), 1.0, Tensor()); }, {"where"});
}
