// Batch normalisation, as PyTorch 1.13's torch.nn.functional.batch_norm.
#pragma once

#include "xgrad/autograd/tensor.hpp"

namespace xg {

// F.batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps).
// x is (N, C), (N, C, L) or (N, C, H, W) (any (N, C, ...)); the statistics are per channel
// C, over the batch and the spatial axes; running_mean, running_var, weight and bias are
// (C) of x's dtype, each optional (undefined Tensor) but for the running statistics in
// evaluation mode.
//   y = (x - mean) / sqrt(var + eps) * weight + bias
// - training: mean and the biased var of the batch; the running statistics, when
//   defined, are updated in place (no gradient, their version bumped):
//   running = (1 - momentum) * running + momentum * batch, with the unbiased variance
//   (times n / (n - 1), n = N * spatial size) for running_var. More than one value per
//   channel is needed (ValueError "Expected more than 1 value per channel when
//   training", as PyTorch).
// - evaluation: the running statistics.
// Gradients for x, weight and bias: a fused backward, the standard formula
//   dx = weight * invstd / n * (n * dy - sum(dy) - xhat * sum(dy * xhat))
// in training (dy * weight * invstd in evaluation), dweight = sum(dy * xhat),
// dbias = sum(dy). When the backward itself is recorded (create_graph), it is computed
// with differentiable ops instead, so gradients of any order work.
// Errors: x not a float tensor with at least 2 dimensions (ShapeError), a (C) operand of
// another size (ShapeError naming it, C and x's shape) or dtype (DtypeError).
Tensor batch_norm(const Tensor& x, const Tensor& running_mean, const Tensor& running_var,
                  const Tensor& weight = Tensor(), const Tensor& bias = Tensor(),
                  bool training = false, double momentum = 0.1, double eps = 1e-5);

}  // namespace xg
