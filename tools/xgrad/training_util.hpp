// The pieces of `xgrad train`'s loop: one optimisation step with the regularisers the
// flags ask for, the running statistics of an epoch, and the model spec from the flags.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "tools/xgrad/commands.hpp"
#include "tools/xgrad/data_source.hpp"
#include "tools/xgrad/model_spec.hpp"
#include "xgrad/data/dataset.hpp"
#include "xgrad/nn/container.hpp"
#include "xgrad/nn/safetensors.hpp"
#include "xgrad/optim/optimizer.hpp"

namespace xg::cli {

// A non-finite loss or gradient; main exits with kDivergedExitCode.
struct TrainingDiverged : std::runtime_error {
  using std::runtime_error::runtime_error;
};
inline constexpr int kDivergedExitCode = 3;

// The spec for the data: inputs and classes from the data, the rest from the flags
// (normalize "auto" -> "global" for images, "per-feature" otherwise).
ModelSpec make_spec(const ArchOptions& arch, const DataSpec& data_spec, const LoadedData& data);

// Fits the model's Standardize layer on `fit` as spec.normalize says (none: 0 and 1).
void fit_standardizer(nn::Sequential& model, const ModelSpec& spec, const data::Dataset& fit);

// The weights the penalties and the max-norm constraint act on: every 2-D parameter
// (Linear weights), not the biases.
std::vector<Tensor> weight_matrices(const nn::Module& model);

// The model's output, with Gaussian noise of std `noise` added to the standardized input
// (after layer 0) when noise > 0.
Tensor forward_with_noise(nn::Sequential& model, const Tensor& x, double noise);

// Rescales every row of each weight matrix whose L2 norm exceeds max_norm back to
// max_norm (the max-norm constraint of Srivastava et al. 2014: the incoming weights of
// each unit). In place, outside the graph.
void apply_max_norm(const std::vector<Tensor>& weights, double max_norm);

// Whether every gradient of `params` is finite (undefined gradients count as finite).
bool gradients_finite(const std::vector<Tensor>& params);

struct StepOptions {
  std::string loss = "cross-entropy";
  double l1 = 0.0, l2 = 0.0;  // loss + l1 * sum|w| + l2 * sum w^2 over weight_matrices
  double input_noise = 0.0;
  double max_norm = 0.0;
};

struct StepResult {
  bool ok = true;
  std::string problem;  // when !ok: "the loss is nan", ...
  double loss = 0.0;    // data loss (without penalties), batch mean
  std::int64_t samples = 0;
  std::int64_t correct = 0;
};

// zero_grad, forward, loss (+ penalties), backward, step, max-norm. A non-finite loss or
// gradient returns !ok before the parameters change.
StepResult train_step(nn::Sequential& model, optim::Optimizer& opt, const data::Batch& batch,
                      const StepOptions& options);

struct EpochStats {
  double loss_sum = 0.0;  // sum of per-sample losses
  std::int64_t samples = 0, correct = 0;
  void add(const StepResult& r);
  double mean_loss() const;
  double accuracy() const;
};

// Copies of the model's parameters and buffers (not aliases), for early stopping.
nn::StateDict copy_state(const nn::Module& model);

// "trained with 4 threads, BLAS kernel Haswell" from a model file's "xgrad.training"
// metadata (the two decide the bits of the result); "" when the file does not record them.
std::string describe_training_setup(const nn::Metadata& metadata);

}  // namespace xg::cli
