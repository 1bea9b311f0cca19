// The backward engine: accumulation, broadcasting, graph freeing, errors, long chains,
// grad() and create_graph.
#include <doctest/doctest.h>

#include "support/check.hpp"

using namespace xg;
using xg::test::check_throws;
using xg::test::check_values;

TEST_CASE("engine: gradients of a reused tensor are summed") {
  Tensor x = tensor({2.0, 3.0}, {2}, {.dtype = f64, .requires_grad = true});
  Tensor y = (x * x + x * 3.0).sum();  // dy/dx = 2x + 3
  y.backward();
  check_values(x.grad(), {7.0, 9.0});
}

TEST_CASE("engine: a broadcast input gets its gradient summed back to its shape") {
  Tensor a = ones({2, 3}, {.dtype = f64, .requires_grad = true});
  Tensor b = tensor({1.0, 2.0, 3.0}, {3}, {.dtype = f64, .requires_grad = true});
  Tensor c = tensor({10.0}, {1, 1}, {.dtype = f64, .requires_grad = true});
  ((a * b) * c).sum().backward();
  CHECK(b.grad().shape() == Shape{3});
  CHECK(c.grad().shape() == Shape{1, 1});
  check_values(b.grad(), {20.0, 20.0, 20.0});
  check_values(c.grad(), {12.0});
  check_values(a.grad(), {10, 20, 30, 10, 20, 30});
}

TEST_CASE("engine: leaf gradients accumulate until zero_grad") {
  Tensor x = tensor({1.0, -1.0}, {2}, {.requires_grad = true});
  (x * 2.0).sum().backward();
  (x * 2.0).sum().backward();
  check_values(x.grad(), {4.0, 4.0});
  x.zero_grad();
  CHECK_FALSE(x.grad().defined());
  (x * 2.0).sum().backward();
  check_values(x.grad(), {2.0, 2.0});
  x.zero_grad(/*set_to_none=*/false);
  check_values(x.grad(), {0.0, 0.0});
}

TEST_CASE("engine: the graph is freed after backward unless retain_graph") {
  Tensor x = tensor({1.0, 2.0}, {2}, {.dtype = f64, .requires_grad = true});
  Tensor y = exp(x).sum();
  y.backward({.retain_graph = true});
  y.backward();
  check_values(x.grad(), {2 * std::exp(1.0), 2 * std::exp(2.0)});
  check_throws<GraphError>([&] { y.backward(); }, {"second time", "retain_graph"});
}

TEST_CASE("engine: backward needs a scalar or a gradient, and something requiring grad") {
  Tensor x = tensor({1.0, 2.0}, {2}, {.requires_grad = true});
  Tensor y = x * 2.0;
  check_throws<GraphError>([&] { y.backward(); }, {"backward", "(2)", "one element"});
  y.backward(tensor({1.0, 10.0}));
  check_values(x.grad(), {2.0, 20.0});

  Tensor z = tensor({1.0, 2.0}, {2});
  check_throws<GraphError>([&] { z.sum().backward(); }, {"backward", "does not require grad"});
  {
    NoGradGuard ng;
    Tensor w = x * 2.0;
    CHECK_FALSE(w.requires_grad());
    check_throws<GraphError>([&] { w.sum().backward(); }, {"does not require grad"});
  }
  Tensor y2 = x * 2.0;
  check_throws<ShapeError>(
      [&] {
        y2.backward(tensor({1.0, 2.0, 3.0}));
      },
      {"backward", "(3)", "(2)"});
}

TEST_CASE("engine: a chain of 1,000,000 ops runs backward and is destroyed without a crash") {
  Tensor x = scalar_tensor(1.0, {.dtype = f64, .requires_grad = true});
  {
    Tensor y = x;
    for (int i = 0; i < 1'000'000; ++i) y = y * 1.0;
    y.backward();
    check_values(x.grad(), {1.0});
  }
  {
    // Never backward'ed: destruction alone walks the whole chain.
    Tensor y = x;
    for (int i = 0; i < 1'000'000; ++i) y = exp(y) - 1.0;
  }
  CHECK(x.grad().defined());
}

