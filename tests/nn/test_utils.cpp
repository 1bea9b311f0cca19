// Regularisation penalties, gradient clipping and the model summary.
#include <doctest/doctest.h>

#include <cmath>

#include "support/check.hpp"

using namespace xg;
using namespace xg::nn;
using xg::test::check_gradcheck;
using xg::test::check_throws;
using xg::test::check_values;
using xg::test::rand_f64;

namespace {

// Parameters with the gradients [[3, -4], [0, 12]] and [1, -2, 2], and one without a
// gradient (skipped by the clipping functions).
std::vector<Tensor> params_with_grads(Dtype dtype = f64) {
  Tensor a = zeros({2, 2}, {.dtype = dtype, .requires_grad = true});
  Tensor b = zeros({3}, {.dtype = dtype, .requires_grad = true});
  Tensor c = zeros({2}, {.dtype = dtype, .requires_grad = true});
  a.set_grad(tensor({3, -4, 0, 12}, {2, 2}, {.dtype = dtype}));
  b.set_grad(tensor({1, -2, 2}, {3}, {.dtype = dtype}));
  return {a, b, c};
}

std::vector<double> all_grads(const std::vector<Tensor>& ps) {
  std::vector<double> out;
  for (const auto& p : ps) {
    if (!p.grad().defined()) continue;
    for (double v : p.grad().to_vector<double>()) out.push_back(v);
  }
  return out;
}

// The same, as one f64 tensor for check_values.
Tensor grads_tensor(const std::vector<Tensor>& ps) {
  const auto v = all_grads(ps);
  return tensor(v, {static_cast<std::int64_t>(v.size())}, {.dtype = f64});
}

}  // namespace

// ---- penalties ---------------------------------------------------------------------------

TEST_CASE("nn.penalties: values") {
  const Tensor a = tensor({1, -2, 0.5, 0}, {2, 2});
  const Tensor b = tensor({-3}, {1});
  check_values(l1_penalty({a, b}), {6.5});
  check_values(l2_penalty({a, b}), {14.25});
  CHECK(l1_penalty({a, b}).dim() == 0);
  CHECK(l1_penalty({a, b}).dtype() == f32);
  // No parameters: 0.
  check_values(l1_penalty({}), {0.0});
  check_values(l2_penalty({}), {0.0});
}

TEST_CASE("nn.penalties: gradients; 0.5 * wd * l2 is PyTorch's weight decay") {
  Tensor a = rand_f64({3, 2}, 0.1, 1.0);
  Tensor b = rand_f64({4}, -1.0, -0.1);  // away from l1's kink at 0
  check_gradcheck([](const std::vector<Tensor>& in) { return l1_penalty(in); }, {a, b});
  check_gradcheck([](const std::vector<Tensor>& in) { return l2_penalty(in); }, {a, b});
  // d/dp (0.5 * wd * sum p^2) = wd * p, what SGD(weight_decay = wd) adds to the gradient.
  const double wd = 0.01;
  (0.5 * wd * l2_penalty({a, b})).backward();
  std::vector<double> expected;
  for (double v : a.to_vector<double>()) expected.push_back(wd * v);
  check_values(a.grad(), expected, 1e-12);
  // l1's gradient is sign(p).
  b.zero_grad();
  l1_penalty({b}).backward();
  check_values(b.grad(), {-1, -1, -1, -1}, 0);
}

TEST_CASE("nn.penalties: over a model's parameters") {
  manual_seed(40);
  Sequential model{Linear(3, 4), ReLU(), Linear(4, 1)};
  double expected = 0;
  for (const auto& p : model.parameters()) {
    for (double v : p.to_vector<double>()) expected += v * v;
  }
  CHECK(l2_penalty(model.parameters()).item() == doctest::Approx(expected).epsilon(1e-5));
  l2_penalty(model.parameters()).backward();
  for (const auto& p : model.parameters()) CHECK(p.grad().defined());
}

TEST_CASE("nn.penalties: bad inputs") {
  check_throws<DtypeError>(
      [] {
        l2_penalty({zeros({2}), zeros({2}, {.dtype = f64})});
      },
      {"l2_penalty", "f32", "f64"});
  check_throws<DtypeError>([] { l1_penalty({tensor_i64({1})}); }, {"l1_penalty", "i64"});
  check_throws<GraphError>([] { l1_penalty({Tensor()}); }, {"l1_penalty"});
}

// ---- gradient clipping -------------------------------------------------------------------

