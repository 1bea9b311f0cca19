// Tests of the shape ops in autograd/ops/shape.hpp: reshape, flatten, transpose, permute,
// squeeze, unsqueeze, concat, stack and one_hot (slice, index_select and gather are in
// test_indexing.cpp).
//
// Expected values were produced with PyTorch 1.13 (/usr/bin/python3, torch.arange(...)
// .reshape(...) followed by the same op) unless a comment says otherwise.
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <utility>
#include <vector>

#include "support/check.hpp"

using namespace xg;
using xg::test::check_gradcheck;
using xg::test::check_throws;
using xg::test::check_values;
using xg::test::rand_f64;

using xg::test::iota;
using xg::test::second_order;

// ---- reshape -------------------------------------------------------------------------

TEST_CASE("shape: reshape keeps row-major values and infers -1") {
  const Tensor x = iota({2, 3});
  const Tensor y = reshape(x, {3, -1});
  CHECK(y.shape() == Shape{3, 2});
  CHECK(y.dtype() == f64);
  check_values(y, {0, 1, 2, 3, 4, 5});
  CHECK(reshape(x, {-1}).shape() == Shape{6});
  CHECK(reshape(x, {1, 6, 1}).shape() == Shape{1, 6, 1});
  CHECK(reshape(iota({1}), {}).shape() == Shape{});  // one element to 0-d
  CHECK(reshape(iota({0, 3}), {3, 0}).shape() == Shape{3, 0});

  const Tensor xi = iota({4}, i64);
  const Tensor yi = reshape(xi, {2, 2});
  CHECK(yi.dtype() == i64);
  check_values(yi, {0, 1, 2, 3});

  // The result is a new tensor, not a view: writing to it leaves x alone.
  Tensor z = reshape(x, {6});
  z.mutable_data<double>()[0] = 42.0;
  CHECK(x.data<double>()[0] == 0.0);
}

TEST_CASE("shape: reshape rejects bad shapes") {
  const Tensor x = iota({2, 3});
  check_throws<ShapeError>(
      [&] {
        reshape(x, {4, 2});
      },
      {"reshape: cannot reshape (2, 3) (6 elements) to (4, 2) (8 elements)"});
  check_throws<ShapeError>([&] { reshape(x, {4, -1}); }, {"reshape", "(2, 3)", "(4, -1)"});
  check_throws<ShapeError>([&] { reshape(x, {-1, -1}); }, {"reshape", "-1", "(-1, -1)"});
  check_throws<ShapeError>([&] { reshape(x, {-2, -3}); }, {"reshape", "-2"});
  check_throws<ShapeError>([&] { reshape(iota({0, 2}), {0, -1}); }, {"reshape", "(0, -1)"});
  check_throws<GraphError>([&] { reshape(Tensor(), {1}); }, {"reshape"});
}

TEST_CASE("shape: reshape gradcheck") {
  check_gradcheck(
      [](const std::vector<Tensor>& in) {
        return reshape(in[0], {3, -1});
      },
      {rand_f64({2, 3, 2})});
  check_gradcheck([](const std::vector<Tensor>& in) { return reshape(in[0], {}); },
                  {rand_f64({1, 1})});
  check_gradcheck(second_order([](const Tensor& x) {
                    return reshape(x, {-1, 2});
                  }),
                  {rand_f64({2, 3})});
  const Tensor x = rand_f64({2, 3});
  CHECK(reshape(x, {6}).grad_fn_name() == "reshape");
}

// ---- flatten -------------------------------------------------------------------------

TEST_CASE("shape: flatten merges the given axes") {
  const Tensor x = iota({2, 3, 4});
  CHECK(flatten(x).shape() == Shape{24});
  CHECK(flatten(x, 1).shape() == Shape{2, 12});
  CHECK(flatten(x, 0, 1).shape() == Shape{6, 4});
  CHECK(flatten(x, -2, -1).shape() == Shape{2, 12});
  CHECK(flatten(x, 1, 1).shape() == Shape{2, 3, 4});
  check_values(flatten(x, 1), x.to_vector<double>());
  // torch.flatten(torch.tensor(5.)) has shape (1,).
  const Tensor s = flatten(scalar_tensor(5.0));
  CHECK(s.shape() == Shape{1});
  check_values(s, {5.0});
  CHECK(flatten(iota({2, 2}, i64)).dtype() == i64);
}

