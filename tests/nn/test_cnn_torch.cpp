// A CNN written and trained by PyTorch (tests/nn/torch_cnn.py, run here with
// /usr/bin/python3) loads into the same xgrad model, with PyTorch's state_dict keys, and
// gives PyTorch's outputs in eval and train mode, its gradients and its running-statistics
// updates. Also the layers' construction, repr and bad input.
#include <cmath>
#include <cstdlib>
#include <string>

#include <doctest/doctest.h>
#include <xgrad.hpp>

#include "nn/serialize_util.hpp"
#include "support/check.hpp"

namespace {

using namespace xg;
using namespace xg::nn;

// The model of torch_cnn.py, layer for layer.
std::shared_ptr<Sequential> cnn() {
  return std::make_shared<Sequential>(Sequential{
      Conv2d(2, 4, 3, {.padding = 1}),
      BatchNorm2d(4),
      ReLU(),
      MaxPool2d({.kernel_size = 2}),
      Conv2d(4, 6, 3, {.padding = "same", .groups = 2, .padding_mode = "reflect"}),
      BatchNorm2d(6, {.momentum = std::nullopt}),
      ReLU(),
      AvgPool2d({.kernel_size = 2, .padding = 1, .ceil_mode = true, .count_include_pad = false}),
      ConvTranspose2d(6, 4, 3, {.stride = 2, .padding = 1, .output_padding = 1}),
      Upsample({.scale_factor = {2.0}}),
      AdaptiveAvgPool2d({3, 2}),
      Flatten(),
      Linear(24, 12),
      Unflatten(1, {3, 4}),
      Conv1d(3, 5, 2, {.stride = 2}),
      BatchNorm1d(5),
      MaxPool1d({.kernel_size = 2}),
      Flatten(),
  });
}

StateDict with_prefix(const TensorMap& all, const std::string& prefix) {
  StateDict out;
  for (const auto& [name, t] : all) {
    if (name.rfind(prefix, 0) == 0) out[name.substr(prefix.size())] = t;
  }
  return out;
}

double max_abs_diff(const Tensor& a, const Tensor& b) {
  REQUIRE(a.shape() == b.shape());
  const auto x = a.to(Dtype::f64).to_vector<double>();
  const auto y = b.to(Dtype::f64).to_vector<double>();
  double m = 0.0;
  for (std::size_t i = 0; i < x.size(); ++i) m = std::max(m, std::abs(x[i] - y[i]));
  return m;
}

}  // namespace

TEST_CASE("cnn: a PyTorch-trained CNN loads and gives PyTorch's outputs and gradients") {
  if (!xg::test::python_can_import("torch, numpy")) {
    MESSAGE(
        "skipped: /usr/bin/python3 with torch is not available (scripts/setup.sh installs "
        "python3-torch)");
    return;
  }
  xg::test::TempDir dir;
  const auto path = dir.path / "cnn.safetensors";
  const std::string cmd =
      "/usr/bin/python3 '" XGRAD_TEST_SOURCE_DIR "/torch_cnn.py' '" + path.string() + "'";
  REQUIRE(std::system(cmd.c_str()) == 0);
  const TensorFile file = load_tensor_file(path.string());
  const TensorMap& t = file.tensors;

  auto net = cnn();
  const StateDict state = with_prefix(t, "model.");
  CHECK(state.size() == net->state_dict().size());
  net->load_state_dict(state);  // strict: every key and shape as PyTorch's

  // Eval mode: running statistics. Max abs diff within 1e-5 in f32.
  net->eval();
  {
    NoGradGuard no_grad;
    CHECK(max_abs_diff((*net)(t.at("input")), t.at("eval_output")) <= 1e-5);
  }

  // Train mode: batch statistics, gradients, and the running statistics updated.
  net->train();
  Tensor x = t.at("input").detach();
  x.requires_grad_(true);
  const Tensor y = (*net)(x);
  CHECK(max_abs_diff(y, t.at("train_output")) <= 1e-5);
  (y * t.at("loss_weights")).sum().backward();
  CHECK(max_abs_diff(x.grad(), t.at("grad.input")) <= 1e-5);
  for (const auto& [name, p] : net->named_parameters()) {
    INFO(name);
    CHECK(max_abs_diff(p.grad(), t.at("grad." + name)) <= 1e-4);
  }
  for (const auto& [name, b] : net->named_buffers()) {
    INFO(name);
    if (b.dtype() == Dtype::i64) {
      CHECK(b.item<std::int64_t>() == t.at("after." + name).item<std::int64_t>());
    } else {
      CHECK(max_abs_diff(b, t.at("after." + name)) <= 1e-5);
    }
  }
}

