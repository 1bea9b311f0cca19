// Batch normalisation layers, as PyTorch's nn.BatchNorm1d and nn.BatchNorm2d (the op:
// xg::batch_norm, autograd/ops/norm.hpp).
//
//   xg::nn::BatchNorm2d bn(32);        // after a Conv2d(..., 32, ...)
//   model.train(); y = bn(x);          // batch statistics; running statistics updated
//   model.eval();  y = bn(x);          // running statistics
//
// State, with PyTorch's state_dict keys: parameters "weight" (ones) and "bias" (zeros)
// when affine; buffers "running_mean" (zeros), "running_var" (ones) and
// "num_batches_tracked" (i64 0) when track_running_stats. Each training forward adds 1 to
// num_batches_tracked and updates running = (1 - momentum) running + momentum batch, with
// the unbiased batch variance for running_var; momentum unset (std::nullopt) uses the
// cumulative average 1 / num_batches_tracked, as PyTorch's momentum=None. Without running
// statistics the batch statistics are used in eval mode too.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "xgrad/nn/module.hpp"

namespace xg::nn {

struct BatchNormOptions {
  double eps = 1e-5;
  std::optional<double> momentum = 0.1;
  bool affine = true;
  bool track_running_stats = true;
};

// The common part of BatchNorm1d and BatchNorm2d; they differ in the inputs they accept.
class BatchNormBase : public Module {
 public:
  using Module::forward;
  Tensor forward(const Tensor& input) override;
  // "32, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True"
  std::string extra_repr() const override;
  // Running statistics back to zeros / ones and num_batches_tracked to 0.
  void reset_running_stats();
  // reset_running_stats(), and weight to ones, bias to zeros.
  void reset_parameters();

  std::int64_t num_features;
  BatchNormOptions options;
  Tensor weight, bias;                                    // undefined unless affine
  Tensor running_mean, running_var, num_batches_tracked;  // undefined unless tracked

 protected:
  BatchNormBase(std::string type_name, std::int64_t num_features, const BatchNormOptions& options);
  // ShapeError unless the input's shape is one this layer accepts.
  virtual void check_input(const Tensor& input) const = 0;
  // The checks of check_input: rank_ok says whether the rank is one the layer accepts,
  // `expected` names them ("4D"); then the channels must be num_features.
  void check_rank(const Tensor& input, bool rank_ok, const char* expected) const;
};

// Input (N, C) or (N, C, L) with C = num_features.
class BatchNorm1d : public BatchNormBase {
 public:
  explicit BatchNorm1d(std::int64_t num_features, const BatchNormOptions& options = {});

 protected:
  void check_input(const Tensor& input) const override;
};

// Input (N, C, H, W) with C = num_features.
class BatchNorm2d : public BatchNormBase {
 public:
  explicit BatchNorm2d(std::int64_t num_features, const BatchNormOptions& options = {});

 protected:
  void check_input(const Tensor& input) const override;
};

}  // namespace xg::nn
