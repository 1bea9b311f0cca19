// Saved tensors and in-place writes: every tensor a backward reads is saved with its
// version (autograd/function.hpp), so an in-place write to it before backward raises the
// version error or gives PyTorch's gradient, never a silently wrong one. Also the
// regressions of the in-place / xg::grad defects, and Tensor::view.
#include <doctest/doctest.h>

#include "support/check.hpp"

using namespace xg;
using xg::test::check_throws;
using xg::test::check_values;

namespace {
const std::vector<std::string> kVersionError = {"modified by an inplace operation", "version"};
}

TEST_CASE(
    "saved tensors: an index modified in place before backward raises (gather, "
    "index_select)") {
  // PyTorch: RuntimeError ... modified by an inplace operation. Before the fix the index was
  // not saved with its version and backward silently gave [0, 2, 0, 0].
  Tensor x = tensor({1, 2, 3, 4}, {4}, {.dtype = f64, .requires_grad = true});
  Tensor idx = tensor_i64({0, 0});
  Tensor y = gather(x, 0, idx);
  idx.add_(1.0);
  check_throws<GraphError>([&] { y.sum().backward(); }, {"gather", kVersionError[0]});

  Tensor idx2 = tensor_i64({3});
  Tensor z = index_select(x, 0, idx2);
  idx2.zero_();
  check_throws<GraphError>([&] { z.sum().backward(); }, {"index_select", kVersionError[0]});

  // Unmodified, the gradient goes to the indexed position (twice for a repeated index).
  Tensor idx3 = tensor_i64({0, 0});
  gather(x, 0, idx3).sum().backward();
  check_values(x.grad(), {2, 0, 0, 0});
}

TEST_CASE("saved tensors: in-place writes to every kind of saved tensor") {
  Tensor x = tensor({0.5, -1.0, 2.0}, {3}, {.dtype = f64, .requires_grad = true});
  SUBCASE("an input (mul saves both operands)") {
    Tensor a = x * 2.0;
    Tensor y = a * x;
    a.add_(1.0);
    check_throws<GraphError>([&] { y.sum().backward(); }, {"mul", kVersionError[0]});
  }
  SUBCASE("an input that no gradient needs is not read: PyTorch's gradient") {
    // y = a * c with c constant: only a's gradient (c) is needed, so writing a is harmless.
    Tensor a = x * 2.0;
    Tensor c = tensor({1, 2, 3}, {3}, {.dtype = f64});
    Tensor y = a * c;
    a.mul_(10.0);
    y.sum().backward();
    check_values(x.grad(), {2, 4, 6});
  }
  SUBCASE("an output (exp saves its result)") {
    Tensor y = exp(x);
    y.mul_(2.0);
    check_throws<GraphError>([&] { y.sum().backward(); }, {"exp", "its output"});
  }
  SUBCASE("a mask (where saves its condition)") {
    Tensor cond = gt(x, 0.0);
    Tensor y = where(cond, x, 0.0);
    cond.fill_(1.0);
    check_throws<GraphError>([&] { y.sum().backward(); }, {"where", kVersionError[0]});
  }
  SUBCASE("a weight updated before backward (linear saves x and the weight)") {
    Tensor w = tensor({1, 2, 3, 4, 5, 6}, {2, 3}, {.dtype = f64, .requires_grad = true});
    Tensor in = x * 1.0;
    Tensor y = linear(in.unsqueeze(0), w);
    {
      NoGradGuard ng;
      w.sub_(1.0);  // an optimizer step between forward and backward
    }
    check_throws<GraphError>([&] { y.sum().backward(); }, {"linear", kVersionError[0]});
  }
  SUBCASE("a target (binary cross-entropy saves it)") {
    Tensor p = sigmoid(x);
    Tensor target = tensor({1, 0, 1}, {3}, {.dtype = f64});
    Tensor loss = nn::functional::binary_cross_entropy(p, target);
    target.fill_(0.0);
    check_throws<GraphError>([&] { loss.backward(); }, {"binary_cross_entropy", kVersionError[0]});
  }
}

TEST_CASE("copy_ into a tensor in a graph replaces its history") {
  // PyTorch: x.grad == [0, 0]; before the fix copy_ kept t's old graph (x.grad = [30, 42]).
  Tensor x = tensor({1, 2}, {2}, {.dtype = f64, .requires_grad = true});
  Tensor t = x * 3.0;
  t.copy_(tensor({5, 7}, {2}, {.dtype = f64}));
  CHECK(t.requires_grad());
  (t * t).sum().backward();
  check_values(x.grad(), {0, 0});
  check_values(t, {5, 7});

  // The source receives the gradient, summed to its broadcast shape.
  Tensor x2 = tensor({1, 2}, {2}, {.dtype = f64, .requires_grad = true});
  Tensor c = tensor({4}, {1}, {.dtype = f64, .requires_grad = true});
  Tensor t2 = x2 * 3.0;
  t2.copy_(c);
  (t2 * x2).sum().backward();
  check_values(c.grad(), {3});      // d/dc sum(c * x2) = x2[0] + x2[1]
  check_values(x2.grad(), {4, 4});  // only through the direct product

  // Second order through gelu then copy_: the copied-over gelu contributes nothing.
  Tensor x3 = tensor({0.3, -0.7}, {2}, {.dtype = f64, .requires_grad = true});
  Tensor g3 = gelu(x3);
  g3.copy_(tensor({1, 1}, {2}, {.dtype = f64}));
  const Tensor d = xg::grad({(g3 * x3 * x3).sum()}, {x3}, {.create_graph = true})[0];
  check_values(d, {0.6, -1.4});  // 2 x
  const Tensor dd = xg::grad({d.sum()}, {x3})[0];
  check_values(dd, {2, 2});
}

