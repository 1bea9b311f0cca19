// Pooling and upsampling layers: the ops of autograd/ops/pool.hpp with PyTorch's repr.
#include "nn/pooling.hpp"

#include "autograd/function.hpp"
#include "nn/detail/repr_util.hpp"

namespace xg::nn {

namespace {

using internal::python_bool;
using internal::python_single;
using internal::python_size;

void check_kernel(const char* layer, const Size2& kernel) {
  if (!kernel.given) throw ValueError(std::string(layer) + ": kernel_size is required");
}

}  // namespace

MaxPool2d::MaxPool2d(const MaxPool2dOptions& opts) : Module("MaxPool2d"), options(opts) {
  check_kernel("MaxPool2d", options.kernel_size);
  if (!options.stride.given) options.stride = options.kernel_size;
}

Tensor MaxPool2d::forward(const Tensor& input) { return max_pool2d(input, options); }

std::string MaxPool2d::extra_repr() const {
  return "kernel_size=" + python_size(options.kernel_size) +
         ", stride=" + python_size(options.stride) + ", padding=" + python_size(options.padding) +
         ", dilation=" + python_size(options.dilation) +
         ", ceil_mode=" + python_bool(options.ceil_mode);
}

AvgPool2d::AvgPool2d(const AvgPool2dOptions& opts) : Module("AvgPool2d"), options(opts) {
  check_kernel("AvgPool2d", options.kernel_size);
  if (!options.stride.given) options.stride = options.kernel_size;
}

Tensor AvgPool2d::forward(const Tensor& input) { return avg_pool2d(input, options); }

std::string AvgPool2d::extra_repr() const {
  return "kernel_size=" + python_size(options.kernel_size) +
         ", stride=" + python_size(options.stride) + ", padding=" + python_size(options.padding);
}

MaxPool1d::MaxPool1d(const MaxPool1dOptions& opts) : Module("MaxPool1d"), options(opts) {
  if (!options.stride) options.stride = options.kernel_size;
}

Tensor MaxPool1d::forward(const Tensor& input) { return max_pool1d(input, options); }

std::string MaxPool1d::extra_repr() const {
  return "kernel_size=" + std::to_string(options.kernel_size) +
         ", stride=" + std::to_string(*options.stride) +
         ", padding=" + std::to_string(options.padding) +
         ", dilation=" + std::to_string(options.dilation) +
         ", ceil_mode=" + python_bool(options.ceil_mode);
}

AvgPool1d::AvgPool1d(const AvgPool1dOptions& opts) : Module("AvgPool1d"), options(opts) {
  if (!options.stride) options.stride = options.kernel_size;
}

Tensor AvgPool1d::forward(const Tensor& input) { return avg_pool1d(input, options); }

std::string AvgPool1d::extra_repr() const {
  return "kernel_size=" + python_single(options.kernel_size) +
         ", stride=" + python_single(*options.stride) +
         ", padding=" + python_single(options.padding);
}

AdaptiveAvgPool2d::AdaptiveAvgPool2d(Size2 size) : Module("AdaptiveAvgPool2d"), output_size(size) {}

Tensor AdaptiveAvgPool2d::forward(const Tensor& input) {
  return adaptive_avg_pool2d(input, output_size);
}

std::string AdaptiveAvgPool2d::extra_repr() const {
  return "output_size=(" + std::to_string(output_size.h) + ", " + std::to_string(output_size.w) +
         ")";
}

Upsample::Upsample(const InterpolateOptions& opts) : Module("Upsample"), options(opts) {
  if (options.size.empty() == options.scale_factor.empty()) {
    throw ValueError("Upsample: give exactly one of size and scale_factor");
  }
  if (options.mode != "nearest") {
    throw ValueError("Upsample: mode \"" + options.mode + "\" is not supported (only nearest)");
  }
}

Tensor Upsample::forward(const Tensor& input) { return interpolate(input, options); }

std::string Upsample::extra_repr() const {
  std::string s;
  const auto list = [](const auto& values, auto format) {
    if (values.size() == 1) return format(values[0]);
    std::string out = "(";
    for (std::size_t i = 0; i < values.size(); ++i) out += (i ? ", " : "") + format(values[i]);
    return out + ")";
  };
  if (!options.size.empty()) {
    s = "size=" + list(options.size, [](std::int64_t v) { return std::to_string(v); });
  } else {
    s = "scale_factor=" + list(options.scale_factor, [](double v) {
          std::string t = internal::format_number(v);
          return t.find_first_of(".e") == std::string::npos ? t + ".0" : t;
        });
  }
  return s + ", mode=" + options.mode;
}

}  // namespace xg::nn
