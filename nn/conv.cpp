// Convolution layers: parameters, PyTorch's initialisation and repr, padding modes.
#include "nn/conv.hpp"

#include <cmath>

#include "autograd/function.hpp"
#include "nn/detail/repr_util.hpp"
#include "nn/init.hpp"

namespace xg::nn {

namespace {

void check_sizes(const char* layer, std::int64_t in, std::int64_t out, std::int64_t groups,
                 std::int64_t kh, std::int64_t kw) {
  if (in < 1 || out < 1) {
    throw ValueError(std::string(layer) + ": in_channels and out_channels must be >= 1, got " +
                     std::to_string(in) + " and " + std::to_string(out));
  }
  if (kh < 1 || kw < 1) {
    throw ValueError(std::string(layer) + ": kernel_size must be >= 1, got (" + std::to_string(kh) +
                     ", " + std::to_string(kw) + ")");
  }
  if (groups < 1 || in % groups != 0 || out % groups != 0) {
    throw ValueError(std::string(layer) + ": groups " + std::to_string(groups) +
                     " must be >= 1 and divide in_channels " + std::to_string(in) +
                     " and out_channels " + std::to_string(out));
  }
}

void check_padding_mode(const char* layer, const std::string& mode) {
  if (mode != "zeros" && mode != "reflect" && mode != "replicate") {
    throw ValueError(std::string(layer) + ": padding_mode must be \"zeros\", \"reflect\" or " +
                     "\"replicate\", got \"" + mode + "\"");
  }
}

// PyTorch's reset_parameters of _ConvNd: kaiming_uniform_(a = sqrt(5)) for the weight and
// U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for the bias, fan_in from the weight's shape.
void reset_conv(Tensor& weight, Tensor& bias) {
  init::kaiming_uniform_(weight, std::sqrt(5.0));
  if (bias.defined()) {
    const auto fan_in = init::calculate_fan_in_and_fan_out(weight).fan_in;
    const double bound = fan_in > 0 ? 1.0 / std::sqrt(static_cast<double>(fan_in)) : 0.0;
    init::uniform_(bias, -bound, bound);
  }
}

using internal::python_pair;
using internal::python_single;

std::string padding_repr(const ConvPadding& p, bool one_dim) {
  if (!p.mode.empty()) return p.mode;
  return one_dim ? python_single(p.w) : python_pair(p.h, p.w);
}
bool padding_is_zero(const ConvPadding& p) { return p.mode.empty() && p.h == 0 && p.w == 0; }

// The tail of PyTorch's _ConvNd.extra_repr after the stride.
std::string conv_repr_tail(const std::string& padding, bool zero_padding,
                           const std::string& dilation, bool unit_dilation, std::int64_t groups,
                           bool bias, const std::string& padding_mode) {
  std::string s;
  if (!zero_padding) s += ", padding=" + padding;
  if (!unit_dilation) s += ", dilation=" + dilation;
  if (groups != 1) s += ", groups=" + std::to_string(groups);
  if (!bias) s += ", bias=False";
  if (padding_mode != "zeros") s += ", padding_mode=" + padding_mode;
  return s;
}

}  // namespace

// ---- Conv2d -----------------------------------------------------------------------------

Conv2d::Conv2d(std::int64_t in, std::int64_t out, Size2 kernel, const Conv2dOptions& opts)
    : Module("Conv2d"), in_channels(in), out_channels(out), kernel_size(kernel), options(opts) {
  check_sizes("Conv2d", in, out, opts.groups, kernel.h, kernel.w);
  check_padding_mode("Conv2d", opts.padding_mode);
  weight = register_parameter("weight", zeros({out, in / opts.groups, kernel.h, kernel.w}));
  if (opts.bias) bias = register_parameter("bias", zeros({out}));
  reset_parameters();
}

void Conv2d::reset_parameters() { reset_conv(weight, bias); }

Tensor Conv2d::forward(const Tensor& input) {
  xg::Conv2dOptions conv{.stride = options.stride,
                         .padding = options.padding,
                         .dilation = options.dilation,
                         .groups = options.groups};
  if (options.padding_mode == "zeros") return conv2d(input, weight, bias, conv);
  // PyTorch pads first with the mode ("same" resolved to the amounts the op would use).
  const ConvPadAmounts p = conv_pad_amounts(options.padding, kernel_size, options.dilation);
  const PadMode mode = options.padding_mode == "reflect" ? PadMode::reflect : PadMode::replicate;
  conv.padding = 0;
  return conv2d(pad(input, {p.left, p.right, p.top, p.bottom}, mode), weight, bias, conv);
}

std::string Conv2d::extra_repr() const {
  return std::to_string(in_channels) + ", " + std::to_string(out_channels) +
         ", kernel_size=" + python_pair(kernel_size) + ", stride=" + python_pair(options.stride) +
         conv_repr_tail(padding_repr(options.padding, false), padding_is_zero(options.padding),
                        python_pair(options.dilation),
                        options.dilation.h == 1 && options.dilation.w == 1, options.groups,
                        bias.defined(), options.padding_mode);
}

// ---- Conv1d -----------------------------------------------------------------------------

Conv1d::Conv1d(std::int64_t in, std::int64_t out, std::int64_t kernel, const Conv1dOptions& opts)
    : Module("Conv1d"), in_channels(in), out_channels(out), kernel_size(kernel), options(opts) {
  check_sizes("Conv1d", in, out, opts.groups, 1, kernel);
  check_padding_mode("Conv1d", opts.padding_mode);
  weight = register_parameter("weight", zeros({out, in / opts.groups, kernel}));
  if (opts.bias) bias = register_parameter("bias", zeros({out}));
  reset_parameters();
}

void Conv1d::reset_parameters() { reset_conv(weight, bias); }

Tensor Conv1d::forward(const Tensor& input) {
  xg::Conv1dOptions conv{.stride = options.stride,
                         .padding = options.padding,
                         .dilation = options.dilation,
                         .groups = options.groups};
  if (options.padding_mode == "zeros") return conv1d(input, weight, bias, conv);
  const ConvPadAmounts p =
      conv_pad_amounts(options.padding, Size2(1, kernel_size), Size2(1, options.dilation));
  const PadMode mode = options.padding_mode == "reflect" ? PadMode::reflect : PadMode::replicate;
  conv.padding = 0;
  return conv1d(pad(input, {p.left, p.right}, mode), weight, bias, conv);
}

std::string Conv1d::extra_repr() const {
  return std::to_string(in_channels) + ", " + std::to_string(out_channels) +
         ", kernel_size=" + python_single(kernel_size) +
         ", stride=" + python_single(options.stride) +
         conv_repr_tail(padding_repr(options.padding, true), padding_is_zero(options.padding),
                        python_single(options.dilation), options.dilation == 1, options.groups,
                        bias.defined(), options.padding_mode);
}

// ---- ConvTranspose2d --------------------------------------------------------------------

ConvTranspose2d::ConvTranspose2d(std::int64_t in, std::int64_t out, Size2 kernel,
                                 const ConvTranspose2dOptions& opts)
    : Module("ConvTranspose2d"),
      in_channels(in),
      out_channels(out),
      kernel_size(kernel),
      options(opts) {
  check_sizes("ConvTranspose2d", in, out, opts.groups, kernel.h, kernel.w);
  weight = register_parameter("weight", zeros({in, out / opts.groups, kernel.h, kernel.w}));
  if (opts.bias) bias = register_parameter("bias", zeros({out}));
  reset_parameters();
}

void ConvTranspose2d::reset_parameters() { reset_conv(weight, bias); }

Tensor ConvTranspose2d::forward(const Tensor& input) {
  return conv_transpose2d(input, weight, bias,
                          {.stride = options.stride,
                           .padding = options.padding,
                           .output_padding = options.output_padding,
                           .groups = options.groups,
                           .dilation = options.dilation});
}

std::string ConvTranspose2d::extra_repr() const {
  const Size2& op = options.output_padding;
  std::string s = std::to_string(in_channels) + ", " + std::to_string(out_channels) +
                  ", kernel_size=" + python_pair(kernel_size) +
                  ", stride=" + python_pair(options.stride);
  const bool zero_padding = options.padding.h == 0 && options.padding.w == 0;
  if (!zero_padding) s += ", padding=" + python_pair(options.padding);
  if (options.dilation.h != 1 || options.dilation.w != 1) {
    s += ", dilation=" + python_pair(options.dilation);
  }
  if (op.h != 0 || op.w != 0) s += ", output_padding=" + python_pair(op);
  if (options.groups != 1) s += ", groups=" + std::to_string(options.groups);
  if (!bias.defined()) s += ", bias=False";
  return s;
}

}  // namespace xg::nn
