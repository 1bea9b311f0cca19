// Explicit penalty terms to add to a loss (for L1, L2 or elastic-net regularisation):
//
//   auto loss = data_loss + 1e-4 * xg::nn::l1_penalty(model.parameters())
//                         + 0.5 * 1e-3 * xg::nn::l2_penalty(model.parameters());
//
// Both are differentiable 0-D tensors in the parameters' dtype (f32 for an empty list).
// All tensors must share one float dtype (DtypeError naming both otherwise); an undefined
// tensor is a GraphError.
//
// PyTorch's SGD(weight_decay = wd) adds wd * p to each gradient, which is the gradient of
// 0.5 * wd * l2_penalty(params): the same as adding that term to the loss.
#pragma once

#include <vector>

#include "xgrad/autograd/tensor.hpp"

namespace xg::nn {

// sum over all tensors of sum |p| (the gradient is sign(p), 0 at p = 0).
Tensor l1_penalty(const std::vector<Tensor>& params);
// sum over all tensors of sum p^2 (the squared L2 norm, no square root, no 1/2).
Tensor l2_penalty(const std::vector<Tensor>& params);

}  // namespace xg::nn