TEST_CASE("fill_ and zero_ on a tensor in a graph keep it requiring grad") {
  // PyTorch keeps requires_grad (FillBackward gives the old history a zero gradient);
  // before the fix the tensor left the graph and xg::grad with respect to it threw.
  Tensor x = tensor({1, 2}, {2}, {.dtype = f64, .requires_grad = true});
  Tensor t = x * 2.0;
  t.fill_(3.0);
  CHECK(t.requires_grad());
  Tensor loss = (t * x).sum();
  const auto g = xg::grad({loss}, {t, x}, {.retain_graph = true});
  check_values(g[0], {1, 2});  // d/dt = x
  check_values(g[1], {3, 3});  // only through the product: t no longer depends on x
  Tensor u = x * 2.0;
  u.zero_();
  CHECK(u.requires_grad());
  (u + x).sum().backward();
  check_values(x.grad(), {1, 1});
}

TEST_CASE("xg::grad with the same tensor listed twice returns the gradient for both") {
  Tensor x = tensor({1, 2}, {2}, {.dtype = f64, .requires_grad = true});
  Tensor loss = (x * x).sum();
  auto g = xg::grad({loss}, {x, x}, {.retain_graph = true});
  REQUIRE(g.size() == 2);
  check_values(g[0], {2, 4});
  check_values(g[1], {2, 4});
  // Reached without listing a tensor twice: ops that return their input itself.
  g = xg::grad({loss}, {x, x.to(f64), sum_to_size(x, {2})}, {.retain_graph = true});
  for (const auto& gi : g) check_values(gi, {2, 4});
  // A non-leaf listed twice.
  Tensor h = x * 3.0;
  g = xg::grad({(h * h).sum()}, {h, h});
  check_values(g[0], {6, 12});
  check_values(g[1], {6, 12});
}

TEST_CASE("view: shares values, differentiable, refuses in-place writes that need rebasing") {
  Tensor a = tensor({1, 2, 3, 4, 5, 6}, {2, 3});
  Tensor v = a.view({3, 2});
  CHECK(v.shape() == Shape{3, 2});
  v.mul_(2.0);
  check_values(a, {2, 4, 6, 8, 10, 12});  // the write is seen through the base
  CHECK(a.version() == v.version());
  CHECK(a.view({-1}).shape() == Shape{6});
  check_throws<ShapeError>([&] { a.view({4, 2}); }, {"(2, 3)", "(4, 2)"});

  Tensor x = tensor({1, 2, 3, 4}, {2, 2}, {.dtype = f64, .requires_grad = true});
  Tensor y = x * 1.0;
  Tensor w = y.view({4});
  CHECK(w.grad_fn_name() == "view");
  (w * tensor({1, 2, 3, 4}, {4}, {.dtype = f64})).sum().backward();
  check_values(x.grad(), {1, 2, 3, 4});
  check_throws<GraphError>([&] { w.add_(1.0); }, {"add_", "view", "clone()"});
  check_throws<GraphError>([&] { y.mul_(2.0); }, {"mul_", "view"});
  {
    NoGradGuard ng;
    y.mul_(2.0);  // without a graph the write is fine
  }
  check_values(w, {2, 4, 6, 8});

  Tensor p = tensor({0.1, 0.2, 0.3, 0.4, 0.5, 0.6}, {2, 3}, {.dtype = f64, .requires_grad = true});
  auto f = [](const std::vector<Tensor>& in) {
    return (in[0].view({3, 2}) * in[0].view({3, 2})).sum();
  };
  CHECK(gradcheck(f, {p}).ok);
  CHECK(gradgradcheck(f, {p}).ok);
}

TEST_CASE("PyTorch semantics found by the differential test (tests/differential)") {
  Tensor x = tensor({0.5, -1.0}, {2}, {.dtype = f64, .requires_grad = true});
  SUBCASE("xg::grad runs only the nodes on paths to the requested inputs") {
    // exp saved its output, which add_ then modified; exp's backward is not needed for the
    // gradient with respect to a, so PyTorch does not run it (and does not raise).
    Tensor a = exp(x);
    a.add_(1.0);
    const auto g = xg::grad({(a * 3.0).sum()}, {a});
    check_values(g[0], {3, 3});
    check_throws<GraphError>([&] { xg::grad({(a * 3.0).sum()}, {x}); }, {"exp", "inplace"});
  }
  SUBCASE("std of a constant input has a zero gradient") {
    Tensor c = tensor({2, 2, 2}, {3}, {.dtype = f64, .requires_grad = true});
    xg::std(c).backward();
    check_values(c.grad(), {0, 0, 0});
    Tensor one = tensor({0.5}, {1}, {.dtype = f64, .requires_grad = true});
    xg::std(one, {0}, /*correction=*/0).backward();
    check_values(one.grad(), {0});
  }
  SUBCASE("second derivatives through abs, relu and leaky_relu are zeros, not absent") {
    const Tensor c = tensor({2, 3}, {2}, {.dtype = f64});
    for (auto f :
         {+[](const Tensor& t) { return abs(t); }, +[](const Tensor& t) { return relu(t); },
          +[](const Tensor& t) { return leaky_relu(t, 0.1); }}) {
      const Tensor g = xg::grad({(f(x) * c).sum()}, {x}, {.create_graph = true})[0];
      CHECK(g.requires_grad());
      check_values(xg::grad({(g * c).sum()}, {x})[0], {0, 0});
    }
  }
  SUBCASE("broadcast_to its own shape is a new tensor in the graph") {
    Tensor b = broadcast_to(x, {2});
    CHECK(b.grad_fn_name() == "broadcast_to");
    const auto g = xg::grad({(x * 3.0).sum()}, {b}, {.allow_unused = true});
    CHECK_FALSE(g[0].defined());
  }
}
