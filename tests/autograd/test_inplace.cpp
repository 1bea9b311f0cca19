// In-place ops, version counters and the "modified by an inplace operation" check.
#include <doctest/doctest.h>

#include "support/check.hpp"

using namespace xg;
using xg::test::check_throws;
using xg::test::check_values;

TEST_CASE("inplace: values and versions") {
  Tensor a = tensor({1, 2, 3, 4}, {2, 2});
  CHECK(a.version() == 0);
  a.add_(tensor({10, 20}, {2}));  // broadcast over rows
  check_values(a, {11, 22, 13, 24});
  CHECK(a.version() == 1);
  a.sub_(1.0).mul_(2.0).div_(4.0);
  check_values(a, {5, 10.5, 6, 11.5});
  CHECK(a.version() == 4);
  a.clamp_(6.0, 11.0);
  check_values(a, {6, 10.5, 6, 11});
  a.copy_(tensor({7, 8}, {2}));
  check_values(a, {7, 8, 7, 8});
  a.fill_(3.0);
  check_values(a, {3, 3, 3, 3});
  a.zero_();
  check_values(a, {0, 0, 0, 0});
  CHECK(a.version() == 8);

  Tensor alias = a.detach();
  alias.add_(1.0);
  check_values(a, {1, 1, 1, 1});  // detach shares values and version
  CHECK(a.version() == 9);

  Tensor l = tensor_i64({1, 2});
  l.mul_(3.0);
  check_values(l, {3, 6});
  CHECK(l.dtype() == i64);
}

TEST_CASE("inplace: bad input") {
  Tensor a = ones({2, 2});
  check_throws<ShapeError>([&] { a.add_(ones({3})); }, {"add_", "(2, 2)", "(3)"});
  check_throws<ShapeError>([&] { a.mul_(ones({2, 2, 2})); }, {"mul_", "(2, 2)"});
  check_throws<DtypeError>([&] { a.add_(ones({2}, {.dtype = f64})); }, {"add_", "f32", "f64"});
  check_throws<ValueError>([&] { a.clamp_(1.0, 0.0); }, {"clamp"});
}

TEST_CASE("inplace: on a leaf that requires grad only inside NoGradGuard") {
  Tensor w = ones({2}, {.requires_grad = true});
  check_throws<GraphError>([&] { w.add_(1.0); }, {"add_", "leaf", "requires grad", "NoGradGuard"});
  check_throws<GraphError>([&] { w.zero_(); }, {"zero_", "leaf"});
  {
    NoGradGuard ng;
    w.mul_(3.0);
  }
  check_values(w, {3, 3});
  CHECK(w.is_leaf());
}

TEST_CASE("inplace: a value saved for backward and modified afterwards makes backward throw") {
  Tensor w = tensor({1.0, 2.0}, {2}, {.dtype = f64, .requires_grad = true});
  Tensor x = tensor({3.0, 4.0}, {2}, {.dtype = f64});
  Tensor y = (w * x).sum();  // mul saves x for w's gradient
  x.add_(1.0);
  check_throws<GraphError>([&] { y.backward(); }, {"mul", "modified by an inplace operation",
                                                   "version 1", "expected version 0", "(2)"});

  // An op that saved its output (exp) sees its output modified.
  Tensor v = tensor({0.5}, {1}, {.dtype = f64, .requires_grad = true});
  Tensor e = exp(v);
  Tensor z = e.sum();  // sum does not read e
  e.mul_(2.0);         // e is in the graph: recorded, and exp's saved output changes version
  check_throws<GraphError>([&] { z.backward(); }, {"exp", "its output", "inplace"});

  // add does not read its inputs: modifying one afterwards is fine, as in PyTorch.
  Tensor p = tensor({1.0, 2.0}, {2}, {.dtype = f64, .requires_grad = true});
  Tensor q = tensor({3.0, 4.0}, {2}, {.dtype = f64});
  Tensor s = (p + q).sum();
  q.add_(1.0);
  s.backward();
  check_values(p.grad(), {1, 1});
}

TEST_CASE("inplace: ops on tensors in a graph are recorded (gradients stay correct)") {
  Tensor x = tensor({1.0, 2.0, 3.0}, {3}, {.dtype = f64, .requires_grad = true});
  Tensor w = tensor({2.0, 3.0, 4.0}, {3}, {.dtype = f64, .requires_grad = true});
  Tensor y = x * 1.0;
  y.mul_(w);  // y = x * w: dy/dx = w, dy/dw = x
  y.add_(x);  // y = x * w + x
  CHECK(y.grad_fn_name() == "add");
  y.sum().backward();
  check_values(x.grad(), {3, 4, 5});
  check_values(w.grad(), {1, 2, 3});

  xg::test::check_gradcheck(
      [](const std::vector<Tensor>& v) {
        Tensor t = v[0] * 1.0;
        t.mul_(v[1]).sub_(v[0]).div_(2.0).clamp_(-0.5, 0.5);
        return t;
      },
      {xg::test::rand_f64({4}), xg::test::rand_f64({4})});
}

TEST_CASE("hooks: register_hook sees and replaces gradients; retain_grad") {
  Tensor x = tensor({1.0, 2.0}, {2}, {.dtype = f64, .requires_grad = true});
  std::vector<double> seen;
  x.register_hook([&](const Tensor& g) {
    seen = g.to_vector<double>();
    return Tensor();
  });
  Tensor h = x * 3.0;
  h.retain_grad();
  h.register_hook([](const Tensor& g) { return g * 10.0; });  // replaces h's gradient
  (h * h).sum().backward();
  // d/dh (h^2) = 2h = (6, 12); the hook scales to (60, 120); dx = 3 * that.
  check_values(h.grad(), {60, 120});  // retain_grad stores the gradient after all hooks
  check_values(x.grad(), {180, 360});
  CHECK(seen == std::vector<double>{180, 360});
  check_throws<GraphError>([] { ones({1}).register_hook([](const Tensor& g) { return g; }); },
                           {"register_hook", "does not require grad"});
}

TEST_CASE("anomaly: a backward producing nan names the op and where it was created") {
  Tensor x = tensor({0.0}, {1}, {.dtype = f64, .requires_grad = true});
  {
    DetectAnomalyGuard guard;
    CHECK(is_anomaly_enabled());
    Tensor y = sqrt(x) * 0.0;  // sqrt's backward: 0 / (2 * sqrt(0)) = nan
    bool thrown = false;
    try {
      y.sum().backward();
    } catch (const GraphError& e) {
      thrown = true;
      const std::string msg = e.what();
      CHECK(msg.find("anomaly detected") != std::string::npos);
      CHECK(msg.find("sqrt") != std::string::npos);
      CHECK(msg.find("created at") != std::string::npos);
      CHECK(msg.find("xg::sqrt") != std::string::npos);
    }
    CHECK(thrown);
  }
  CHECK_FALSE(is_anomaly_enabled());
  // Without the guard the same backward runs and yields nan (as PyTorch).
  Tensor y = sqrt(x) * 0.0;
  y.sum().backward();
  CHECK(std::isnan(x.grad().item()));
}