TEST_CASE("nn.utils.clip_grad_norm_: values against PyTorch") {
  // torch.nn.utils.clip_grad_norm_(params, max_norm, norm_type) in float64 with the
  // gradients of params_with_grads().
  auto ps = params_with_grads();
  CHECK(utils::clip_grad_norm_(ps, 1.0) == doctest::Approx(13.341664064126334).epsilon(1e-14));
  check_values(grads_tensor(ps),
               {0.22485948984482712, -0.2998126531264362, 0.0, 0.8994379593793085,
                0.07495316328160904, -0.1499063265632181, 0.1499063265632181},
               1e-14);
  CHECK_FALSE(ps[2].grad().defined());

  ps = params_with_grads();
  CHECK(utils::clip_grad_norm_(ps, 6.0, INFINITY) == 12.0);
  check_values(grads_tensor(ps),
               {1.4999998750000105, -1.9999998333333475, 0.0, 5.999999500000042, 0.4999999583333369,
                -0.9999999166666738, 0.9999999166666738},
               1e-14);
  ps = params_with_grads();
  CHECK(utils::clip_grad_norm_(ps, 14.0, 1.0) == 24.0);
  check_values(grads_tensor(ps),
               {1.7499999270833364, -2.333333236111115, 0.0, 6.999999708333346, 0.5833333090277788,
                -1.1666666180555576, 1.1666666180555576},
               1e-14);
  ps = params_with_grads();
  CHECK(utils::clip_grad_norm_(ps, 2.0, 3.0) == doctest::Approx(12.244965305752041).epsilon(1e-14));
  check_values(grads_tensor(ps),
               {0.48999726501342156, -0.653329686684562, 0.0, 1.9599890600536862,
                0.1633324216711405, -0.326664843342281, 0.326664843342281},
               1e-13);
  // Under the limit: unchanged.
  ps = params_with_grads();
  CHECK(utils::clip_grad_norm_(ps, 100.0) == doctest::Approx(13.341664064126334));
  check_values(grads_tensor(ps), {3, -4, 0, 12, 1, -2, 2}, 0);
  // f32 gradients, and no gradients at all.
  ps = params_with_grads(f32);
  CHECK(utils::clip_grad_norm_(ps, 1.0) == doctest::Approx(13.341664064126334));
  check_values(ps[0].grad(), {0.22485948984482712, -0.2998126531264362, 0.0, 0.8994379593793085},
               1e-6);
  CHECK(utils::clip_grad_norm_({zeros({2}, {.requires_grad = true})}, 1.0) == 0.0);
}

TEST_CASE("nn.utils.clip_grad_norm_: the handles of the gradients see the new values") {
  auto ps = params_with_grads();
  Tensor g = ps[0].grad();
  utils::clip_grad_norm_(ps, 1.0);
  check_values(g, {0.22485948984482712, -0.2998126531264362, 0.0, 0.8994379593793085}, 1e-14);
  // One gradient buffer shared by two parameters is scaled once.
  Tensor p = zeros({2}, {.dtype = f64, .requires_grad = true});
  Tensor q = zeros({2}, {.dtype = f64, .requires_grad = true});
  Tensor shared = tensor({3, 4}, {2}, {.dtype = f64});
  p.set_grad(shared);
  q.set_grad(shared);
  // Total norm sqrt(9 + 16 + 9 + 16) = sqrt(50); each value is scaled by 1 / sqrt(50) once.
  CHECK(utils::clip_grad_norm_({p, q}, 1.0) == doctest::Approx(std::sqrt(50.0)));
  check_values(shared, {3 / (std::sqrt(50.0) + 1e-6), 4 / (std::sqrt(50.0) + 1e-6)}, 1e-12);
}

TEST_CASE("nn.utils.clip_grad_norm_: non-finite norms") {
  auto ps = params_with_grads();
  ps[1].grad().mutable_data<double>()[0] = NAN;
  check_throws<ValueError>([&] { utils::clip_grad_norm_(ps, 1.0, 2.0, true); },
                           {"clip_grad_norm_", "non-finite", "error_if_nonfinite"});
  // Without the check, PyTorch scales by the NaN factor.
  CHECK(std::isnan(utils::clip_grad_norm_(ps, 1.0)));
  CHECK(std::isnan(ps[0].grad().to_vector<double>()[0]));
  ps = params_with_grads();
  ps[0].grad().mutable_data<double>()[1] = -INFINITY;
  CHECK(std::isinf(utils::clip_grad_norm_(ps, 1.0, INFINITY)));
  ps = params_with_grads();
  ps[0].grad().mutable_data<double>()[1] = INFINITY;
  check_throws<ValueError>([&] { utils::clip_grad_norm_(ps, 1.0, INFINITY, true); }, {"inf"});
}

TEST_CASE("nn.utils.clip_grad_norm_: bad arguments") {
  auto ps = params_with_grads();
  check_throws<ValueError>([&] { utils::clip_grad_norm_(ps, -1.0); }, {"max_norm", "-1"});
  check_throws<ValueError>([&] { utils::clip_grad_norm_(ps, 1.0, 0.0); }, {"norm_type", "0"});
  check_throws<GraphError>([&] { utils::clip_grad_norm_({Tensor()}, 1.0); }, {"clip_grad_norm_"});
}

