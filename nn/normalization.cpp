// Batch normalisation layers: state as PyTorch's _BatchNorm, the op xg::batch_norm.
#include "nn/normalization.hpp"

#include "autograd/function.hpp"
#include "autograd/grad_mode.hpp"
#include "autograd/ops/norm.hpp"
#include "nn/detail/repr_util.hpp"

namespace xg::nn {

BatchNormBase::BatchNormBase(std::string type_name, std::int64_t features,
                             const BatchNormOptions& opts)
    : Module(std::move(type_name)), num_features(features), options(opts) {
  if (features < 1) {
    throw ValueError(this->type_name() + ": num_features must be >= 1, got " +
                     std::to_string(features));
  }
  if (!(opts.eps > 0.0)) {
    throw ValueError(this->type_name() + ": eps must be > 0, got " +
                     internal::format_number(opts.eps));
  }
  if (opts.affine) {
    weight = register_parameter("weight", ones({features}));
    bias = register_parameter("bias", zeros({features}));
  }
  if (opts.track_running_stats) {
    running_mean = register_buffer("running_mean", zeros({features}));
    running_var = register_buffer("running_var", ones({features}));
    num_batches_tracked = register_buffer("num_batches_tracked", zeros({}, {.dtype = Dtype::i64}));
  }
}

void BatchNormBase::reset_running_stats() {
  if (!options.track_running_stats) return;
  NoGradGuard no_grad;
  running_mean.zero_();
  running_var.fill_(1.0);
  num_batches_tracked.zero_();
}

void BatchNormBase::reset_parameters() {
  reset_running_stats();
  if (!options.affine) return;
  NoGradGuard no_grad;
  weight.fill_(1.0);
  bias.zero_();
}

Tensor BatchNormBase::forward(const Tensor& input) {
  check_input(input);
  double factor = options.momentum.value_or(0.0);
  if (is_training() && options.track_running_stats) {
    NoGradGuard no_grad;
    num_batches_tracked.add_(1.0);
    if (!options.momentum) {
      factor = 1.0 / static_cast<double>(num_batches_tracked.item<std::int64_t>());
    }
  }
  // Batch statistics when training, or when there are no running statistics to use.
  const bool batch_stats = is_training() || !options.track_running_stats;
  return batch_norm(input, running_mean, running_var, weight, bias, batch_stats, factor,
                    options.eps);
}

void BatchNormBase::check_rank(const Tensor& input, bool rank_ok, const char* expected) const {
  xg::autograd::check_defined(type_name().c_str(), input);
  if (!rank_ok) {
    throw ShapeError(type_name() + ": expected " + expected + " input (got " +
                     std::to_string(input.dim()) + "D input of shape " + shape_str(input.shape()) +
                     ")");
  }
  if (input.shape()[1] != num_features) {
    throw ShapeError(type_name() + ": expected " + std::to_string(num_features) +
                     " channels (axis 1), got input of shape " + shape_str(input.shape()));
  }
}

std::string BatchNormBase::extra_repr() const {
  return std::to_string(num_features) + ", eps=" + internal::format_number(options.eps) +
         ", momentum=" +
         (options.momentum ? internal::format_number(*options.momentum) : std::string("None")) +
         ", affine=" + internal::python_bool(options.affine) +
         ", track_running_stats=" + internal::python_bool(options.track_running_stats);
}

BatchNorm1d::BatchNorm1d(std::int64_t features, const BatchNormOptions& opts)
    : BatchNormBase("BatchNorm1d", features, opts) {}

void BatchNorm1d::check_input(const Tensor& input) const {
  check_rank(input, input.dim() == 2 || input.dim() == 3, "2D or 3D");
}

BatchNorm2d::BatchNorm2d(std::int64_t features, const BatchNormOptions& opts)
    : BatchNormBase("BatchNorm2d", features, opts) {}

void BatchNorm2d::check_input(const Tensor& input) const {
  check_rank(input, input.dim() == 4, "4D");
}

}  // namespace xg::nn