TEST_CASE("shape: flatten rejects bad axes") {
  const Tensor x = iota({2, 3, 4});
  check_throws<ShapeError>([&] { flatten(x, 2, 1); }, {"flatten", "(2, 3, 4)", "2", "1"});
  check_throws<ShapeError>([&] { flatten(x, 0, 3); }, {"flatten", "(2, 3, 4)"});
  check_throws<ShapeError>([&] { flatten(x, -4); }, {"flatten", "(2, 3, 4)"});
}

TEST_CASE("shape: flatten gradcheck") {
  check_gradcheck([](const std::vector<Tensor>& in) { return flatten(in[0], 1); },
                  {rand_f64({2, 3, 2})});
  check_gradcheck([](const std::vector<Tensor>& in) { return flatten(in[0], 0, -2); },
                  {rand_f64({2, 3, 2})});
  CHECK(flatten(rand_f64({2, 3})).grad_fn_name() == "flatten");
}

// ---- transpose and permute -----------------------------------------------------------

TEST_CASE("shape: permute and transpose reorder axes") {
  const Tensor x = iota({2, 3, 4});
  const Tensor p = permute(x, {2, 0, 1});
  CHECK(p.shape() == Shape{4, 2, 3});
  check_values(
      p, {0, 4, 8, 12, 16, 20, 1, 5, 9, 13, 17, 21, 2, 6, 10, 14, 18, 22, 3, 7, 11, 15, 19, 23});
  // Negative axes: permute(-1, 0, 1) is permute(2, 0, 1).
  check_values(permute(x, {-1, 0, 1}), p.to_vector<double>());

  const Tensor t = transpose(x, 0, -1);
  CHECK(t.shape() == Shape{4, 3, 2});
  check_values(
      t, {0, 12, 4, 16, 8, 20, 1, 13, 5, 17, 9, 21, 2, 14, 6, 18, 10, 22, 3, 15, 7, 19, 11, 23});
  const Tensor t12 = transpose(x, 1, 2);
  CHECK(t12.shape() == Shape{2, 4, 3});
  check_values(
      t12, {0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11, 12, 16, 20, 13, 17, 21, 14, 18, 22, 15, 19, 23});
  check_values(transpose(x, 1, 1), x.to_vector<double>());
  check_values(permute(x, {0, 1, 2}), x.to_vector<double>());

  const Tensor xi = iota({2, 3}, i64);
  const Tensor ti = transpose(xi, 0, 1);
  CHECK(ti.dtype() == i64);
  check_values(ti, {0, 3, 1, 4, 2, 5});
}

TEST_CASE("shape: permute of large tensors matches the index formula") {
  // Sizes that are not multiples of the copy's tile size, in f32; expected values come
  // from the definition out[i][j][k] = x[perm^-1 ...], computed here index by index.
  const std::int64_t A = 3, B = 37, C = 45;
  const Tensor x = iota({A, B, C}, f32);
  const auto xv = x.to_vector<double>();
  const auto at = [&](std::int64_t a, std::int64_t b, std::int64_t c) {
    return xv[(a * B + b) * C + c];
  };
  std::vector<double> e021, e210, e120;
  for (std::int64_t a = 0; a < A; ++a)
    for (std::int64_t c = 0; c < C; ++c)
      for (std::int64_t b = 0; b < B; ++b) e021.push_back(at(a, b, c));
  for (std::int64_t c = 0; c < C; ++c)
    for (std::int64_t b = 0; b < B; ++b)
      for (std::int64_t a = 0; a < A; ++a) e210.push_back(at(a, b, c));
  for (std::int64_t b = 0; b < B; ++b)
    for (std::int64_t c = 0; c < C; ++c)
      for (std::int64_t a = 0; a < A; ++a) e120.push_back(at(a, b, c));
  const Tensor p021 = permute(x, {0, 2, 1});
  CHECK(p021.shape() == Shape{A, C, B});
  CHECK(p021.dtype() == f32);
  check_values(p021, e021, 0.0);
  check_values(permute(x, {2, 1, 0}), e210, 0.0);
  check_values(permute(x, {1, 2, 0}), e120, 0.0);
}

TEST_CASE("shape: permute and transpose reject bad axes") {
  const Tensor x = iota({2, 3, 4});
  check_throws<ShapeError>([&] { permute(x, {0, 1}); }, {"permute", "(0, 1)", "(2, 3, 4)"});
  check_throws<ShapeError>([&] { permute(x, {1, 1, 0}); }, {"permute", "(1, 1, 0)", "(2, 3, 4)"});
  check_throws<ShapeError>([&] { permute(x, {0, -2, 1}); }, {"permute", "(2, 3, 4)"});
  check_throws<ShapeError>([&] { permute(x, {0, 1, 3}); }, {"permute", "(2, 3, 4)"});
  check_throws<ShapeError>([&] { transpose(x, 0, 3); }, {"transpose", "(2, 3, 4)"});
  check_throws<ShapeError>([&] { transpose(x, -4, 0); }, {"transpose", "(2, 3, 4)"});
}

