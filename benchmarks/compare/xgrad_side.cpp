// bench_compare_xgrad: one xgrad measurement per process, written as a user writes xgrad
// code (nn::Sequential / nn::Linear, nn::functional::cross_entropy, optim::SGD,
// data::fashion_mnist + Dataset::get). Started by bench_compare with no OpenBLAS
// variables in its environment, so xgrad picks its BLAS kernel itself.
//
//   bench_compare_xgrad --run mlp_epoch/b64 --threads 1
//
// Prints one JSON line (bench::Result). This executable does not link libtorch, so its
// memory and start-up are xgrad's alone.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <exception>
#include <span>

#include "common.hpp"
#include "models.hpp"
#include "xgrad/data/datasets.hpp"
#include "xgrad/optim/sgd.hpp"

namespace {

using bench::Clock;
using bench::Result;
using bench::Workload;
namespace F = xg::nn::functional;

constexpr const char* kApi =
    "nn::Sequential/Linear, nn::functional::cross_entropy, optim::SGD, data::Dataset::get";

std::int64_t correct_predictions(const xg::Tensor& logits, const xg::Tensor& labels) {
  const xg::Tensor pred = logits.argmax(1);
  auto p = pred.data<std::int64_t>();
  auto y = labels.data<std::int64_t>();
  std::int64_t hits = 0;
  for (std::size_t i = 0; i < p.size(); ++i) hits += p[i] == y[i];
  return hits;
}

void mlp_epoch(const Workload& w, Result& r) {
  const xg::data::Dataset train = bench::load_fashion("train");
  const xg::data::Dataset test = bench::load_fashion("test");
  const std::vector<std::int64_t> order = bench::epoch_order(train.size());
  const std::int64_t n = train.size(), b = w.size;
  bench::MemoryProbe mem;
  mem.begin();
  xg::nn::Sequential model = bench::make_xgrad_mlp();
  xg::optim::SGD opt(model.parameters(), {.lr = bench::kMlpLr, .momentum = bench::kMlpMomentum});

  double tail_loss = 0;
  int tail_count = 0;
  const std::int64_t batches =
      std::max<std::int64_t>(1, std::llround(double((n + b - 1) / b) * w.epoch_fraction));
  const auto t0 = Clock::now();
  for (std::int64_t i = 0; i < batches; ++i) {
    const std::int64_t start = i * b, count = std::min(b, n - start);
    const xg::data::Batch batch = train.get(
        std::span<const std::int64_t>(order.data() + start, static_cast<std::size_t>(count)));
    opt.zero_grad();
    xg::Tensor loss = F::cross_entropy(model(batch.x), batch.y);
    loss.backward();
    opt.step();
    if (i >= batches - 20) {
      tail_loss += loss.item();
      ++tail_count;
    }
  }
  r.time = bench::seconds_since(t0);
  mem.end(r);

  xg::NoGradGuard no_grad;
  const xg::Tensor logits = model(test.features());
  r.extra["test_accuracy"] =
      double(correct_predictions(logits, test.targets())) / double(test.size());
  r.extra["train_loss_last20"] = tail_loss / tail_count;
  double pixels = 0;  // the same data on both sides: the sums must agree
  for (float v : train.features().data<float>()) pixels += v;
  r.extra["train_pixel_sum"] = pixels;
  r.extra["gflop"] = bench::mlp_epoch_flops(std::min(n, batches * b)) * 1e-9;
  r.extra["batches"] = double(batches);
}

void xor_steps(const Workload& w, Result& r) {
  const float xs[4][2] = {{0, 0}, {0, 1}, {1, 0}, {1, 1}};
  const float ys[4] = {0, 1, 1, 0};
  std::vector<xg::Tensor> x, y;
  for (int i = 0; i < 4; ++i) {
    x.push_back(xg::tensor({xs[i][0], xs[i][1]}, {1, 2}));
    y.push_back(xg::tensor({ys[i]}, {1, 1}));
  }
  bench::MemoryProbe mem;
  mem.begin();
  xg::nn::Sequential model = bench::make_xgrad_xor();
  xg::optim::SGD opt(model.parameters(), {.lr = bench::kXorLr, .momentum = bench::kXorMomentum});
  double tail_loss = 0;
  auto step = [&](int i) {
    opt.zero_grad();
    xg::Tensor loss = F::binary_cross_entropy(model(x[i % 4]), y[i % 4]);
    loss.backward();
    opt.step();
    return loss;
  };
  for (int i = 0; i < w.warmup; ++i) step(i);
  const auto t0 = Clock::now();
  for (int i = 0; i < w.iters; ++i) {
    xg::Tensor loss = step(i);
    if (i >= w.iters - 4) tail_loss += loss.item();
  }
  r.time = bench::seconds_since(t0) / w.iters * bench::unit_scale(w);
  mem.end(r);
  r.extra["loss_last4"] = tail_loss / 4;
}

void mlp_step(const Workload& w, Result& r) {
  const xg::Tensor x =
      bench::xgrad_tensor(bench::uniform_floats(w.size * bench::kMlpSizes[0], bench::kSeed + 1),
                          {w.size, bench::kMlpSizes[0]});
  const xg::Tensor y =
      xg::tensor_i64(bench::class_indices(w.size, bench::kMlpSizes[3], bench::kSeed + 2), {w.size});
  bench::MemoryProbe mem;
  mem.begin();
  xg::nn::Sequential model = bench::make_xgrad_mlp();
  double loss_value = 0;
  auto step = [&] {
    model.zero_grad();
    xg::Tensor loss = F::cross_entropy(model(x), y);
    loss.backward();
    return loss;
  };
  for (int i = 0; i < w.warmup; ++i) step();
  const auto t0 = Clock::now();
  for (int i = 0; i < w.iters; ++i) loss_value = step().item();
  r.time = bench::seconds_since(t0) / w.iters * bench::unit_scale(w);
  mem.end(r);
  r.extra["loss"] = loss_value;
  r.extra["gflops"] = bench::mlp_step_flops(w.size) * 1e-9 / (r.time / bench::unit_scale(w));
}

void matmul(const Workload& w, Result& r) {
  const std::int64_t n = w.size * w.size;
  xg::Tensor a = bench::xgrad_tensor(bench::uniform_floats(n, bench::kSeed + 3), {w.size, w.size},
                                     /*requires_grad=*/true);
  xg::Tensor b = bench::xgrad_tensor(bench::uniform_floats(n, bench::kSeed + 4), {w.size, w.size},
                                     /*requires_grad=*/true);
  const xg::Tensor g = xg::ones({w.size, w.size});
  bench::MemoryProbe mem;
  mem.begin();
  auto step = [&] {
    a.zero_grad();
    b.zero_grad();
    xg::Tensor c = xg::matmul(a, b);
    c.backward(g);
  };
  for (int i = 0; i < w.warmup; ++i) step();
  const auto t0 = Clock::now();
  for (int i = 0; i < w.iters; ++i) step();
  r.time = bench::seconds_since(t0) / w.iters * bench::unit_scale(w);
  mem.end(r);
  const double nd = double(w.size);
  r.extra["gflops"] = 6 * nd * nd * nd * 1e-9 / (r.time / bench::unit_scale(w));
  r.extra["grad_sum"] = a.grad().sum().item() + b.grad().sum().item();
}

void elementwise(const Workload& w, Result& r) {
  xg::Tensor a = bench::xgrad_tensor(bench::uniform_floats(w.size, bench::kSeed + 5), {w.size},
                                     /*requires_grad=*/true);
  xg::Tensor b = bench::xgrad_tensor(bench::uniform_floats(w.size, bench::kSeed + 6), {w.size},
                                     /*requires_grad=*/true);
  const xg::Tensor g = xg::ones({w.size});
  bench::MemoryProbe mem;
  mem.begin();
  auto step = [&] {
    a.zero_grad();
    b.zero_grad();
    xg::Tensor c = w.op == "add" ? a + b : w.op == "mul" ? a * b : xg::exp(a);
    c.backward(g);
  };
  for (int i = 0; i < w.warmup; ++i) step();
  const auto t0 = Clock::now();
  for (int i = 0; i < w.iters; ++i) step();
  r.time = bench::seconds_since(t0) / w.iters * bench::unit_scale(w);
  mem.end(r);
  r.extra["grad_sum"] = a.grad().sum().item();
}

void softmax_ce(const Workload& w, Result& r) {
  xg::Tensor logits = bench::xgrad_tensor(bench::normal_floats(w.size * 1000, bench::kSeed + 7),
                                          {w.size, 1000}, /*requires_grad=*/true);
  const xg::Tensor y =
      xg::tensor_i64(bench::class_indices(w.size, 1000, bench::kSeed + 8), {w.size});
  bench::MemoryProbe mem;
  mem.begin();
  double loss_value = 0;
  auto step = [&] {
    logits.zero_grad();
    xg::Tensor loss = F::cross_entropy(logits, y);
    loss.backward();
    return loss;
  };
  for (int i = 0; i < w.warmup; ++i) step();
  const auto t0 = Clock::now();
  for (int i = 0; i < w.iters; ++i) loss_value = step().item();
  r.time = bench::seconds_since(t0) / w.iters * bench::unit_scale(w);
  mem.end(r);
  r.extra["loss"] = loss_value;
}

// Forward products only, no graph: the library's matmul against cblas_sgemm (the blas
// side) on the same shapes. The MLP's eight products are done as plain A @ B with A and B
// laid out so that each has the step's (m, n, k): xg::matmul has no transpose flags, and
// a.t() would copy.
void gemm(const Workload& w, Result& r) {
  std::vector<std::pair<xg::Tensor, xg::Tensor>> ops;
  double flops = 0;
  if (w.size == 1024) {
    ops.emplace_back(bench::xgrad_tensor(bench::uniform_floats(1024 * 1024, 1), {1024, 1024}),
                     bench::xgrad_tensor(bench::uniform_floats(1024 * 1024, 2), {1024, 1024}));
    flops = 2.0 * 1024 * 1024 * 1024;
  } else {
    for (const bench::GemmShape& s : bench::mlp_gemms(w.size)) {
      ops.emplace_back(bench::xgrad_tensor(bench::uniform_floats(s.m * s.k, 1), {s.m, s.k}),
                       bench::xgrad_tensor(bench::uniform_floats(s.k * s.n, 2), {s.k, s.n}));
      flops += 2.0 * double(s.m) * double(s.n) * double(s.k);
    }
  }
  xg::NoGradGuard no_grad;
  bench::MemoryProbe mem;
  mem.begin();
  auto step = [&] {
    for (const auto& [a, b] : ops) xg::Tensor c = xg::matmul(a, b);
  };
  for (int i = 0; i < w.warmup; ++i) step();
  const auto t0 = Clock::now();
  for (int i = 0; i < w.iters; ++i) step();
  r.time = bench::seconds_since(t0) / w.iters * bench::unit_scale(w);
  mem.end(r);
  r.extra["gflops"] = flops * 1e-9 / (r.time / bench::unit_scale(w));
}

}  // namespace