TEST_CASE("engine: requires_grad rules") {
  Tensor x = ones({2}, {.requires_grad = true});
  CHECK(x.is_leaf());
  Tensor y = x * 2.0;
  CHECK_FALSE(y.is_leaf());
  CHECK(y.grad_fn_name() == "mul");
  check_throws<GraphError>([&] { y.requires_grad_(); }, {"requires_grad_", "leaf"});
  Tensor labels = tensor_i64({1, 2});
  check_throws<DtypeError>([&] { labels.requires_grad_(); }, {"requires_grad_", "i64"});
  check_throws<DtypeError>([&] { zeros({2}, {.dtype = i64, .requires_grad = true}); },
                           {"zeros", "i64"});
  Tensor d = y.detach();
  CHECK_FALSE(d.requires_grad());
  CHECK(d.is_leaf());
}

TEST_CASE("engine: grad() returns gradients without touching .grad") {
  Tensor x = tensor({1.0, 2.0, 3.0}, {3}, {.dtype = f64, .requires_grad = true});
  Tensor h = x * x;
  Tensor y = (h * 2.0).sum();
  auto g = grad({y}, {x, h}, {.retain_graph = true});
  check_values(g[0], {4.0, 8.0, 12.0});
  check_values(g[1], {2.0, 2.0, 2.0});
  CHECK_FALSE(x.grad().defined());

  Tensor unused = ones({2}, {.dtype = f64, .requires_grad = true});
  check_throws<GraphError>([&] { grad({y}, {unused}, {.retain_graph = true}); },
                           {"grad", "not used", "allow_unused"});
  auto g2 = grad({y}, {unused}, {.allow_unused = true});
  CHECK_FALSE(g2[0].defined());
}

TEST_CASE("engine: create_graph records the backward pass (second derivatives)") {
  Tensor x = tensor({0.5, 2.0}, {2}, {.dtype = f64, .requires_grad = true});
  Tensor y = (x * x * x).sum();  // dy/dx = 3x^2, d2y/dx2 = 6x
  auto g = grad({y}, {x}, {.create_graph = true});
  CHECK(g[0].requires_grad());
  check_values(g[0], {0.75, 12.0});
  g[0].sum().backward();
  check_values(x.grad(), {3.0, 12.0});

  // Through an op that saves its output (exp): d2/dx2 exp(x) = exp(x).
  Tensor z = tensor({0.3}, {1}, {.dtype = f64, .requires_grad = true});
  auto gz = grad({exp(z).sum()}, {z}, {.create_graph = true});
  auto ggz = grad({gz[0].sum()}, {z});
  check_values(ggz[0], {std::exp(0.3)});
}

TEST_CASE("engine: backward with create_graph makes .grad differentiable") {
  Tensor x = tensor({1.5}, {1}, {.dtype = f64, .requires_grad = true});
  (x * x * x).sum().backward({.create_graph = true});
  Tensor gx = x.grad();
  CHECK(gx.requires_grad());
  auto gg = grad({gx.sum()}, {x});
  check_values(gg[0], {9.0});
  // x.grad()'s graph refers back to x (a cycle, as in PyTorch); zero_grad() breaks it.
  x.zero_grad();
}

TEST_CASE("engine: grad() of a non-leaf warns and points to retain_grad()") {
  std::vector<std::string> warnings;
  set_warning_handler([&](const std::string& m) { warnings.push_back(m); });
  Tensor x = tensor({1, 2}, {2}, {.requires_grad = true});
  Tensor y = x * 2.0;
  (y * y).sum().backward({.retain_graph = true});
  CHECK_FALSE(y.grad().defined());
  REQUIRE(warnings.size() == 1);
  CHECK(warnings[0].find("not a leaf") != std::string::npos);
  CHECK(warnings[0].find("retain_grad()") != std::string::npos);
  CHECK(warnings[0].find("mul") != std::string::npos);
  // No warning for a leaf, nor for a non-leaf that retains its gradient.
  CHECK(x.grad().defined());
  Tensor z = x * 3.0;
  z.retain_grad();
  z.sum().backward();
  CHECK(z.grad().defined());
  CHECK(warnings.size() == 1);
  set_warning_handler(nullptr);
}
