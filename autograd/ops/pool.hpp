// Pooling and nearest-neighbour upsampling on (N, C, H, W) and (N, C, L) tensors, with
// PyTorch 1.13's names, argument order, defaults, output sizes and formulas
// (torch.nn.functional). f32 and f64; every op also takes an unbatched input, (C, H, W)
// or (C, L), as PyTorch does (but for upsample_nearest2d and interpolate, whose 3-D
// input is (N, C, L), as in PyTorch).
//
// Output size of the max and average pools, along each spatial axis (PyTorch's
// pooling_output_shape):
//   out = floor((in + 2 * padding - dilation * (kernel - 1) - 1 [+ stride - 1 if ceil_mode])
//               / stride) + 1
// and with ceil_mode the last window must start inside the input or the left padding:
// if (out - 1) * stride >= in + padding, out is one less.
//
// Errors: input not 3-D or 4-D (2-D or 3-D for the 1-d forms) or with a zero size other
// than the batch, or a pooled output size below 1 (the kernel does not fit the padded
// input): ShapeError naming the op, the sizes and the input shape; kernel, stride,
// dilation not positive, padding negative or larger than half the kernel, any of them
// above 2^31 - 1 (PyTorch keeps them in 32-bit ints), an adaptive or upsampled output size
// below 1 or an output above 2^46 elements: ValueError naming the op and the sizes; i64
// input: DtypeError. An empty batch (N = 0) gives an empty output.
//
// Gradients: max pooling sends each output gradient to its window's arg-max (the first
// maximum in row-major order on ties, the last NaN when the window has NaNs, whose value
// is then NaN, as PyTorch). Its backward is itself differentiable (a gather of the
// gradient's gradient at the arg-max). The average pools and the upsampling are linear,
// and each one's backward is its adjoint, also differentiable: gradients of any order.
// The planes (N * C) are split over xg::set_num_threads threads for large inputs; the
// result is the same for every thread count.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "xgrad/autograd/ops/size2.hpp"
#include "xgrad/autograd/tensor.hpp"

namespace xg {

struct MaxPool2dOptions {
  Size2 kernel_size;
  Size2 stride = {};  // not given: kernel_size
  Size2 padding = 0;  // implicit -inf on both sides
  Size2 dilation = 1;
  bool ceil_mode = false;
};

struct AvgPool2dOptions {
  Size2 kernel_size;
  Size2 stride = {};  // not given: kernel_size
  Size2 padding = 0;  // implicit zeros on both sides
  bool ceil_mode = false;
  // Whether the padding zeros count in the divisor (windows that ceil_mode lets run past
  // the right padding count only up to it, as PyTorch).
  bool count_include_pad = true;
  // When set (nonzero), the divisor of every window.
  std::optional<std::int64_t> divisor_override = std::nullopt;
};

struct MaxPool1dOptions {
  std::int64_t kernel_size;
  std::optional<std::int64_t> stride = std::nullopt;  // default: kernel_size
  std::int64_t padding = 0;
  std::int64_t dilation = 1;
  bool ceil_mode = false;
};

struct AvgPool1dOptions {
  std::int64_t kernel_size;
  std::optional<std::int64_t> stride = std::nullopt;  // default: kernel_size
  std::int64_t padding = 0;
  bool ceil_mode = false;
  bool count_include_pad = true;
};

// F.max_pool2d: the maximum of each (dilated) window of x, (N, C, H, W) or (C, H, W).
Tensor max_pool2d(const Tensor& x, const MaxPool2dOptions& options);
// F.max_pool2d(..., return_indices=True): the values and, as i64, the flat index
// h * W + w of each window's arg-max within its (H, W) plane. The indices carry no
// gradient.
std::pair<Tensor, Tensor> max_pool2d_with_indices(const Tensor& x, const MaxPool2dOptions& options);
// F.avg_pool2d: each window's sum divided by its size (see AvgPool2dOptions).
Tensor avg_pool2d(const Tensor& x, const AvgPool2dOptions& options);
// F.adaptive_avg_pool2d: output (out_h, out_w); output cell i averages the inputs
// [floor(i * in / out), ceil((i + 1) * in / out)) along each axis. Sizes must be >= 1.
Tensor adaptive_avg_pool2d(const Tensor& x, Size2 output_size);

// F.max_pool1d and F.avg_pool1d on (N, C, L) or (C, L).
Tensor max_pool1d(const Tensor& x, const MaxPool1dOptions& options);
Tensor avg_pool1d(const Tensor& x, const AvgPool1dOptions& options);

// PyTorch's upsample_nearest2d (legacy "nearest"): x (N, C, H, W) to (N, C, out_h, out_w),
// output (i, j) = x[src(i, H, out_h, scale_h), src(j, W, out_w, scale_w)] with
// src(i, in, out, scale) = min(floor(i * s), in - 1), s = 1 / scale when a scale is given,
// else in / out, computed in float as PyTorch's forward on a contiguous input. (PyTorch's
// backward, and its forward on a one-channel input, take i when out == in and i / 2 when
// out == 2 in even when a given scale says otherwise.) The backward sums the gradients of
// the outputs that read each input.
Tensor upsample_nearest2d(const Tensor& x, Size2 output_size,
                          std::optional<double> scale_h = std::nullopt,
                          std::optional<double> scale_w = std::nullopt);

struct InterpolateOptions {
  // Exactly one of size and scale_factor: one value for every spatial axis or one each.
  std::vector<std::int64_t> size = {};
  std::vector<double> scale_factor = {};
  std::string mode = "nearest";  // the only mode supported
};

// F.interpolate with mode "nearest" on (N, C, L) or (N, C, H, W): the output size is
// `size`, or floor(in * scale_factor) (and then the scale factor itself, not
// in / out, maps the output to the input, as PyTorch with recompute_scale_factor unset).
Tensor interpolate(const Tensor& x, const InterpolateOptions& options);

}  // namespace xg