TEST_CASE("nn.utils.clip_grad_value_: clamps every gradient") {
  // torch.nn.utils.clip_grad_value_(params, 2.5) gives [2.5, -2.5, 0, 2.5, 1, -2, 2].
  auto ps = params_with_grads();
  utils::clip_grad_value_(ps, 2.5);
  check_values(grads_tensor(ps), {2.5, -2.5, 0, 2.5, 1, -2, 2}, 0);
  CHECK_FALSE(ps[2].grad().defined());
  ps = params_with_grads(f32);
  ps[1].grad().mutable_data<float>()[0] = NAN;
  utils::clip_grad_value_(ps, 0.0);
  const auto g = all_grads(ps);
  CHECK(g[0] == 0.0);
  CHECK(std::isnan(g[4]));  // NaN stays NaN, as torch.clamp
  check_throws<ValueError>([&] { utils::clip_grad_value_(ps, -1.0); }, {"clip_value", "-1"});
}

// ---- summary -----------------------------------------------------------------------------

TEST_CASE("nn.summary: shapes and parameter counts of an MLP") {
  manual_seed(41);
  Sequential model{Linear(784, 256), ReLU(), Dropout(0.5), Linear(256, 10)};
  const ModelSummary s = summarize(model, {2, 784});
  REQUIRE(s.layers.size() == 4);
  CHECK(s.layers[0].path == "0");
  CHECK(s.layers[0].type_name == "Linear");
  CHECK(s.layers[0].output_shape == Shape{2, 256});
  CHECK(s.layers[0].own_parameters == 784 * 256 + 256);
  CHECK(s.layers[1].output_shape == Shape{2, 256});
  CHECK(s.layers[1].own_parameters == 0);
  CHECK(s.layers[3].output_shape == Shape{2, 10});
  CHECK(s.output_shape == Shape{2, 10});
  CHECK(s.total_parameters == 203530);
  CHECK(s.trainable_parameters == 203530);
  CHECK(s.total_bytes == 203530 * 4);
  // Modes are restored and no hook is left behind.
  CHECK(model.is_training());
  CHECK(model[2]->is_training());
  const std::string text = summary(model, {2, 784});
  INFO(text);
  CHECK(text.find("Sequential: input (2, 784) -> output (2, 10)") != std::string::npos);
  CHECK(text.find("0 (Linear)") != std::string::npos);
  CHECK(text.find("(2, 256)") != std::string::npos);
  CHECK(text.find("200,960") != std::string::npos);
  CHECK(text.find("2,570") != std::string::npos);
  CHECK(text.find("Total params: 203,530") != std::string::npos);
  CHECK(text.find("Trainable params: 203,530") != std::string::npos);
  CHECK(text.find("Non-trainable params: 0") != std::string::npos);
}

TEST_CASE("nn.summary: nested modules, eval mode during the trace, errors") {
  struct Net : Module {
    std::shared_ptr<Sequential> body;
    std::shared_ptr<Linear> head;
    std::shared_ptr<ModuleList> unused;
    Net() : Module("Net") {
      body = register_module("body", Sequential{Linear(3, 5), Dropout(0.5)});
      head = register_module("head", Linear(5, 2));
      unused = register_module("unused", ModuleList{Linear(2, 2)});
    }
    using Module::forward;
    Tensor forward(const Tensor& x) override {
      // The forward runs in eval mode: Dropout must not draw (or zero anything).
      CHECK_FALSE(body->at<Dropout>(1)->is_training());
      return (*head)((*body)(x));
    }
  };
  Net net;
  net.body->eval();  // a mixed state, restored exactly afterwards
  net.to(f64);       // the traced input takes the parameters' dtype
  const ModelSummary s = summarize(net, {4, 3});
  std::vector<std::string> paths;
  for (const auto& l : s.layers) paths.push_back(l.path);
  CHECK(paths ==
        std::vector<std::string>{"body", "body.0", "body.1", "head", "unused", "unused.0"});
  CHECK(s.layers[0].depth == 1);
  CHECK(s.layers[1].depth == 2);
  CHECK(s.layers[0].output_shape == Shape{4, 5});
  CHECK(s.layers[0].total_parameters == 20);
  CHECK_FALSE(s.layers[4].called);
  CHECK(s.total_parameters == 20 + 12 + 6);
  CHECK(net.is_training());
  CHECK(net.head->is_training());
  CHECK_FALSE(net.body->is_training());
  CHECK_FALSE(net.body->at<Dropout>(1)->is_training());
  const std::string text = s.str();
  INFO(text);
  CHECK(text.find("  body.0 (Linear)") != std::string::npos);
  CHECK(text.find("unused (ModuleList)") != std::string::npos);

  // A wrong input shape propagates the layer's error, and the hooks are removed.
  check_throws<ShapeError>([&] { summarize(net, {4, 7}); }, {"body.0 (Linear)", "(4, 7)"});
  int calls = 0;
  HookHandle h = net.head->register_forward_hook([&](Module&, const Tensor&, const Tensor&) {
    ++calls;
    return Tensor();
  });
  net(zeros({1, 3}, {.dtype = f64}));
  CHECK(calls == 1);
  CHECK(net.is_training());
  h.remove();
}
