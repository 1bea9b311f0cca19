// Loss modules (nn/loss.hpp): same numbers as the functions, PyTorch's defaults, weight
// buffers in state_dict and to(dtype), error paths through Module::operator().
#include <memory>

#include "support/check.hpp"
#include "xgrad/nn/loss.hpp"

using namespace xg;
using nn::Reduction;
using xg::test::check_throws;
using xg::test::check_values;
namespace F = xg::nn::functional;

TEST_CASE("losses: modules compute what the functions compute") {
  manual_seed(3);
  const Tensor x = normal({4, 3}, 0, 2, {.dtype = f64});
  const Tensor p = uniform({4, 3}, 0.05, 0.95, {.dtype = f64});
  const Tensor y = uniform({4, 3}, 0, 1, {.dtype = f64});
  const Tensor t = tensor_i64({2, 0, -100, 1});
  const Tensor w = tensor({0.5, 2.0, 1.0}, {3}, {.dtype = f64});
  auto same = [](const Tensor& a, const Tensor& b) { check_values(a, b.to_vector<double>(), 0.0); };

  same(nn::CrossEntropyLoss({.weight = w, .label_smoothing = 0.1})(x, t),
       F::cross_entropy(x, t, {.weight = w, .label_smoothing = 0.1}));
  same(nn::NLLLoss({.reduction = Reduction::sum, .weight = w})(x, t),
       F::nll_loss(x, t, {.reduction = Reduction::sum, .weight = w}));
  same(nn::BCELoss({.weight = w})(p, y), F::binary_cross_entropy(p, y, {.weight = w}));
  same(nn::BCEWithLogitsLoss({.pos_weight = w})(x, y),
       F::binary_cross_entropy_with_logits(x, y, {.pos_weight = w}));
  same(nn::MSELoss(Reduction::sum)(x, y), F::mse_loss(x, y, Reduction::sum));
  same(nn::L1Loss()(x, y), F::l1_loss(x, y));
  same(nn::HuberLoss({.delta = 0.5})(x, y), F::huber_loss(x, y, {.delta = 0.5}));
  same(nn::SmoothL1Loss({.beta = 0.5})(x, y), F::smooth_l1_loss(x, y, {.beta = 0.5}));
  same(nn::HingeEmbeddingLoss({.margin = 2.0})(x, y),
       F::hinge_embedding_loss(x, y, {.margin = 2.0}));
  const Tensor tm = tensor_i64({2, 0, 0, 1});
  same(nn::MultiMarginLoss({.p = 2, .weight = w})(x, tm),
       F::multi_margin_loss(x, tm, {.p = 2, .weight = w}));
  same(nn::KLDivLoss({.reduction = Reduction::batchmean})(log_softmax(x, 1), p),
       F::kl_div(log_softmax(x, 1), p, {.reduction = Reduction::batchmean}));
}

TEST_CASE("losses: module defaults are PyTorch's") {
  // torch.nn.CrossEntropyLoss(): reduction="mean", ignore_index=-100, label_smoothing=0.0,
  // weight=None; HuberLoss delta=1.0; SmoothL1Loss beta=1.0; HingeEmbeddingLoss margin=1.0;
  // MultiMarginLoss p=1, margin=1.0; KLDivLoss reduction="mean", log_target=False.
  const nn::CrossEntropyLoss ce;
  CHECK(ce.options().reduction == Reduction::mean);
  CHECK(ce.options().ignore_index == -100);
  CHECK(ce.options().label_smoothing == 0.0);
  CHECK_FALSE(ce.options().weight.defined());
  CHECK(nn::NLLLoss().options().ignore_index == -100);
  CHECK(nn::MSELoss().reduction() == Reduction::mean);
  CHECK(nn::L1Loss().reduction() == Reduction::mean);
  CHECK(nn::HuberLoss().options().delta == 1.0);
  CHECK(nn::SmoothL1Loss().options().beta == 1.0);
  CHECK(nn::HingeEmbeddingLoss().options().margin == 1.0);
  CHECK(nn::MultiMarginLoss().options().p == 1);
  CHECK(nn::MultiMarginLoss().options().margin == 1.0);
  CHECK(nn::KLDivLoss().options().reduction == Reduction::mean);
  CHECK_FALSE(nn::KLDivLoss().options().log_target);
  CHECK(ce.repr() == "CrossEntropyLoss()");
  CHECK(nn::BCEWithLogitsLoss().repr() == "BCEWithLogitsLoss()");
  CHECK(std::string(nn::reduction_name(Reduction::batchmean)) == "batchmean");
}

