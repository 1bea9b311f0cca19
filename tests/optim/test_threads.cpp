// Tensors used from several threads: each thread trains its own small model at the same
// time as the others and gets the weights a training on one thread gets, and tensors and
// graphs made on one thread are freed on another. The buffer cache (Note [buffer cache])
// and the object pool (Note [object pool]) are per thread, so this is where a block that
// moves between threads, or a thread that ends holding blocks, would go wrong.
#include <doctest/doctest.h>

#include <atomic>
#include <cmath>
#include <thread>
#include <vector>

#include "xgrad/autograd/ops/elementwise.hpp"
#include "xgrad/autograd/random.hpp"
#include "xgrad/nn/activation.hpp"
#include "xgrad/nn/container.hpp"
#include "xgrad/nn/functional.hpp"
#include "xgrad/nn/linear.hpp"
#include "xgrad/optim/sgd.hpp"

namespace {

namespace nn = xg::nn;

nn::Sequential xor_model(std::uint64_t seed) {
  xg::manual_seed(seed);
  return nn::Sequential{nn::Linear(2, 16), nn::Tanh(), nn::Linear(16, 1), nn::Sigmoid()};
}

// The parameters after `steps` one-sample SGD steps on XOR, as in the xor_step benchmark.
std::vector<float> train_xor(nn::Sequential model, int steps) {
  const float xs[4][2] = {{0, 0}, {0, 1}, {1, 0}, {1, 1}};
  const float ys[4] = {0, 1, 1, 0};
  xg::optim::SGD opt(model.parameters(), {.lr = 0.5, .momentum = 0.9});
  for (int i = 0; i < steps; ++i) {
    const xg::Tensor x = xg::tensor({xs[i % 4][0], xs[i % 4][1]}, {1, 2});
    const xg::Tensor y = xg::tensor({ys[i % 4]}, {1, 1});
    opt.zero_grad();
    xg::Tensor loss = nn::functional::binary_cross_entropy(model(x), y);
    loss.backward();
    opt.step();
  }
  std::vector<float> out;
  for (const auto& p : model.parameters()) {
    const auto v = p.to_vector<float>();
    out.insert(out.end(), v.begin(), v.end());
  }
  return out;
}

}  // namespace

TEST_CASE("threads: concurrent trainings give the single-thread weights") {
  constexpr int kThreads = 4;
  constexpr int kSteps = 300;
  // The models are made (and seeded) here, one after the other: manual_seed is global.
  std::vector<nn::Sequential> models;
  std::vector<std::vector<float>> expected;
  for (int t = 0; t < kThreads; ++t) {
    expected.push_back(train_xor(xor_model(100 + t), kSteps));
    models.push_back(xor_model(100 + t));
  }
  std::vector<std::vector<float>> got(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    // Made here, trained and dropped there: the parameters cross threads both ways.
    threads.emplace_back([&, t] { got[t] = train_xor(std::move(models[t]), kSteps); });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < kThreads; ++t) CHECK(got[t] == expected[t]);
}

TEST_CASE("threads: a graph recorded on one thread runs backward and dies on another") {
  const xg::Tensor w = xg::tensor({0.5, -1.0, 2.0}, {3}, {.requires_grad = true});
  for (int round = 0; round < 50; ++round) {
    xg::Tensor loss;
    std::thread maker([&] { loss = ((w * w).exp() + w).sum(); });
    maker.join();  // the maker thread has ended: its cache and pool are gone
    std::thread user([&] {
      loss.backward();
      loss = xg::Tensor();  // the graph's last owner: nodes and buffers die on this thread
    });
    user.join();
  }
  // d/dw sum(exp(w^2) + w) = 2 w exp(w^2) + 1, accumulated over 50 rounds.
  const auto g = w.grad().to_vector<double>();
  const double ws[3] = {0.5, -1.0, 2.0};
  for (int i = 0; i < 3; ++i) {
    const float expected =
        50.0f *
        (2.0f * static_cast<float>(ws[i]) * std::exp(static_cast<float>(ws[i] * ws[i])) + 1.0f);
    CHECK(g[i] == doctest::Approx(expected).epsilon(1e-4));
  }
}

TEST_CASE("threads: concurrent backward passes into shared parameters lose no update") {
  // Four threads run backward through their own graphs over one shared Linear while a fifth
  // reads grad() all the time (issue 12, item 1: this lost updates and crashed). Each pass
  // adds the same known gradient, so the total is exact.
  xg::manual_seed(5);
  xg::nn::Linear layer(3, 2);
  const xg::Tensor x = xg::ones({1, 3});
  constexpr int kThreads = 4, kPasses = 500;
  std::atomic<bool> done{false};
  std::thread reader([&] {
    while (!done.load()) {
      const xg::Tensor g = layer.weight.grad();
      if (g.defined()) CHECK(g.shape() == xg::Shape{2, 3});
    }
  });
  std::vector<std::thread> workers;
  for (int t = 0; t < kThreads; ++t) {
    workers.emplace_back([&] {
      for (int i = 0; i < kPasses; ++i) layer(x).sum().backward();
    });
  }
  for (auto& w : workers) w.join();
  done = true;
  reader.join();
  // d/dW sum(x W^T + b) = ones(2, 3) per pass (x is ones); d/db = ones(2).
  for (float v : layer.weight.grad().to_vector<float>()) CHECK(v == kThreads * kPasses);
  for (float v : layer.bias.grad().to_vector<float>()) CHECK(v == kThreads * kPasses);
}
