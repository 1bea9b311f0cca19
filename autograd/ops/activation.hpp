// Activation functions, elementwise on float tensors. Each is finite for any finite
// input (sigmoid(+-1000) is 1 / 0 with gradient 0) and matches PyTorch's definitions.
#pragma once

#include <string_view>

#include "xgrad/autograd/tensor.hpp"

namespace xg {

Tensor sigmoid(const Tensor& x);
Tensor tanh(const Tensor& x);
// max(x, 0); gradient 0 at x = 0.
Tensor relu(const Tensor& x);
// x for x > 0, negative_slope * x otherwise.
Tensor leaky_relu(const Tensor& x, double negative_slope = 0.01);
// log(1 + exp(beta x)) / beta, linear where beta x > threshold (PyTorch's defaults).
Tensor softplus(const Tensor& x, double beta = 1.0, double threshold = 20.0);
// x * Phi(x); approximate = "tanh" uses PyTorch's tanh approximation.
Tensor gelu(const Tensor& x, std::string_view approximate = "none");
// x for x > 0, alpha * (exp(x) - 1) otherwise.
Tensor elu(const Tensor& x, double alpha = 1.0);

}  // namespace xg
