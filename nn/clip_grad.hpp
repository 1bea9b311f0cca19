// Gradient clipping, as torch.nn.utils.clip_grad_norm_ / clip_grad_value_. Call between
// loss.backward() and optimizer.step(). Tensors without a gradient are skipped.
#pragma once

#include <vector>

#include "xgrad/autograd/tensor.hpp"

namespace xg::nn::utils {

// Computes the norm of all gradients together, as if concatenated into one vector, of
// order norm_type (any p > 0, or INFINITY for the largest absolute value), and, when it
// exceeds max_norm, scales every gradient in place by max_norm / (total_norm + 1e-6).
// Returns the total norm before clipping as a double (PyTorch returns a 0-D tensor), 0
// when no tensor has a gradient. The norm is accumulated in double precision.
// A non-finite total norm throws ValueError when error_if_nonfinite, otherwise the
// gradients are scaled by the resulting (nan or 0) factor, as PyTorch does.
// max_norm must be >= 0 and norm_type > 0 (ValueError).
double clip_grad_norm_(const std::vector<Tensor>& params, double max_norm, double norm_type = 2.0,
                       bool error_if_nonfinite = false);

// Clamps every gradient element into [-clip_value, clip_value] in place. clip_value must
// be >= 0 (ValueError).
void clip_grad_value_(const std::vector<Tensor>& params, double clip_value);

}  // namespace xg::nn::utils
