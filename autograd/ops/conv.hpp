// Padding, sliding blocks and convolutions (ops/conv.cpp), as PyTorch 1.13's
// torch.nn.functional: pad, unfold, fold, conv1d, conv2d and conv_transpose2d. f32 and
// f64; all operands of one op share the dtype. Every op is differentiable twice (and
// more): a backward run with create_graph is written with these ops themselves.
// How a convolution is computed: docs/DESIGN.md § Where performance comes from.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "xgrad/autograd/ops/size2.hpp"
#include "xgrad/autograd/tensor.hpp"

namespace xg {

enum class PadMode { constant, reflect, replicate };

// F.pad: `pad` lists (before, after) pairs starting from the last dimension:
// (left, right), then (top, bottom), and so on. Its length is even and at most 2 * dim.
// constant fills with `value` and pads any number of dimensions; a negative pad crops.
// reflect (mirror without repeating the edge) and replicate (repeat the edge) pad the
// last 1, 2 or 3 dimensions of an input with 1 or 2 more dimensions (2-D or 3-D input for
// 1 padded dimension, 3-D or 4-D for 2, 4-D or 5-D for 3); reflect needs every pad
// smaller than the size it pads, and `value` is 0 for them (ValueError otherwise).
// ShapeError names the shape, the pads and the dimension.
Tensor pad(const Tensor& x, const std::vector<std::int64_t>& pad, PadMode mode = PadMode::constant,
           double value = 0.0);

// The sliding blocks of F.unfold and F.fold (PyTorch's argument order).
struct FoldOptions {
  Size2 dilation = 1;
  Size2 padding = 0;  // zeros on both sides
  Size2 stride = 1;
};

// F.unfold (im2col): input (N, C, H, W), or (C, H, W) unbatched, to (N, C*kh*kw, L):
// column l holds the block at the l-th window position (row-major over the positions),
// rows ordered by channel, then kernel row, then kernel column. L is the number of
// positions, prod over dims of (size + 2 padding - dilation (k - 1) - 1) / stride + 1,
// which must be at least 1.
Tensor unfold(const Tensor& input, Size2 kernel_size, const FoldOptions& options = {});

// F.fold (col2im), unfold's adjoint: input (N, C*kh*kw, L), or (C*kh*kw, L) unbatched,
// to (N, C, output_size); values that fall on the same output element are summed, and
// those on the padding dropped. L must equal the number of window positions in the
// output. fold(unfold(x)) multiplies each element by the number of blocks covering it.
Tensor fold(const Tensor& input, Size2 output_size, Size2 kernel_size,
            const FoldOptions& options = {});

// Convolution padding: numbers (zeros on both sides of each spatial dimension) or the
// string "valid" (no padding) or "same" (output as large as the input; stride 1 only; an
// odd total dilation (k - 1) puts the extra zero on the right / bottom, as PyTorch).
struct ConvPadding {
  std::int64_t h = 0, w = 0;
  std::string mode;                            // "" for numbers, else the string given
  ConvPadding(std::int64_t v) : h(v), w(v) {}  // NOLINT(google-explicit-constructor)
  ConvPadding(int v) : h(v), w(v) {}  // NOLINT(google-explicit-constructor): 0 is no pointer
  ConvPadding(std::int64_t h, std::int64_t w) : h(h), w(w) {}
  ConvPadding(const char* s) : mode(s) {}             // NOLINT(google-explicit-constructor)
  ConvPadding(std::string s) : mode(std::move(s)) {}  // NOLINT(google-explicit-constructor)
};

// The zeros a convolution adds on each side for `padding` with this kernel and dilation:
// numbers pad both sides alike, "valid" nothing, and "same" the dilated kernel's extent
// dilation (k - 1) split in two, its odd zero after (bottom, right), as PyTorch. A
// padding string other than "same" counts as "valid" here; the convolutions refuse it.
struct ConvPadAmounts {
  std::int64_t top = 0, bottom = 0, left = 0, right = 0;
};
ConvPadAmounts conv_pad_amounts(const ConvPadding& padding, Size2 kernel, Size2 dilation);

struct Conv2dOptions {
  Size2 stride = 1;
  ConvPadding padding = 0;
  Size2 dilation = 1;
  std::int64_t groups = 1;
};

// F.conv2d: input (N, C, H, W) or unbatched (C, H, W); weight (O, C / groups, kh, kw);
// bias (O) or undefined. Output (N, O, Ho, Wo) with
//   Ho = (H + 2 padding - dilation (kh - 1) - 1) / stride + 1   (and Wo alike);
// output channel o of group o / (O / groups) sees that group's C / groups input
// channels. Errors (ShapeError / ValueError / DtypeError) name the op and the shapes:
// input or weight of the wrong rank, channels not matching the weight, groups not
// dividing the channels, a kernel larger than the padded input, a stride or dilation
// below 1, negative padding, a bad padding string, "same" with a stride above 1.
Tensor conv2d(const Tensor& input, const Tensor& weight, const Tensor& bias = Tensor(),
              const Conv2dOptions& options = {});

// One-dimensional options: numbers for the single spatial dimension (padding a number
// or "same" / "valid").
struct Conv1dOptions {
  std::int64_t stride = 1;
  ConvPadding padding = 0;
  std::int64_t dilation = 1;
  std::int64_t groups = 1;
};

// F.conv1d: input (N, C, L) or unbatched (C, L); weight (O, C / groups, k); bias (O) or
// undefined; output (N, O, Lo), Lo as conv2d's Wo. Same rules and errors as conv2d.
Tensor conv1d(const Tensor& input, const Tensor& weight, const Tensor& bias = Tensor(),
              const Conv1dOptions& options = {});

// PyTorch's argument order: stride, padding, output_padding, groups, dilation.
struct ConvTranspose2dOptions {
  Size2 stride = 1;
  Size2 padding = 0;
  Size2 output_padding = 0;
  std::int64_t groups = 1;
  Size2 dilation = 1;
};

// F.conv_transpose2d, the adjoint of conv2d with respect to its input (the gradient of
// a convolution): input (N, C, H, W) or unbatched (C, H, W); weight (C, O / groups, kh,
// kw); bias (O) or undefined. Output (N, O, Ho, Wo) with
//   Ho = (H - 1) stride - 2 padding + dilation (kh - 1) + output_padding + 1
// (Wo alike), which must be at least 1. output_padding adds rows / columns at the
// bottom / right and must be smaller than the stride or the dilation.
Tensor conv_transpose2d(const Tensor& input, const Tensor& weight, const Tensor& bias = Tensor(),
                        const ConvTranspose2dOptions& options = {});

}  // namespace xg
