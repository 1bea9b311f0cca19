// Linear: y = x W^T + b, PyTorch's nn.Linear.
//
//   xg::nn::Linear fc(784, 256);          // weight (256, 784), bias (256)
//   xg::Tensor y = fc(x);                 // x (..., 784) -> y (..., 256)
//
// Parameters are registered as "weight" (out_features, in_features) and "bias"
// (out_features, absent when bias = false) and are also reachable as the public members
// weight / bias (handles aliasing the registered tensors). They start as in PyTorch:
// weight ~ kaiming_uniform_(a = sqrt(5)), i.e. U(-1/sqrt(in), 1/sqrt(in)), and bias
// ~ U(-1/sqrt(in), 1/sqrt(in)), drawn from the library's generator.
//
// An input whose last axis is not in_features throws ShapeError naming both shapes:
//   "Linear: expected input with 4 features (last axis), got shape (2, 5); weight is (8, 4)"
// (called through operator(), the message is prefixed by the layer's path in the model).
#pragma once

#include <cstdint>
#include <string>

#include "xgrad/nn/module.hpp"

namespace xg::nn {

class Linear : public Module {
 public:
  // Throws ValueError for negative sizes.
  Linear(std::int64_t in_features, std::int64_t out_features, bool bias = true);

  using Module::forward;
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;

  // Draws weight and bias again with PyTorch's default initialisation (in place).
  void reset_parameters();

  std::int64_t in_features;
  std::int64_t out_features;
  Tensor weight;
  Tensor bias;  // undefined when constructed with bias = false
};

}  // namespace xg::nn
