// Tests of the indexing ops declared in autograd/ops/shape.hpp: slice, index_select and
// gather (implemented in autograd/ops/indexing.cpp).
//
// Expected values were produced with PyTorch 1.13 (/usr/bin/python3): z = torch.arange(12.)
// .reshape(3, 4), y = torch.arange(10.), then the same slice / index_select / gather, and
// for gradients w.grad after op(w).sum().backward().
#include <cstdint>
#include <functional>
#include <vector>

#include "support/check.hpp"

using namespace xg;
using xg::test::check_gradcheck;
using xg::test::check_throws;
using xg::test::check_values;
using xg::test::rand_f64;

using xg::test::iota;
using xg::test::second_order;

// ---- slice ---------------------------------------------------------------------------

TEST_CASE("indexing: slice follows Python slice semantics") {
  const Tensor y = iota({10});
  check_values(slice(y, 0, 2, 8, 3), {2, 5});                // y[2:8:3]
  check_values(slice(y, 0, -3, 10), {7, 8, 9});              // y[-3:]
  check_values(slice(y, 0, 3, 100), {3, 4, 5, 6, 7, 8, 9});  // y[3:100]
  check_values(slice(y, 0, -100, 2), {0, 1});                // y[-100:2]
  CHECK(slice(y, 0, 7, 3).shape() == Shape{0});              // y[7:3]
  CHECK(slice(y, 0, 20, 30).shape() == Shape{0});            // y[20:30]
  check_values(slice(y, -1, 0, 10, 100), {0});               // y[0:10:100]
  check_values(slice(y, 0, 1, 10, 4), {1, 5, 9});            // y[1:10:4]

  const Tensor z = iota({3, 4});
  const Tensor odd_cols = slice(z, 1, 1, 4, 2);  // z[:, 1::2]
  CHECK(odd_cols.shape() == Shape{3, 2});
  check_values(odd_cols, {1, 3, 5, 7, 9, 11});
  const Tensor last_rows = slice(z, 0, -2, 3);  // z[-2:]
  CHECK(last_rows.shape() == Shape{2, 4});
  check_values(last_rows, {4, 5, 6, 7, 8, 9, 10, 11});
  check_values(slice(z, -1, -3, -1), {1, 2, 5, 6, 9, 10});  // z[:, -3:-1]

  const Tensor zi = slice(iota({3, 4}, i64), 1, 0, 1);
  CHECK(zi.dtype() == i64);
  check_values(zi, {0, 4, 8});
  const Tensor zf = slice(iota({3, 4}, f32), 0, 1, 2);
  CHECK(zf.dtype() == f32);
  check_values(zf, {4, 5, 6, 7});
}

TEST_CASE("indexing: slice rejects bad arguments") {
  const Tensor z = iota({3, 4});
  check_throws<ValueError>([&] { slice(z, 1, 0, 4, 0); }, {"slice", "step", "0", "(3, 4)"});
  check_throws<ValueError>([&] { slice(z, 1, 0, 4, -1); }, {"slice", "step", "-1"});
  check_throws<ShapeError>([&] { slice(z, 2, 0, 1); }, {"slice", "(3, 4)"});
  check_throws<ShapeError>([&] { slice(z, -3, 0, 1); }, {"slice", "(3, 4)"});
  check_throws<GraphError>([&] { slice(Tensor(), 0, 0, 1); }, {"slice"});
}

TEST_CASE("indexing: slice gradcheck") {
  struct Case {
    std::int64_t axis, start, stop, step;
  };
  for (const Case& c : {Case{0, 1, 3, 1}, Case{1, 0, 4, 2}, Case{-1, -3, 100, 1}, Case{2, 1, 5, 3},
                        Case{1, 3, 1, 1}}) {
    INFO("axis " << c.axis << " start " << c.start << " stop " << c.stop << " step " << c.step);
    check_gradcheck(
        [c](const std::vector<Tensor>& in) {
          return slice(in[0], c.axis, c.start, c.stop, c.step);
        },
        {rand_f64({3, 4, 5})});
  }
  // Overlapping slices of one tensor: the gradients of both pieces add up.
  check_gradcheck(
      [](const std::vector<Tensor>& in) { return slice(in[0], 0, 0, 3) * slice(in[0], 0, 1, 4); },
      {rand_f64({4, 2})});
  check_gradcheck(second_order([](const Tensor& x) { return slice(x, 1, 1, 4, 2); }),
                  {rand_f64({2, 5})});
}