int main(int argc, char** argv) {
  bench::ChildArgs args;
  if (!bench::parse_child_args(argc, argv, args)) {
    std::fprintf(stderr, "usage: bench_compare_xgrad --run WORKLOAD --threads N [--scale F]\n");
    return 2;
  }
  const std::string& name = args.workload;
  const int threads = args.threads;
  try {
    const Workload w = bench::scaled(bench::find_workload(name), args.scale);
    xg::set_num_threads(threads);
    Result r;
    r.workload = w.name;
    r.side = "xgrad";
    r.threads = threads;
    r.api = w.kind == bench::Kind::gemm ? "xg::matmul (NoGradGuard)" : kApi;
    switch (w.kind) {
      case bench::Kind::mlp_epoch: mlp_epoch(w, r); break;
      case bench::Kind::xor_step: xor_steps(w, r); break;
      case bench::Kind::mlp_step: mlp_step(w, r); break;
      case bench::Kind::matmul: matmul(w, r); break;
      case bench::Kind::elementwise: elementwise(w, r); break;
      case bench::Kind::softmax_ce: softmax_ce(w, r); break;
      case bench::Kind::gemm: gemm(w, r); break;
    }
    r.kernel = xg::blas_kernel();
    std::printf("%s\n", r.to_json().c_str());
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_compare_xgrad %s: %s\n", name.c_str(), e.what());
    return 1;
  }
}
