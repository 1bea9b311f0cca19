// Activation layers: thin wrappers over the autograd ops, which do the checking.
#include "nn/activation.hpp"

#include "autograd/ops/activation.hpp"
#include "autograd/ops/softmax.hpp"
#include "nn/detail/repr_util.hpp"

namespace xg::nn {

using internal::format_number;

Tensor Sigmoid::forward(const Tensor& input) { return sigmoid(input); }
Tensor Tanh::forward(const Tensor& input) { return xg::tanh(input); }
Tensor ReLU::forward(const Tensor& input) { return relu(input); }

LeakyReLU::LeakyReLU(double slope) : Module("LeakyReLU"), negative_slope(slope) {}
Tensor LeakyReLU::forward(const Tensor& input) { return leaky_relu(input, negative_slope); }
std::string LeakyReLU::extra_repr() const {
  return "negative_slope=" + format_number(negative_slope);
}

Softplus::Softplus(double b, double t) : Module("Softplus"), beta(b), threshold(t) {
  // Checked here as well as in the op so a bad layer fails where it is built.
  if (beta == 0.0) throw ValueError("Softplus: beta must be non-zero, got 0");
}
Tensor Softplus::forward(const Tensor& input) { return softplus(input, beta, threshold); }
std::string Softplus::extra_repr() const {
  return "beta=" + format_number(beta) + ", threshold=" + format_number(threshold);
}

GELU::GELU(std::string approx) : Module("GELU"), approximate(std::move(approx)) {
  if (approximate != "none" && approximate != "tanh") {
    throw ValueError("GELU: approximate must be \"none\" or \"tanh\", got \"" + approximate + "\"");
  }
}
Tensor GELU::forward(const Tensor& input) { return gelu(input, approximate); }
std::string GELU::extra_repr() const { return "approximate='" + approximate + "'"; }

ELU::ELU(double a) : Module("ELU"), alpha(a) {}
Tensor ELU::forward(const Tensor& input) { return elu(input, alpha); }
std::string ELU::extra_repr() const { return "alpha=" + format_number(alpha); }

Softmax::Softmax(std::int64_t a) : Module("Softmax"), axis(a) {}
Tensor Softmax::forward(const Tensor& input) { return softmax(input, axis); }
std::string Softmax::extra_repr() const { return "axis=" + std::to_string(axis); }

LogSoftmax::LogSoftmax(std::int64_t a) : Module("LogSoftmax"), axis(a) {}
Tensor LogSoftmax::forward(const Tensor& input) { return log_softmax(input, axis); }
std::string LogSoftmax::extra_repr() const { return "axis=" + std::to_string(axis); }

}  // namespace xg::nn