TEST_CASE("indexing: slice backward is a recorded, differentiable scatter") {
  const Tensor x = rand_f64({2, 5});
  const Tensor y = slice(x, 1, 1, 5, 2);
  CHECK(y.grad_fn_name() == "slice");
  const Tensor loss = (y * y).sum();
  const Tensor g = xg::grad({loss}, {x}, {.create_graph = true})[0];
  // d/dx sum(x[:, 1::2]^2) = 2x at columns 1 and 3, 0 elsewhere.
  const auto xv = x.to_vector<double>();
  std::vector<double> expected(10, 0.0);
  for (int r = 0; r < 2; ++r)
    for (int c : {1, 3}) expected[r * 5 + c] = 2 * xv[r * 5 + c];
  check_values(g, expected, 1e-12);
  CHECK(g.requires_grad());
}

// ---- index_select --------------------------------------------------------------------

TEST_CASE("indexing: index_select picks entries along an axis") {
  const Tensor z = iota({3, 4});
  const Tensor idx = tensor_i64({2, 0, 2});
  const Tensor rows = index_select(z, 0, idx);
  CHECK(rows.shape() == Shape{3, 4});
  check_values(rows, {8, 9, 10, 11, 0, 1, 2, 3, 8, 9, 10, 11});
  const Tensor cols = index_select(z, -1, idx);
  CHECK(cols.shape() == Shape{3, 3});
  check_values(cols, {2, 0, 2, 6, 4, 6, 10, 8, 10});
  CHECK(index_select(z, 1, tensor_i64({}, {0})).shape() == Shape{3, 0});

  // Middle axis of a 3-D tensor: x = arange(24).reshape(2, 3, 4), index [1, 1].
  check_values(index_select(iota({2, 3, 4}), 1, tensor_i64({1, 1})),
               {4, 5, 6, 7, 4, 5, 6, 7, 16, 17, 18, 19, 16, 17, 18, 19});

  const Tensor zi = index_select(iota({3, 4}, i64), 0, tensor_i64({1}));
  CHECK(zi.dtype() == i64);
  check_values(zi, {4, 5, 6, 7});
}

TEST_CASE("indexing: index_select sums gradients of repeated indices") {
  Tensor leaf = iota({3, 4});
  leaf.requires_grad_();
  index_select(leaf, 0, tensor_i64({2, 0, 2})).sum().backward();
  REQUIRE(leaf.grad().defined());
  check_values(leaf.grad(), {1, 1, 1, 1, 0, 0, 0, 0, 2, 2, 2, 2});
}

TEST_CASE("indexing: index_select rejects bad indices") {
  const Tensor z = iota({3, 4});
  check_throws<DtypeError>(
      [&] {
        index_select(z, 0, tensor({0.0, 1.0}));
      },
      {"index_select", "i64", "f32"});
  check_throws<ValueError>(
      [&] {
        index_select(z, 0, tensor_i64({0, 5}));
      },
      {"index_select", "index 5", "size 3", "(3, 4)"});
  check_throws<ValueError>([&] { index_select(z, 1, tensor_i64({-1})); },
                           {"index_select", "index -1", "size 4"});
  check_throws<ShapeError>(
      [&] {
        index_select(z, 0, tensor_i64({0, 1}, {2, 1}));
      },
      {"index_select", "(2, 1)"});
  check_throws<ShapeError>([&] { index_select(z, 2, tensor_i64({0})); },
                           {"index_select", "(3, 4)"});
}

TEST_CASE("indexing: index_select gradcheck") {
  const Tensor dup = tensor_i64({2, 0, 2, 2});
  for (std::int64_t axis : {0, 1, 2, -1}) {
    INFO("axis " << axis);
    check_gradcheck(
        [&dup, axis](const std::vector<Tensor>& in) { return index_select(in[0], axis, dup); },
        {rand_f64({3, 3, 3})});
  }
  check_gradcheck(second_order([&dup](const Tensor& x) { return index_select(x, 1, dup); }),
                  {rand_f64({2, 3})});
  CHECK(index_select(rand_f64({3}), 0, dup).grad_fn_name() == "index_select");
}

