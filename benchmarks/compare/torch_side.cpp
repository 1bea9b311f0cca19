// The libtorch side of bench_compare: the same workloads as xgrad_side.cpp, written as a
// libtorch user writes them (torch::nn::Sequential/Linear, torch::nn::functional,
// torch::optim::SGD), on the same data (read from the same files, see idx_gz.hpp), batch
// order, hyperparameters, inputs and initial weights (drawn by xgrad from the same seed and
// copied in: the only xgrad code this side runs, about 1 MB).
//
// The only translation unit that includes <torch/torch.h> (about 20 s to compile).
//
// Running libtorch at its best: the driver starts this process with OPENBLAS_CORETYPE
// set to the fastest kernel it probed, and with OPENBLAS_NUM_THREADS / OMP_NUM_THREADS
// set to the thread count; here at::set_num_threads sets the OpenMP pool and
// openblas_set_num_threads the BLAS pool (at::set_num_threads does not reach OpenBLAS).
// Gradients are reset by setting them to undefined (what set_to_none does in Python and
// what xgrad's zero_grad() does), not zero-filled as torch::optim::Optimizer::zero_grad()
// in 1.13 does, which would cost libtorch an extra pass per parameter.
#include <torch/torch.h>

#include <span>

#include "common.hpp"
#include "idx_gz.hpp"
#include "models.hpp"
#include "sides.hpp"

