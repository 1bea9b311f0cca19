// Parameter initialisation, as torch.nn.init: each function overwrites the values of t IN
// PLACE (every handle aliasing t sees them, no graph is recorded) and returns t. Random
// draws come from the library's seeded generator (xg::manual_seed).
//
//   xg::nn::init::kaiming_normal_(fc.weight, 0.0, "fan_in", "relu");
//   xg::nn::init::zeros_(fc.bias);
//
// Errors: an undefined tensor is a GraphError; the random initialisers need a float tensor
// (DtypeError on i64); fan-based ones need at least 2 dimensions (ValueError, as PyTorch);
// an unknown mode or nonlinearity is a ValueError. Tensors with no elements are returned
// unchanged.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "xgrad/autograd/tensor.hpp"

namespace xg::nn::init {

// torch.nn.init._calculate_fan_in_and_fan_out: for a weight of shape (out, in, k1, k2, ...)
// fan_in = in * k1 * k2 * ..., fan_out = out * k1 * k2 * ... (ValueError below 2-D).
struct Fans {
  std::int64_t fan_in = 0;
  std::int64_t fan_out = 0;
};
Fans calculate_fan_in_and_fan_out(const Tensor& t);

// The recommended gain for a nonlinearity: "linear", "conv1d".."conv3d",
// "conv_transpose1d".."conv_transpose3d" and "sigmoid" 1; "tanh" 5/3; "relu" sqrt(2);
// "leaky_relu" sqrt(2 / (1 + slope^2)) with slope = param (default 0.01); "selu" 3/4.
double calculate_gain(std::string_view nonlinearity, std::optional<double> param = std::nullopt);

// Uniform on [a, b) / normal(mean, std) / the constant value.
Tensor uniform_(Tensor t, double a = 0.0, double b = 1.0);
Tensor normal_(Tensor t, double mean = 0.0, double std = 1.0);
Tensor constant_(Tensor t, double value);  // any dtype (values converted)
Tensor zeros_(Tensor t);
Tensor ones_(Tensor t);

// Glorot: U(-a, a) with a = gain * sqrt(6 / (fan_in + fan_out)), or
// N(0, std) with std = gain * sqrt(2 / (fan_in + fan_out)).
Tensor xavier_uniform_(Tensor t, double gain = 1.0);
Tensor xavier_normal_(Tensor t, double gain = 1.0);

// He: std = calculate_gain(nonlinearity, a) / sqrt(fan) with fan = fan_in or fan_out
// (mode); uniform draws from U(-sqrt(3) std, sqrt(3) std), normal ones from N(0, std).
// `a` is the negative slope of a leaky_relu. PyTorch's Linear uses
// kaiming_uniform_(w, sqrt(5)), i.e. U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
Tensor kaiming_uniform_(Tensor t, double a = 0.0, std::string_view mode = "fan_in",
                        std::string_view nonlinearity = "leaky_relu");
Tensor kaiming_normal_(Tensor t, double a = 0.0, std::string_view mode = "fan_in",
                       std::string_view nonlinearity = "leaky_relu");

// A (semi-)orthogonal matrix times gain: t viewed as (rows, numel / rows) gets the Q of a
// QR decomposition of a standard normal matrix, with column signs chosen so that R has a
// positive diagonal (as PyTorch). Rows are orthonormal when rows <= cols, columns when
// rows >= cols. Needs at least 2 dimensions (ValueError).
Tensor orthogonal_(Tensor t, double gain = 1.0);

}  // namespace xg::nn::init
