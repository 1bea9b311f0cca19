// Linear layer: checks the input against the weight, then one fused GEMM (xg::linear).
#include "nn/linear.hpp"

#include <cmath>

#include "autograd/ops/linalg.hpp"
#include "nn/init.hpp"

namespace xg::nn {

Linear::Linear(std::int64_t in, std::int64_t out, bool with_bias)
    : Module("Linear"), in_features(in), out_features(out) {
  if (in < 0 || out < 0) {
    throw ValueError("Linear: in_features and out_features must be >= 0, got " +
                     std::to_string(in) + " and " + std::to_string(out));
  }
  weight = register_parameter("weight", zeros({out, in}));
  if (with_bias) bias = register_parameter("bias", zeros({out}));
  reset_parameters();
}

void Linear::reset_parameters() {
  // kaiming_uniform_ with a = sqrt(5): gain sqrt(2 / (1 + 5)) = 1/sqrt(3), bound
  // sqrt(3) * gain / sqrt(fan_in) = 1/sqrt(fan_in). It is a no-op for 0 features.
  init::kaiming_uniform_(weight, std::sqrt(5.0));
  if (bias.defined()) {
    const double bound = in_features > 0 ? 1.0 / std::sqrt(static_cast<double>(in_features)) : 0.0;
    init::uniform_(bias, -bound, bound);
  }
}

Tensor Linear::forward(const Tensor& input) {
  if (!input.defined()) throw GraphError("Linear: the input tensor is undefined");
  // Checked here (not only in xg::linear) so the message speaks of the layer's features.
  if (input.dim() == 0 || input.shape().back() != in_features) {
    throw ShapeError("Linear: expected input with " + std::to_string(in_features) +
                     " features (last axis), got shape " + shape_str(input.shape()) +
                     "; weight is " + shape_str(weight.shape()));
  }
  return linear(input, weight, bias);
}

std::string Linear::extra_repr() const {
  return "in_features=" + std::to_string(in_features) +
         ", out_features=" + std::to_string(out_features) +
         ", bias=" + (bias.defined() ? "true" : "false");
}

}  // namespace xg::nn