namespace bench {
namespace {

namespace TF = torch::nn::functional;

constexpr const char* kApi =
    "torch::nn::Sequential/Linear, torch::nn::functional::cross_entropy, torch::optim::SGD, "
    "index_select";

// Copies the xgrad model's initial values into the torch model, parameter by parameter.
void copy_parameters(xg::nn::Module& from, torch::nn::Module& to) {
  const std::vector<std::vector<float>> values = parameter_values(from);
  std::vector<torch::Tensor> params = to.parameters();
  if (values.size() != params.size()) throw std::runtime_error("parameter count differs");
  torch::NoGradGuard no_grad;
  for (std::size_t i = 0; i < params.size(); ++i) {
    if (static_cast<std::int64_t>(values[i].size()) != params[i].numel()) {
      throw std::runtime_error("parameter " + std::to_string(i) + " has a different size");
    }
    params[i].copy_(
        torch::from_blob(const_cast<float*>(values[i].data()), params[i].sizes(), torch::kFloat32));
  }
}

torch::nn::Sequential make_torch_mlp() {
  torch::nn::Sequential model(torch::nn::Linear(kMlpSizes[0], kMlpSizes[1]), torch::nn::ReLU(),
                              torch::nn::Linear(kMlpSizes[1], kMlpSizes[2]), torch::nn::ReLU(),
                              torch::nn::Linear(kMlpSizes[2], kMlpSizes[3]));
  xg::nn::Sequential init = make_xgrad_mlp();
  copy_parameters(init, *model);
  return model;
}

void set_grads_to_none(const std::vector<torch::Tensor>& params) {
  for (torch::Tensor p : params) p.mutable_grad().reset();
}

// A torch tensor holding a copy of the values.
torch::Tensor torch_tensor(const std::vector<float>& v, torch::IntArrayRef shape) {
  return torch::from_blob(const_cast<float*>(v.data()), shape, torch::kFloat32).clone();
}
torch::Tensor torch_tensor(const std::vector<std::int64_t>& v, torch::IntArrayRef shape) {
  return torch::from_blob(const_cast<std::int64_t*>(v.data()), shape, torch::kInt64).clone();
}

// (N, rows * cols) f32 pixel / 255.0f, as xg::data::fashion_mnist(split, {.flatten = true}).
torch::Tensor fashion_images(const std::string& path) {
  const IdxU8 idx = read_idx_u8(path);
  if (idx.dims.size() != 3) throw std::runtime_error(path + ": expected 3-D images");
  torch::Tensor t = torch::empty({idx.dims[0], idx.dims[1] * idx.dims[2]}, torch::kFloat32);
  float* p = t.data_ptr<float>();
  for (std::size_t i = 0; i < idx.values.size(); ++i) p[i] = float(idx.values[i]) / 255.0f;
  return t;
}

torch::Tensor fashion_labels(const std::string& path) {
  const IdxU8 idx = read_idx_u8(path);
  if (idx.dims.size() != 1) throw std::runtime_error(path + ": expected 1-D labels");
  torch::Tensor t = torch::empty({idx.dims[0]}, torch::kInt64);
  std::int64_t* p = t.data_ptr<std::int64_t>();
  for (std::size_t i = 0; i < idx.values.size(); ++i) p[i] = idx.values[i];
  return t;
}

void mlp_epoch(const Workload& w, Result& r) {
  // Read without xgrad (see idx_gz.hpp), as xg::data::fashion_mnist reads it.
  const std::string dir = fashion_mnist_dir();
  const torch::Tensor train_x = fashion_images(dir + "/train-images-idx3-ubyte.gz");
  const torch::Tensor train_y = fashion_labels(dir + "/train-labels-idx1-ubyte.gz");
  const torch::Tensor test_x = fashion_images(dir + "/t10k-images-idx3-ubyte.gz");
  const torch::Tensor test_y = fashion_labels(dir + "/t10k-labels-idx1-ubyte.gz");
  const std::int64_t n = train_x.size(0), b = w.size;
  std::vector<std::int64_t> order = epoch_order(n);
  const torch::Tensor order_t = torch::from_blob(order.data(), {n}, torch::kInt64);
  MemoryProbe mem;
  mem.begin();
  torch::nn::Sequential model = make_torch_mlp();
  const std::vector<torch::Tensor> params = model->parameters();
  torch::optim::SGD opt(params, torch::optim::SGDOptions(kMlpLr).momentum(kMlpMomentum));

  double tail_loss = 0;
  int tail_count = 0;
  const std::int64_t batches =
      std::max<std::int64_t>(1, std::llround(double((n + b - 1) / b) * w.epoch_fraction));
  const auto t0 = Clock::now();
  for (std::int64_t i = 0; i < batches; ++i) {
    const std::int64_t start = i * b, count = std::min(b, n - start);
    const torch::Tensor idx = order_t.narrow(0, start, count);
    const torch::Tensor x = train_x.index_select(0, idx);
    const torch::Tensor y = train_y.index_select(0, idx);
    set_grads_to_none(params);
    torch::Tensor loss = TF::cross_entropy(model->forward(x), y);
    loss.backward();
    opt.step();
    if (i >= batches - 20) {
      tail_loss += loss.item<double>();
      ++tail_count;
    }
  }
  r.time = seconds_since(t0);
  mem.end(r);

  torch::NoGradGuard no_grad;
  const torch::Tensor pred = model->forward(test_x).argmax(1);
  r.extra["test_accuracy"] = pred.eq(test_y).sum().item<double>() / double(test_y.size(0));
  r.extra["train_loss_last20"] = tail_loss / tail_count;
  double pixels = 0;  // the same data on both sides: the sums must agree
  const float* px = train_x.data_ptr<float>();
  for (std::int64_t i = 0; i < train_x.numel(); ++i) pixels += px[i];
  r.extra["train_pixel_sum"] = pixels;
  r.extra["gflop"] = mlp_epoch_flops(std::min(n, batches * b)) * 1e-9;
  r.extra["batches"] = double(batches);
}

void xor_steps(const Workload& w, Result& r) {
  const float xs[4][2] = {{0, 0}, {0, 1}, {1, 0}, {1, 1}};
  const float ys[4] = {0, 1, 1, 0};
  std::vector<torch::Tensor> x, y;
  for (int i = 0; i < 4; ++i) {
    x.push_back(torch::tensor({xs[i][0], xs[i][1]}).reshape({1, 2}));
    y.push_back(torch::tensor({ys[i]}).reshape({1, 1}));
  }
  MemoryProbe mem;
  mem.begin();
  torch::nn::Sequential model(torch::nn::Linear(2, 16), torch::nn::Tanh(), torch::nn::Linear(16, 1),
                              torch::nn::Sigmoid());
  {
    xg::nn::Sequential init = make_xgrad_xor();
    copy_parameters(init, *model);
  }
  const std::vector<torch::Tensor> params = model->parameters();
  torch::optim::SGD opt(params, torch::optim::SGDOptions(kXorLr).momentum(kXorMomentum));
  auto step = [&](int i) {
    set_grads_to_none(params);
    torch::Tensor loss = TF::binary_cross_entropy(model->forward(x[i % 4]), y[i % 4]);
    loss.backward();
    opt.step();
    return loss;
  };
  double tail_loss = 0;
  for (int i = 0; i < w.warmup; ++i) step(i);
  const auto t0 = Clock::now();
  for (int i = 0; i < w.iters; ++i) {
    torch::Tensor loss = step(i);
    if (i >= w.iters - 4) tail_loss += loss.item<double>();
  }
  r.time = seconds_since(t0) / w.iters * unit_scale(w);
  mem.end(r);
  r.extra["loss_last4"] = tail_loss / 4;
}

void mlp_step(const Workload& w, Result& r) {
  const torch::Tensor x =
      torch_tensor(uniform_floats(w.size * kMlpSizes[0], kSeed + 1), {w.size, kMlpSizes[0]});
  const torch::Tensor y = torch_tensor(class_indices(w.size, kMlpSizes[3], kSeed + 2), {w.size});
  MemoryProbe mem;
  mem.begin();
  torch::nn::Sequential model = make_torch_mlp();
  const std::vector<torch::Tensor> params = model->parameters();
  double loss_value = 0;
  auto step = [&] {
    set_grads_to_none(params);
    torch::Tensor loss = TF::cross_entropy(model->forward(x), y);
    loss.backward();
    return loss;
  };
  for (int i = 0; i < w.warmup; ++i) step();
  const auto t0 = Clock::now();
  for (int i = 0; i < w.iters; ++i) loss_value = step().item<double>();
  r.time = seconds_since(t0) / w.iters * unit_scale(w);
  mem.end(r);
  r.extra["loss"] = loss_value;
  r.extra["gflops"] = mlp_step_flops(w.size) * 1e-9 / (r.time / unit_scale(w));
}

void matmul(const Workload& w, Result& r) {
  const std::int64_t n = w.size * w.size;
  torch::Tensor a = torch_tensor(uniform_floats(n, kSeed + 3), {w.size, w.size}).requires_grad_();
  torch::Tensor b = torch_tensor(uniform_floats(n, kSeed + 4), {w.size, w.size}).requires_grad_();
  const torch::Tensor g = torch::ones({w.size, w.size});
  MemoryProbe mem;
  mem.begin();
  auto step = [&] {
    a.mutable_grad().reset();
    b.mutable_grad().reset();
    torch::Tensor c = torch::matmul(a, b);
    c.backward(g);
  };
  for (int i = 0; i < w.warmup; ++i) step();
  const auto t0 = Clock::now();
  for (int i = 0; i < w.iters; ++i) step();
  r.time = seconds_since(t0) / w.iters * unit_scale(w);
  mem.end(r);
  const double nd = double(w.size);
  r.extra["gflops"] = 6 * nd * nd * nd * 1e-9 / (r.time / unit_scale(w));
  r.extra["grad_sum"] = a.grad().sum().item<double>() + b.grad().sum().item<double>();
}

void elementwise(const Workload& w, Result& r) {
  torch::Tensor a = torch_tensor(uniform_floats(w.size, kSeed + 5), {w.size}).requires_grad_();
  torch::Tensor b = torch_tensor(uniform_floats(w.size, kSeed + 6), {w.size}).requires_grad_();
  const torch::Tensor g = torch::ones({w.size});
  MemoryProbe mem;
  mem.begin();
  auto step = [&] {
    a.mutable_grad().reset();
    b.mutable_grad().reset();
    torch::Tensor c = w.op == "add" ? a + b : w.op == "mul" ? a * b : torch::exp(a);
    c.backward(g);
  };
  for (int i = 0; i < w.warmup; ++i) step();
  const auto t0 = Clock::now();
  for (int i = 0; i < w.iters; ++i) step();
  r.time = seconds_since(t0) / w.iters * unit_scale(w);
  mem.end(r);
  r.extra["grad_sum"] = a.grad().sum().item<double>();
}

void softmax_ce(const Workload& w, Result& r) {
  torch::Tensor logits =
      torch_tensor(normal_floats(w.size * 1000, kSeed + 7), {w.size, 1000}).requires_grad_();
  const torch::Tensor y = torch_tensor(class_indices(w.size, 1000, kSeed + 8), {w.size});
  MemoryProbe mem;
  mem.begin();
  double loss_value = 0;
  auto step = [&] {
    logits.mutable_grad().reset();
    torch::Tensor loss = TF::cross_entropy(logits, y);
    loss.backward();
    return loss;
  };
  for (int i = 0; i < w.warmup; ++i) step();
  const auto t0 = Clock::now();
  for (int i = 0; i < w.iters; ++i) loss_value = step().item<double>();
  r.time = seconds_since(t0) / w.iters * unit_scale(w);
  mem.end(r);
  r.extra["loss"] = loss_value;
}

}  // namespace

void run_torch(const Workload& w, int threads, Result& r) {
  at::set_num_threads(threads);
  openblas_threads(threads);
  r.api = kApi;
  switch (w.kind) {
    case Kind::mlp_epoch: mlp_epoch(w, r); break;
    case Kind::xor_step: xor_steps(w, r); break;
    case Kind::mlp_step: mlp_step(w, r); break;
    case Kind::matmul: matmul(w, r); break;
    case Kind::elementwise: elementwise(w, r); break;
    case Kind::softmax_ce: softmax_ce(w, r); break;
    case Kind::gemm: throw std::runtime_error("gemm workloads run on the blas side");
  }
}

}  // namespace bench
