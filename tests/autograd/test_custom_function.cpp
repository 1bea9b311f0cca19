// User-defined functions (autograd/custom_function.hpp): values, gradchecks, saved tensors,
// several outputs, non-differentiable outputs, hooks, xg::grad, anomaly mode, bad backwards.
#include <doctest/doctest.h>

#include <cmath>

#include "support/check.hpp"

using namespace xg;
using autograd::AutogradContext;
using xg::test::check_throws;
using xg::test::check_values;

namespace {

// log(1 + exp(x)) without overflow, with its derivative sigmoid(x) written with xgrad ops
// (so that it can be differentiated again).
struct Log1pExp : autograd::Function<Log1pExp> {
  static Tensor forward(AutogradContext* ctx, const Tensor& x) {
    ctx->save_for_backward({x});
    return maximum(x, zeros_like(x)) + log(1.0 + exp(-abs(x)));
  }
  static tensor_list backward(AutogradContext* ctx, const tensor_list& grad_outputs) {
    const Tensor x = ctx->get_saved_variables()[0];
    return {grad_outputs[0] * sigmoid(x)};
  }
};

// a * x + y with a plain number argument: backward returns Tensor() for it.
struct ScaledAdd : autograd::Function<ScaledAdd> {
  static Tensor forward(AutogradContext* ctx, const Tensor& x, double a, const Tensor& y) {
    ctx->saved_data["a"] = a;
    CHECK_FALSE(ctx->needs_input_grad(1));
    return x * a + y;
  }
  static tensor_list backward(AutogradContext* ctx, const tensor_list& g) {
    const double a = std::any_cast<double>(ctx->saved_data["a"]);
    return {ctx->needs_input_grad(0) ? g[0] * a : Tensor(), Tensor(),
            ctx->needs_input_grad(2) ? g[0] : Tensor()};
  }
};

// Two outputs: (x * y, x + y); the output itself is saved in the single-output case below.
struct ProductAndSum : autograd::Function<ProductAndSum> {
  static tensor_list forward(AutogradContext* ctx, const Tensor& x, const Tensor& y) {
    ctx->save_for_backward({x, y});
    return {x * y, x + y};
  }
  static tensor_list backward(AutogradContext* ctx, const tensor_list& g) {
    const auto s = ctx->get_saved_variables();
    return {g[0] * s[1] + g[1], g[0] * s[0] + g[1]};
  }
};

// exp saving its output.
struct MyExp : autograd::Function<MyExp> {
  static Tensor forward(AutogradContext* ctx, const Tensor& x) {
    Tensor y = exp(x);
    ctx->save_for_backward({y});
    return y;
  }
  static tensor_list backward(AutogradContext* ctx, const tensor_list& g) {
    return {g[0] * ctx->get_saved_variables()[0]};
  }
};

// The row maximum and its (non-differentiable) position.
struct RowMax : autograd::Function<RowMax> {
  static tensor_list forward(AutogradContext* ctx, const Tensor& x) {
    Tensor idx = argmax(x, 1, /*keepdim=*/true);
    Tensor values = gather(x, 1, idx);
    ctx->mark_non_differentiable({idx});
    ctx->save_for_backward({idx});
    ctx->saved_data["shape"] = x.shape();
    return {values, idx};
  }
  static tensor_list backward(AutogradContext* ctx, const tensor_list& g) {
    const Tensor idx = ctx->get_saved_variables()[0];
    const auto shape = std::any_cast<Shape>(ctx->saved_data["shape"]);
    // Scatter the gradient to the arg-max: one_hot(idx) * g.
    const Tensor hot = one_hot(idx.squeeze(1), shape[1]).to(g[0].dtype());
    return {hot * g[0]};
  }
};

struct WrongCount : autograd::Function<WrongCount> {
  static Tensor forward(AutogradContext*, const Tensor& x) { return x * 2.0; }
  static tensor_list backward(AutogradContext*, const tensor_list& g) { return {g[0], g[0]}; }
};

struct WrongShape : autograd::Function<WrongShape> {
  static Tensor forward(AutogradContext*, const Tensor& x) { return x * 2.0; }
  static tensor_list backward(AutogradContext*, const tensor_list&) {
    return {ones({7}, {.dtype = f64})};
  }
};

struct GradForNumber : autograd::Function<GradForNumber> {
  static Tensor forward(AutogradContext*, const Tensor& x, int) { return x * 2.0; }
  static tensor_list backward(AutogradContext*, const tensor_list& g) { return {g[0], g[0]}; }
};

struct NanBackward : autograd::Function<NanBackward> {
  static Tensor forward(AutogradContext*, const Tensor& x) { return x * 1.0; }
  static tensor_list backward(AutogradContext*, const tensor_list& g) { return {g[0] / 0.0 * 0.0}; }
};

struct Identity : autograd::Function<Identity> {
  static Tensor forward(AutogradContext*, const Tensor& x) { return x; }
  static tensor_list backward(AutogradContext*, const tensor_list& g) { return {g[0] * 2.0}; }
};

}  // namespace

TEST_CASE("custom function: values against known numbers, gradient, name") {
  Tensor x = tensor({0.0, 10.0, -10.0, 1000.0}, {4}, {.dtype = f64, .requires_grad = true});
  Tensor y = Log1pExp::apply(x);
  // log(2), 10 + log1p(e^-10), log1p(e^-10), 1000 (the naive form overflows to inf).
  check_values(y, {0.6931471805599453, 10.000045398899218, 4.5398899216870535e-05, 1000.0}, 1e-12);
  CHECK(y.grad_fn_name().find("Log1pExp") != std::string::npos);
  y.sum().backward();
  check_values(x.grad(), {0.5, 0.9999546021312976, 4.5397868702434395e-05, 1.0}, 1e-12);
  // Without anything requiring grad nothing is recorded.
  Tensor c = tensor({1.0}, {1}, {.dtype = f64});
  CHECK_FALSE(Log1pExp::apply(c).requires_grad());
  {
    NoGradGuard ng;
    CHECK_FALSE(Log1pExp::apply(x).requires_grad());
  }
}