TEST_CASE("losses: class weights are buffers that follow state_dict and to(dtype)") {
  nn::CrossEntropyLoss ce({.weight = tensor({1.0, 2.0, 3.0})});  // f32 weight
  CHECK(ce.parameters().empty());
  const auto buffers = ce.named_buffers();
  REQUIRE(buffers.size() == 1);
  CHECK(buffers[0].first == "weight");
  CHECK(ce.state_dict().count("weight") == 1);
  nn::BCEWithLogitsLoss bl({.weight = tensor({1.0, 2.0}), .pos_weight = tensor({3.0, 4.0})});
  CHECK(bl.state_dict().size() == 2);
  CHECK(bl.state_dict().count("pos_weight") == 1);
  CHECK(nn::MSELoss().state_dict().empty());

  // An f64 input against the f32 weight is a DtypeError; after to(f64) it works.
  const Tensor x = tensor({0.1, 0.2, 0.3, 1.0, -1.0, 0.0}, {2, 3}, {.dtype = f64});
  const Tensor t = tensor_i64({2, 0});
  check_throws<DtypeError>([&] { ce(x, t); }, {"cross_entropy", "weight", "f32"});
  ce.to(f64);
  CHECK(ce.options().weight.dtype() == f64);
  check_values(ce(x, t),
               F::cross_entropy(x, t, {.weight = tensor({1.0, 2.0, 3.0}, {3}, {.dtype = f64})})
                   .to_vector<double>(),
               1e-15);
  // load_state_dict changes the weight the loss uses.
  ce.load_state_dict({{"weight", tensor({1.0, 1.0, 1.0}, {3}, {.dtype = f64})}});
  check_values(ce(x, t), F::cross_entropy(x, t).to_vector<double>(), 1e-15);
}

TEST_CASE("losses: module errors") {
  nn::CrossEntropyLoss ce;
  const Tensor x = zeros({3, 4});
  // ShapeErrors get the module's name from Module::operator(); the loss's message stays.
  check_throws<ShapeError>(
      [&] {
        ce(x, tensor_i64({0, 1}));
      },
      {"CrossEntropyLoss", "cross_entropy", "(2)", "(3, 4)"});
  check_throws<ValueError>(
      [&] {
        ce(x, tensor_i64({0, 1, 4}));
      },
      {"cross_entropy", "target 4", "4 classes"});
  check_throws<GraphError>([&] { ce(x); }, {"CrossEntropyLoss", "two inputs"});
  // A loss inside a model names its path.
  struct Net : nn::Module {
    std::shared_ptr<nn::MSELoss> criterion;
    Net() : Module("Net") { criterion = register_module("criterion", nn::MSELoss()); }
    Tensor forward(const Tensor& a, const Tensor& b) override { return (*criterion)(a, b); }
  };
  Net net;
  check_throws<ShapeError>(
      [&] {
        net(zeros({2, 1}), zeros({2}));
      },
      {"criterion (MSELoss)", "mse_loss", "(2)", "(2, 1)"});
}

TEST_CASE("losses: CrossEntropyLoss trains a softmax regression") {
  // Three separable clusters; plain gradient descent on CrossEntropyLoss must fit them.
  manual_seed(11);
  const Tensor centers = tensor({3, 0, -3, 3, -3, -3}, {3, 2});
  std::vector<double> xs;
  std::vector<std::int64_t> ys;
  const auto c = centers.to_vector<double>();
  const auto noise = normal({60, 2}, 0, 0.5).to_vector<double>();
  for (int i = 0; i < 60; ++i) {
    xs.push_back(c[(i % 3) * 2] + noise[i * 2]);
    xs.push_back(c[(i % 3) * 2 + 1] + noise[i * 2 + 1]);
    ys.push_back(i % 3);
  }
  const Tensor x = tensor(xs, {60, 2});
  const Tensor y = tensor_i64(ys);
  Tensor w = zeros({2, 3}, {.requires_grad = true});
  Tensor b = zeros({3}, {.requires_grad = true});
  nn::CrossEntropyLoss loss_fn;
  double first = 0, last = 0;
  for (int step = 0; step < 100; ++step) {
    const Tensor loss = loss_fn(matmul(x, w) + b, y);
    if (step == 0) first = loss.item();
    last = loss.item();
    w.zero_grad();
    b.zero_grad();
    loss.backward();
    NoGradGuard ng;
    w = (w - w.grad() * 0.5).detach().requires_grad_();
    b = (b - b.grad() * 0.5).detach().requires_grad_();
  }
  CHECK(first == doctest::Approx(std::log(3.0)).epsilon(1e-6));
  CHECK(last < 0.05);
  const Tensor pred = argmax(matmul(x, w) + b, 1);
  CHECK(sum(eq(pred, y)).item() == 60);
}