TEST_CASE("shape: permute and transpose gradcheck") {
  for (const Axes& axes : {Axes{2, 0, 1}, Axes{1, 2, 0}, Axes{0, 2, 1}, Axes{-1, -2, -3}}) {
    INFO("axes " << shape_str(axes));
    check_gradcheck([axes](const std::vector<Tensor>& in) { return permute(in[0], axes); },
                    {rand_f64({2, 3, 4})});
  }
  using AxisPair = std::pair<std::int64_t, std::int64_t>;
  for (const AxisPair& p : std::initializer_list<AxisPair>{{0, 1}, {0, -1}, {1, 2}}) {
    INFO("axes " << p.first << ", " << p.second);
    check_gradcheck(
        [p](const std::vector<Tensor>& in) { return transpose(in[0], p.first, p.second); },
        {rand_f64({2, 3, 4})});
  }
  check_gradcheck(second_order([](const Tensor& x) {
                    return permute(x, {1, 2, 0});
                  }),
                  {rand_f64({2, 3, 2})});
  CHECK(permute(rand_f64({2, 3}), {1, 0}).grad_fn_name() == "permute");
  CHECK(transpose(rand_f64({2, 3}), 1, 0).grad_fn_name() == "transpose");
}

// ---- squeeze and unsqueeze -----------------------------------------------------------

TEST_CASE("shape: squeeze and unsqueeze") {
  const Tensor x = iota({1, 3, 1, 2});
  CHECK(squeeze(x).shape() == Shape{3, 2});
  check_values(squeeze(x), {0, 1, 2, 3, 4, 5});
  CHECK(squeeze(x, 0).shape() == Shape{3, 1, 2});
  CHECK(squeeze(x, -2).shape() == Shape{1, 3, 2});
  // An axis whose size is not 1 leaves the shape unchanged (PyTorch).
  CHECK(squeeze(x, 1).shape() == Shape{1, 3, 1, 2});
  CHECK(squeeze(iota({1, 1})).shape() == Shape{});
  CHECK(squeeze(scalar_tensor(2.0), 0).shape() == Shape{});

  const Tensor y = iota({2, 3});
  CHECK(unsqueeze(y, 0).shape() == Shape{1, 2, 3});
  CHECK(unsqueeze(y, 1).shape() == Shape{2, 1, 3});
  CHECK(unsqueeze(y, 2).shape() == Shape{2, 3, 1});
  CHECK(unsqueeze(y, -1).shape() == Shape{2, 3, 1});
  CHECK(unsqueeze(y, -3).shape() == Shape{1, 2, 3});
  CHECK(unsqueeze(scalar_tensor(1.0), 0).shape() == Shape{1});
  check_values(unsqueeze(y, 1), {0, 1, 2, 3, 4, 5});
  CHECK(unsqueeze(iota({2}, i64), 0).dtype() == i64);
}

TEST_CASE("shape: squeeze and unsqueeze reject bad axes") {
  const Tensor y = iota({2, 3});
  check_throws<ShapeError>([&] { squeeze(y, 2); }, {"squeeze", "(2, 3)"});
  check_throws<ShapeError>([&] { squeeze(y, -3); }, {"squeeze", "(2, 3)"});
  check_throws<ShapeError>([&] { unsqueeze(y, 3); }, {"unsqueeze", "3", "(2, 3)"});
  check_throws<ShapeError>([&] { unsqueeze(y, -4); }, {"unsqueeze", "-4", "(2, 3)"});
  check_throws<GraphError>([&] { squeeze(Tensor()); }, {"squeeze"});
}

TEST_CASE("shape: squeeze and unsqueeze gradcheck") {
  check_gradcheck([](const std::vector<Tensor>& in) { return squeeze(in[0]); },
                  {rand_f64({1, 3, 1, 2})});
  check_gradcheck([](const std::vector<Tensor>& in) { return squeeze(in[0], -2); },
                  {rand_f64({1, 3, 1, 2})});
  check_gradcheck([](const std::vector<Tensor>& in) { return squeeze(in[0], 1); },
                  {rand_f64({1, 3, 1, 2})});
  check_gradcheck([](const std::vector<Tensor>& in) { return unsqueeze(in[0], 1); },
                  {rand_f64({2, 3})});
  check_gradcheck([](const std::vector<Tensor>& in) { return unsqueeze(in[0], -1); },
                  {rand_f64({2, 3})});
  CHECK(squeeze(rand_f64({1, 3})).grad_fn_name() == "squeeze");
  CHECK(unsqueeze(rand_f64({3}), 0).grad_fn_name() == "unsqueeze");
}