TEST_CASE("custom function: gradcheck and gradgradcheck") {
  manual_seed(3);
  Tensor x = randn({3, 4}, {.dtype = f64, .requires_grad = true});
  Tensor y = randn({3, 4}, {.dtype = f64, .requires_grad = true});
  auto f1 = [](const std::vector<Tensor>& in) { return (Log1pExp::apply(in[0]) * in[0]).sum(); };
  CHECK(gradcheck(f1, {x}).ok);
  CHECK(gradgradcheck(f1, {x}).ok);
  auto f2 = [](const std::vector<Tensor>& in) {
    const auto out = ProductAndSum::apply(in[0], in[1]);
    return (out[0] * out[0] + out[1] * in[0]).sum();
  };
  CHECK(gradcheck(f2, {x, y}).ok);
  CHECK(gradgradcheck(f2, {x, y}).ok);
  auto f3 = [](const std::vector<Tensor>& in) { return (MyExp::apply(in[0]) * in[0]).sum(); };
  CHECK(gradcheck(f3, {x}).ok);
  CHECK(gradgradcheck(f3, {x}).ok);
  auto f4 = [](const std::vector<Tensor>& in) {
    return ScaledAdd::apply(in[0], 3.0, in[1]).pow(2.0).sum();
  };
  CHECK(gradcheck(f4, {x, y}).ok);
  // A gradcheck that must fail: a wrong backward is caught.
  auto bad = [](const std::vector<Tensor>& in) { return Identity::apply(in[0] * 1.0).sum(); };
  CHECK_FALSE(gradcheck(bad, {x}).ok);
}

TEST_CASE("custom function: several outputs, unused outputs, non-differentiable outputs") {
  Tensor x = tensor({1, 2}, {2}, {.dtype = f64, .requires_grad = true});
  Tensor y = tensor({3, 4}, {2}, {.dtype = f64, .requires_grad = true});
  auto out = ProductAndSum::apply(x, y);
  REQUIRE(out.size() == 2);
  check_values(out[0], {3, 8});
  check_values(out[1], {4, 6});
  out[0].sum().backward();  // the sum output is unused: its gradient is zeros
  check_values(x.grad(), {3, 4});
  check_values(y.grad(), {1, 2});

  Tensor m = tensor({1, 5, 2, 7, 3, 4}, {2, 3}, {.dtype = f64, .requires_grad = true});
  auto r = RowMax::apply(m);
  check_values(r[0], {5, 7});
  CHECK(r[1].dtype() == i64);
  CHECK_FALSE(r[1].requires_grad());
  check_values(r[1], {1, 0});
  (r[0] * tensor({2, 3}, {2, 1}, {.dtype = f64})).sum().backward();
  check_values(m.grad(), {0, 2, 0, 3, 0, 0});
}

TEST_CASE("custom function: saved tensors are version-checked") {
  Tensor x = tensor({1, 2}, {2}, {.dtype = f64, .requires_grad = true});
  Tensor h = x * 1.0;
  Tensor y = Log1pExp::apply(h);
  h.add_(1.0);
  check_throws<GraphError>([&] { y.sum().backward(); }, {"Log1pExp", "modified by an inplace"});
  Tensor e = MyExp::apply(x);
  e.mul_(2.0);
  check_throws<GraphError>([&] { e.sum().backward(); }, {"MyExp", "its output"});
  AutogradContext ctx;
  check_throws<GraphError>([&] { ctx.get_saved_variables(); }, {"backward only"});
}

TEST_CASE("custom function: hooks, xg::grad, create_graph, an input returned as output") {
  Tensor x = tensor({0.5, -1.5}, {2}, {.dtype = f64, .requires_grad = true});
  Tensor y = Log1pExp::apply(x);
  Tensor seen;
  y.register_hook([&](const Tensor& g) {
    seen = g;
    return g * 2.0;
  });
  const Tensor g = xg::grad({y.sum()}, {x}, {.create_graph = true})[0];
  check_values(seen, {1, 1});
  check_values(g, {2 * 0.6224593312018546, 2 * 0.18242552380635635});
  CHECK(g.requires_grad());
  // d/dx sum(2 sigmoid(x)) = 2 sigmoid(x) (1 - sigmoid(x)).
  check_values(xg::grad({g.sum()}, {x})[0], {2 * 0.2350037122015945, 2 * 0.14914645207033286});

  // forward returning its input: the caller's tensor keeps its own place in the graph.
  Tensor z = Identity::apply(x);
  CHECK(x.is_leaf());
  z.sum().backward();
  check_values(x.grad(), {2, 2});
}

TEST_CASE("custom function: bad backwards give clear errors") {
  Tensor x = tensor({1, 2}, {2}, {.dtype = f64, .requires_grad = true});
  check_throws<GraphError>([&] { WrongCount::apply(x).sum().backward(); },
                           {"WrongCount", "returned 2 gradients, expected 1"});
  check_throws<GraphError>([&] { WrongShape::apply(x).sum().backward(); },
                           {"WrongShape", "(7)", "(2)"});
  check_throws<GraphError>([&] { GradForNumber::apply(x, 3).sum().backward(); },
                           {"GradForNumber", "argument 1", "not a tensor"});
  DetectAnomalyGuard anomaly;
  check_throws<GraphError>([&] { NanBackward::apply(x).sum().backward(); },
                           {"anomaly", "NanBackward", "nan"});
}
