// Pooling and upsampling layers, as PyTorch's nn.MaxPool1d, nn.MaxPool2d, nn.AvgPool1d,
// nn.AvgPool2d, nn.AdaptiveAvgPool2d and nn.Upsample (the ops: autograd/ops/pool.hpp).
// None has parameters or buffers.
//
//   xg::nn::MaxPool2d pool({.kernel_size = 2});   // stride defaults to the kernel size
//   xg::Tensor y = pool(x);                       // (N, C, 28, 28) -> (N, C, 14, 14)
#pragma once

#include <string>

#include "xgrad/autograd/ops/pool.hpp"
#include "xgrad/nn/module.hpp"

namespace xg::nn {

class MaxPool2d : public Module {
 public:
  explicit MaxPool2d(const MaxPool2dOptions& options);
  using Module::forward;
  Tensor forward(const Tensor& input) override;
  // PyTorch's: "kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False".
  std::string extra_repr() const override;
  MaxPool2dOptions options;
};

class AvgPool2d : public Module {
 public:
  explicit AvgPool2d(const AvgPool2dOptions& options);
  using Module::forward;
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;  // "kernel_size=2, stride=2, padding=0"
  AvgPool2dOptions options;
};

class MaxPool1d : public Module {
 public:
  explicit MaxPool1d(const MaxPool1dOptions& options);
  using Module::forward;
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;
  MaxPool1dOptions options;
};

class AvgPool1d : public Module {
 public:
  explicit AvgPool1d(const AvgPool1dOptions& options);
  using Module::forward;
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;
  AvgPool1dOptions options;
};

class AdaptiveAvgPool2d : public Module {
 public:
  explicit AdaptiveAvgPool2d(Size2 output_size);
  using Module::forward;
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;  // "output_size=(3, 3)"
  Size2 output_size;
};

// nn.Upsample with mode "nearest" (the only mode): exactly one of size and scale_factor.
class Upsample : public Module {
 public:
  explicit Upsample(const InterpolateOptions& options);
  using Module::forward;
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;  // "scale_factor=2.0, mode=nearest"
  InterpolateOptions options;
};

}  // namespace xg::nn
