// Convolution layers: Conv1d, Conv2d and ConvTranspose2d, as PyTorch's nn.Conv1d,
// nn.Conv2d and nn.ConvTranspose2d (the ops: autograd/ops/conv.hpp).
//
//   xg::nn::Conv2d conv(1, 32, 3, {.padding = 1});   // weight (32, 1, 3, 3), bias (32)
//   xg::Tensor y = conv(x);                          // (N, 1, 28, 28) -> (N, 32, 28, 28)
//
// Parameters "weight" and "bias" (absent with bias = false), also reachable as the public
// members weight / bias, with PyTorch's shapes and state_dict keys:
//   Conv1d           weight (out, in / groups, k)
//   Conv2d           weight (out, in / groups, kh, kw)
//   ConvTranspose2d  weight (in, out / groups, kh, kw)
// and PyTorch's default initialisation: weight ~ kaiming_uniform_(a = sqrt(5)), i.e.
// U(-1/sqrt(fan_in), 1/sqrt(fan_in)), and bias ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)), where
// fan_in = weight.size(1) * the kernel's size (torch.nn.init's rule for the weight's shape).
//
// padding_mode "zeros" (the default) pads inside the convolution; "reflect" and
// "replicate" pad the input first (xg::pad) and convolve without padding, as PyTorch.
// PyTorch's "circular" is not supported (ValueError).
#pragma once

#include <cstdint>
#include <string>

#include "xgrad/autograd/ops/conv.hpp"
#include "xgrad/nn/module.hpp"

namespace xg::nn {

struct Conv2dOptions {
  Size2 stride = 1;
  ConvPadding padding = 0;  // numbers, "same" or "valid"
  Size2 dilation = 1;
  std::int64_t groups = 1;
  bool bias = true;
  std::string padding_mode = "zeros";  // "zeros", "reflect" or "replicate"
};

struct Conv1dOptions {
  std::int64_t stride = 1;
  ConvPadding padding = 0;  // a number, "same" or "valid"
  std::int64_t dilation = 1;
  std::int64_t groups = 1;
  bool bias = true;
  std::string padding_mode = "zeros";
};

struct ConvTranspose2dOptions {
  Size2 stride = 1;
  Size2 padding = 0;
  Size2 output_padding = 0;
  std::int64_t groups = 1;
  bool bias = true;
  Size2 dilation = 1;
};

// Throws ValueError for channels or kernel sizes below 1, groups not dividing the
// channels, an unknown padding_mode, and what the op itself refuses (a stride below 1).
class Conv2d : public Module {
 public:
  Conv2d(std::int64_t in_channels, std::int64_t out_channels, Size2 kernel_size,
         const Conv2dOptions& options = {});
  using Module::forward;
  Tensor forward(const Tensor& input) override;
  // PyTorch's: "1, 32, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1)".
  std::string extra_repr() const override;
  // Draws weight and bias again with the default initialisation (in place).
  void reset_parameters();

  std::int64_t in_channels, out_channels;
  Size2 kernel_size;
  Conv2dOptions options;
  Tensor weight;
  Tensor bias;  // undefined with options.bias = false
};

class Conv1d : public Module {
 public:
  Conv1d(std::int64_t in_channels, std::int64_t out_channels, std::int64_t kernel_size,
         const Conv1dOptions& options = {});
  using Module::forward;
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;  // "4, 8, kernel_size=(3,), stride=(1,)"
  void reset_parameters();

  std::int64_t in_channels, out_channels, kernel_size;
  Conv1dOptions options;
  Tensor weight;
  Tensor bias;
};

class ConvTranspose2d : public Module {
 public:
  ConvTranspose2d(std::int64_t in_channels, std::int64_t out_channels, Size2 kernel_size,
                  const ConvTranspose2dOptions& options = {});
  using Module::forward;
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;
  void reset_parameters();

  std::int64_t in_channels, out_channels;
  Size2 kernel_size;
  ConvTranspose2dOptions options;
  Tensor weight;
  Tensor bias;
};

}  // namespace xg::nn