// ---- gather --------------------------------------------------------------------------

TEST_CASE("indexing: gather picks one entry per index position") {
  const Tensor z = iota({3, 4});
  const Tensor g1 = gather(z, 1, tensor_i64({0, 3, 1, 1, 2, 0}, {3, 2}));
  CHECK(g1.shape() == Shape{3, 2});
  check_values(g1, {0, 3, 5, 5, 10, 8});
  const Tensor g0 = gather(z, 0, tensor_i64({2, 0, 1, 2, 0, 0, 2, 1}, {2, 4}));
  CHECK(g0.shape() == Shape{2, 4});
  check_values(g0, {8, 1, 6, 11, 0, 1, 10, 7});
  // The index may be smaller than x along the other axes.
  const Tensor gs = gather(z, -1, tensor_i64({1, 0}, {2, 1}));
  CHECK(gs.shape() == Shape{2, 1});
  check_values(gs, {1, 4});
  // torch.gather(torch.arange(24.).reshape(2, 3, 4), 1, tensor([[[2, 0, 1, 1]], [[0, 2, 2, 1]]]))
  check_values(gather(iota({2, 3, 4}), 1, tensor_i64({2, 0, 1, 1, 0, 2, 2, 1}, {2, 1, 4})),
               {8, 1, 6, 7, 12, 21, 22, 19});

  const Tensor gi = gather(iota({3, 4}, i64), 1, tensor_i64({3, 2, 1}, {3, 1}));
  CHECK(gi.dtype() == i64);
  check_values(gi, {3, 6, 9});
}

TEST_CASE("indexing: gather sums gradients of repeated indices") {
  Tensor leaf = iota({3, 4});
  leaf.requires_grad_();
  gather(leaf, 1, tensor_i64({0, 3, 1, 1, 2, 0}, {3, 2})).sum().backward();
  REQUIRE(leaf.grad().defined());
  check_values(leaf.grad(), {1, 0, 0, 1, 0, 2, 0, 0, 1, 0, 1, 0});
}

TEST_CASE("indexing: gather rejects bad indices") {
  const Tensor z = iota({3, 4});
  check_throws<DtypeError>(
      [&] {
        gather(z, 1, tensor({0.0, 1.0}, {2, 1}));
      },
      {"gather", "i64", "f32"});
  check_throws<ShapeError>([&] { gather(z, 1, tensor_i64({0, 1})); }, {"gather", "(2)", "(3, 4)"});
  check_throws<ShapeError>(
      [&] {
        gather(z, 1, tensor_i64({0, 0, 0, 0}, {4, 1}));
      },
      {"gather", "(4, 1)", "(3, 4)", "axis 0"});
  check_throws<ValueError>(
      [&] {
        gather(z, 1, tensor_i64({0, 4}, {2, 1}));
      },
      {"gather", "index 4", "size 4"});
  check_throws<ValueError>(
      [&] {
        gather(z, 0, tensor_i64({-1}, {1, 1}));
      },
      {"gather", "index -1", "size 3"});
  check_throws<ShapeError>([&] { gather(z, 2, tensor_i64({0}, {1, 1})); }, {"gather", "(3, 4)"});
}

TEST_CASE("indexing: gather gradcheck") {
  // Index with repeats along every axis choice: shape (2, 3, 3) in x of shape (3, 3, 4).
  const Tensor idx = tensor_i64({0, 2, 2, 1, 1, 0, 2, 2, 2, 0, 0, 1, 1, 2, 1, 0, 0, 0}, {2, 3, 3});
  for (std::int64_t axis : {0, 1, 2, -1}) {
    INFO("axis " << axis);
    check_gradcheck(
        [&idx, axis](const std::vector<Tensor>& in) { return gather(in[0], axis, idx); },
        {rand_f64({3, 3, 4})});
  }
  const Tensor idx2 = tensor_i64({1, 1, 0, 2, 2, 2}, {2, 3});
  check_gradcheck(second_order([&idx2](const Tensor& x) { return gather(x, 1, idx2); }),
                  {rand_f64({2, 3})});
  CHECK(gather(rand_f64({2, 3}), 1, idx2).grad_fn_name() == "gather");
}