// ---- concat --------------------------------------------------------------------------

TEST_CASE("shape: concat joins along an existing axis") {
  const Tensor a = iota({2, 3});
  const Tensor b = tensor({10, 20}, {2, 1}, {.dtype = f64});
  const Tensor c = tensor({7, 8, 9}, {1, 3}, {.dtype = f64});
  const Tensor ab = concat({a, b}, -1);
  CHECK(ab.shape() == Shape{2, 4});
  check_values(ab, {0, 1, 2, 10, 3, 4, 5, 20});
  const Tensor ac = concat({a, c});
  CHECK(ac.shape() == Shape{3, 3});
  check_values(ac, {0, 1, 2, 3, 4, 5, 7, 8, 9});
  check_values(concat({a}, 1), a.to_vector<double>());
  // torch.cat([a, b, a], 1) with a = arange(6).reshape(2, 3), b = [[10], [20]].
  check_values(concat({a, b, a}, 1), {0, 1, 2, 10, 0, 1, 2, 3, 4, 5, 20, 3, 4, 5});
  // Empty pieces contribute nothing.
  check_values(concat({a, iota({2, 0})}, 1), a.to_vector<double>());

  // i64 with i64 stays i64; i64 with a float becomes that float (type promotion).
  const Tensor ii = concat({iota({2}, i64), iota({1}, i64)});
  CHECK(ii.dtype() == i64);
  check_values(ii, {0, 1, 0});
  const Tensor mixed = concat({iota({2}, i64), tensor({0.5}, {1}, {.dtype = f32})});
  CHECK(mixed.dtype() == f32);
  check_values(mixed, {0, 1, 0.5});
}

TEST_CASE("shape: concat rejects bad inputs") {
  const Tensor a = iota({2, 3});
  check_throws<ValueError>([&] { concat({}); }, {"concat", "empty"});
  check_throws<ShapeError>(
      [&] {
        concat({a, iota({3, 3})}, 1);
      },
      {"concat", "tensor 1", "(3, 3)", "(2, 3)", "axis 1"});
  check_throws<ShapeError>(
      [&] {
        concat({a, a, iota({2, 3, 1})});
      },
      {"concat", "tensor 2", "(2, 3, 1)", "(2, 3)"});
  check_throws<ShapeError>([&] { concat({a, a}, 2); }, {"concat", "(2, 3)"});
  check_throws<ShapeError>(
      [&] {
        concat({scalar_tensor(1.0), scalar_tensor(2.0)});
      },
      {"concat", "()"});
  check_throws<DtypeError>(
      [&] {
        concat({a, iota({2, 3}, f32)});
      },
      {"concat", "f64", "f32", "tensor 1"});
  check_throws<GraphError>([&] { concat({a, Tensor()}); }, {"concat"});
}

TEST_CASE("shape: concat gradcheck") {
  const auto cat = [](std::int64_t axis) {
    return [axis](const std::vector<Tensor>& in) { return concat(in, axis); };
  };
  check_gradcheck(cat(0), {rand_f64({2, 3}), rand_f64({1, 3}), rand_f64({3, 3})});
  check_gradcheck(cat(-1), {rand_f64({2, 2}), rand_f64({2, 3}), rand_f64({2, 1})});
  check_gradcheck(cat(1), {rand_f64({2, 2, 3}), rand_f64({2, 1, 3})});
  // An input that does not require grad gets no gradient; the others still do.
  const Tensor fixed = tensor({1, 2, 3}, {1, 3}, {.dtype = f64});
  check_gradcheck(cat(0), {rand_f64({2, 3}), fixed});
  // The same tensor twice: its gradient is the sum of both slices.
  check_gradcheck(
      [](const std::vector<Tensor>& in) {
        return concat({in[0], in[0]}, 1);
      },
      {rand_f64({2, 2})});
  check_gradcheck(second_order([](const Tensor& x) {
                    return concat({x, x * 2.0}, 0);
                  }),
                  {rand_f64({2, 3})});
  CHECK(concat({rand_f64({1}), rand_f64({2})}).grad_fn_name() == "concat");
}

// ---- stack ---------------------------------------------------------------------------