TEST_CASE("cnn: layers print as PyTorch's") {
  CHECK(Conv2d(2, 4, 3, {.padding = 1}).extra_repr() ==
        "2, 4, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1)");
  CHECK(Conv2d(4, 6, 3, {.padding = "same", .groups = 2, .padding_mode = "reflect"}).extra_repr() ==
        "4, 6, kernel_size=(3, 3), stride=(1, 1), padding=same, groups=2, padding_mode=reflect");
  CHECK(Conv2d(1, 1, {1, 2}, {.stride = {2, 1}, .dilation = 2, .bias = false}).extra_repr() ==
        "1, 1, kernel_size=(1, 2), stride=(2, 1), dilation=(2, 2), bias=False");
  CHECK(ConvTranspose2d(6, 4, 3, {.stride = 2, .padding = 1, .output_padding = 1}).extra_repr() ==
        "6, 4, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1), output_padding=(1, 1)");
  CHECK(Conv1d(3, 5, 2, {.stride = 2}).extra_repr() == "3, 5, kernel_size=(2,), stride=(2,)");
  CHECK(BatchNorm2d(4).extra_repr() ==
        "4, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True");
  CHECK(BatchNorm2d(6, {.momentum = std::nullopt}).extra_repr() ==
        "6, eps=1e-05, momentum=None, affine=True, track_running_stats=True");
  CHECK(MaxPool2d({.kernel_size = 2}).extra_repr() ==
        "kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False");
  CHECK(AvgPool2d({.kernel_size = 2, .padding = 1}).extra_repr() ==
        "kernel_size=2, stride=2, padding=1");
  CHECK(Upsample({.scale_factor = {2.0}}).extra_repr() == "scale_factor=2.0, mode=nearest");
  CHECK(AdaptiveAvgPool2d({3, 2}).extra_repr() == "output_size=(3, 2)");
  CHECK(Unflatten(1, {3, 4}).extra_repr() == "dim=1, unflattened_size=(3, 4)");
  CHECK(MaxPool1d({.kernel_size = 2}).extra_repr() ==
        "kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False");
}

TEST_CASE("cnn: state, shapes and initialisation as PyTorch's") {
  manual_seed(3);
  Conv2d conv(4, 8, {3, 5}, {.groups = 2});
  CHECK(conv.weight.shape() == Shape{8, 2, 3, 5});
  CHECK(conv.bias.shape() == Shape{8});
  // kaiming_uniform_(a = sqrt(5)) and the bias: U(-1/sqrt(fan_in), 1/sqrt(fan_in)),
  // fan_in = 2 * 3 * 5 = 30.
  const double bound = 1.0 / std::sqrt(30.0);
  for (float v : conv.weight.to_vector<float>()) CHECK(std::abs(v) <= bound);
  for (float v : conv.bias.to_vector<float>()) CHECK(std::abs(v) <= bound);
  CHECK(conv.weight.abs().max().item<float>() > 0.5 * bound);  // drawn, not left at zero
  ConvTranspose2d up(6, 4, 3, {.groups = 2});
  CHECK(up.weight.shape() == Shape{6, 2, 3, 3});

  BatchNorm2d bn(3);
  const auto state = bn.state_dict();
  CHECK(state.size() == 5);
  CHECK(state.at("running_mean").to_vector<float>() == std::vector<float>{0, 0, 0});
  CHECK(state.at("running_var").to_vector<float>() == std::vector<float>{1, 1, 1});
  CHECK(state.at("num_batches_tracked").dtype() == Dtype::i64);
  CHECK(bn.parameters().size() == 2);  // the buffers are not trained
  bn.to(Dtype::f64);
  CHECK(bn.running_mean.dtype() == Dtype::f64);
  CHECK(bn.num_batches_tracked.dtype() == Dtype::i64);  // integer buffers stay
  BatchNorm1d plain(3, {.affine = false, .track_running_stats = false});
  CHECK(plain.state_dict().empty());
  plain.eval();  // no running statistics: batch statistics in eval mode too
  const Tensor x = tensor({1.0f, 2.0f, 3.0f, 3.0f, 4.0f, 5.0f}, {2, 3});
  CHECK(plain(x).to_vector<float>()[0] == doctest::Approx(-1.0).epsilon(1e-4));
}

TEST_CASE("cnn: bad input names the layer and the shapes") {
  test::check_throws<ValueError>([] { Conv2d(3, 4, 3, {.groups = 2}); }, {"Conv2d", "groups 2"});
  test::check_throws<ValueError>([] { Conv2d(0, 4, 3); }, {"Conv2d", "in_channels"});
  test::check_throws<ValueError>([] { Conv2d(1, 4, 3, {.padding_mode = "circular"}); },
                                 {"Conv2d", "circular"});
  test::check_throws<ValueError>([] { Upsample({}); }, {"Upsample", "exactly one"});
  test::check_throws<ValueError>([] { MaxPool2d({}); }, {"MaxPool2d", "kernel_size"});
  BatchNorm2d bn(4);
  test::check_throws<ShapeError>([&] { bn(zeros({2, 4, 3})); }, {"BatchNorm2d", "4D", "(2, 4, 3)"});
  test::check_throws<ShapeError>(
      [&] {
        bn(zeros({2, 3, 5, 5}));
      },
      {"BatchNorm2d", "4 channels", "(2, 3, 5, 5)"});
  BatchNorm1d bn1(4);
  test::check_throws<ShapeError>([&] { bn1(zeros({2, 4, 3, 3})); }, {"BatchNorm1d", "2D or 3D"});
  Conv2d conv(3, 4, 3);
  test::check_throws<ShapeError>([&] { conv(zeros({1, 2, 8, 8})); }, {"conv2d", "(1, 2, 8, 8)"});
  test::check_throws<ShapeError>([] { Unflatten(1, {4, 4})(zeros({2, 6})); }, {"(2, 6)"});
}
