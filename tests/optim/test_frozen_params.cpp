// Frozen parameters (requires_grad false): every optimizer accepts them, as torch.optim
// does, and step() leaves them untouched while they have no gradient; once unfrozen they
// are updated like the others.
#include <bit>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "optim_test_util.hpp"
#include "xgrad/autograd/random.hpp"
#include "xgrad/nn/activation.hpp"
#include "xgrad/nn/container.hpp"
#include "xgrad/nn/functional.hpp"
#include "xgrad/nn/linear.hpp"

namespace {

using xg::Tensor;
using xg::nn::Linear;
using xg::nn::Sequential;
using xg::optim::Optimizer;

// The bit pattern of every value of a (float32) parameter, to compare byte for byte.
std::vector<std::uint32_t> values(const Tensor& t) {
  std::vector<std::uint32_t> bits;
  for (float v : t.to_vector<float>()) bits.push_back(std::bit_cast<std::uint32_t>(v));
  return bits;
}

// One optimizer of each kind over `params`, with an lr large enough to move every weight.
std::vector<std::pair<std::string, std::function<std::unique_ptr<Optimizer>(std::vector<Tensor>)>>>
makers() {
  using namespace xg::optim;
  return {
      {"SGD", [](auto p) { return std::make_unique<SGD>(std::move(p), SGDOptions{.lr = 0.1}); }},
      {"SGD momentum",
       [](auto p) {
         return std::make_unique<SGD>(std::move(p), SGDOptions{.lr = 0.1, .momentum = 0.9});
       }},
      {"Adam", [](auto p) { return std::make_unique<Adam>(std::move(p)); }},
      {"AdamW", [](auto p) { return std::make_unique<AdamW>(std::move(p)); }},
      {"RMSprop", [](auto p) { return std::make_unique<RMSprop>(std::move(p)); }},
      {"Adagrad", [](auto p) { return std::make_unique<Adagrad>(std::move(p)); }},
  };
}

// A few training steps of an MSE regression through the model.
void train(Sequential& model, Optimizer& opt, const Tensor& x, const Tensor& y, int steps) {
  for (int s = 0; s < steps; ++s) {
    opt.zero_grad();
    xg::nn::functional::mse_loss(model(x), y).backward();
    opt.step();
  }
}

}  // namespace

TEST_CASE("Optimizer: a frozen Linear stays byte-identical, then trains once unfrozen") {
  for (const auto& [name, make] : makers()) {
    CAPTURE(name);
    xg::manual_seed(3);
    Sequential model{Linear(3, 5), xg::nn::Tanh(), Linear(5, 2)};
    const auto frozen = model.at<Linear>(0);
    const auto head = model.at<Linear>(2);
    frozen->weight.requires_grad_(false);
    frozen->bias.requires_grad_(false);
    // The whole model's parameters, frozen ones included: accepted.
    auto opt = make(model.parameters());
    REQUIRE(opt->all_params().size() == 4);

    const Tensor x = xg::randn({8, 3});
    const Tensor y = xg::randn({8, 2});
    const auto frozen_w = values(frozen->weight);
    const auto frozen_b = values(frozen->bias);
    const auto head_w = values(head->weight);
    train(model, *opt, x, y, 3);
    CHECK(values(frozen->weight) == frozen_w);
    CHECK(values(frozen->bias) == frozen_b);
    CHECK(values(head->weight) != head_w);
    // No state for the frozen parameters (indices 0 and 1): they were never updated.
    for (const auto& [key, t] : opt->state_dict()) {
      CHECK(key.rfind("state.0.", 0) != 0);
      CHECK(key.rfind("state.1.", 0) != 0);
    }

    // Unfreeze: the next steps update the first layer too.
    frozen->weight.requires_grad_(true);
    frozen->bias.requires_grad_(true);
    train(model, *opt, x, y, 2);
    CHECK(values(frozen->weight) != frozen_w);
    CHECK(values(frozen->bias) != frozen_b);
  }
}