TEST_CASE("shape: stack joins along a new axis") {
  const Tensor a = iota({2, 3});
  const Tensor b = a + 10.0;
  const Tensor s0 = stack({a, b});
  CHECK(s0.shape() == Shape{2, 2, 3});
  check_values(s0, {0, 1, 2, 3, 4, 5, 10, 11, 12, 13, 14, 15});
  const Tensor s1 = stack({a, b}, 1);
  CHECK(s1.shape() == Shape{2, 2, 3});
  check_values(s1, {0, 1, 2, 10, 11, 12, 3, 4, 5, 13, 14, 15});
  const Tensor s2 = stack({a, b}, -1);
  CHECK(s2.shape() == Shape{2, 3, 2});
  check_values(s2, {0, 10, 1, 11, 2, 12, 3, 13, 4, 14, 5, 15});
  CHECK(stack({a, b}, -3).shape() == Shape{2, 2, 3});
  // Stacking 0-d tensors makes a vector.
  const Tensor v = stack({scalar_tensor(1.0), scalar_tensor(2.0), scalar_tensor(3.0)});
  CHECK(v.shape() == Shape{3});
  check_values(v, {1, 2, 3});
  const Tensor si = stack({iota({2}, i64), iota({2}, i64)}, 1);
  CHECK(si.dtype() == i64);
  check_values(si, {0, 0, 1, 1});
}

TEST_CASE("shape: stack rejects bad inputs") {
  const Tensor a = iota({2, 3});
  check_throws<ValueError>([&] { stack({}); }, {"stack", "empty"});
  check_throws<ShapeError>(
      [&] {
        stack({a, a, iota({3, 2})});
      },
      {"stack", "tensor 2", "(3, 2)", "(2, 3)"});
  check_throws<ShapeError>([&] { stack({a, a}, 3); }, {"stack", "3", "(2, 3)"});
  check_throws<ShapeError>([&] { stack({a, a}, -4); }, {"stack", "-4", "(2, 3)"});
  check_throws<DtypeError>(
      [&] {
        stack({iota({2}, f32), iota({2}, f64)});
      },
      {"stack", "f32", "f64"});
}

TEST_CASE("shape: stack gradcheck") {
  for (std::int64_t axis : {0, 1, 2, -1}) {
    INFO("axis " << axis);
    check_gradcheck([axis](const std::vector<Tensor>& in) { return stack(in, axis); },
                    {rand_f64({2, 3}), rand_f64({2, 3}), rand_f64({2, 3})});
  }
  check_gradcheck(second_order([](const Tensor& x) {
                    return stack({x, x * x}, 1);
                  }),
                  {rand_f64({2, 3})});
  CHECK(stack({rand_f64({2}), rand_f64({2})}).grad_fn_name() == "stack");
}

// ---- one_hot -------------------------------------------------------------------------

TEST_CASE("shape: one_hot") {
  // torch.nn.functional.one_hot(torch.tensor([0, 2, 1]), 3)
  const Tensor h = one_hot(tensor_i64({0, 2, 1}), 3);
  CHECK(h.shape() == Shape{3, 3});
  CHECK(h.dtype() == i64);
  check_values(h, {1, 0, 0, 0, 0, 1, 0, 1, 0});
  CHECK(one_hot(tensor_i64({0, 2, 1}), 5).shape() == Shape{3, 5});
  // one_hot(torch.tensor([[1, 0], [3, 1]])): num_classes inferred as max + 1 = 4.
  const Tensor h2 = one_hot(tensor_i64({1, 0, 3, 1}, {2, 2}));
  CHECK(h2.shape() == Shape{2, 2, 4});
  check_values(h2, {0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0});
  CHECK(one_hot(tensor_i64({}, {0}), 3).shape() == Shape{0, 3});
  CHECK(!h.requires_grad());
}

TEST_CASE("shape: one_hot rejects bad inputs") {
  check_throws<DtypeError>([] { one_hot(tensor({0.0, 1.0}), 2); }, {"one_hot", "i64", "f32"});
  check_throws<ValueError>(
      [] {
        one_hot(tensor_i64({0, 3, 1}), 3);
      },
      {"one_hot", "index 3", "num_classes 3"});
  check_throws<ValueError>(
      [] {
        one_hot(tensor_i64({0, -1}), 3);
      },
      {"one_hot", "index -1", "num_classes 3"});
  check_throws<ValueError>([] { one_hot(tensor_i64({-2, 1})); }, {"one_hot", "index -2"});
  check_throws<ValueError>([] { one_hot(tensor_i64({}, {0})); }, {"one_hot", "empty"});
  check_throws<ValueError>([] { one_hot(tensor_i64({0}), -3); }, {"one_hot", "-3"});
}
