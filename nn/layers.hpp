// Parameter-free layers that are not activations: Dropout, Flatten, Unflatten and
// Identity, as PyTorch's nn.Dropout, nn.Flatten, nn.Unflatten and nn.Identity, and the
// functional form of dropout.
#pragma once

#include <cstdint>
#include <string>

#include "xgrad/nn/module.hpp"

namespace xg::nn {

namespace functional {
// Inverted dropout: when training, each element is zeroed with probability p (draws from
// the library's seeded generator, xg::bernoulli) and the survivors are scaled by
// 1 / (1 - p), so the expected value is unchanged; when not training, or p = 0, the input
// is returned as is. p = 1 gives zeros (with a zero gradient). p outside [0, 1] is a
// ValueError; an i64 input a DtypeError.
Tensor dropout(const Tensor& input, double p = 0.5, bool training = true);
}  // namespace functional

// functional::dropout in training mode, the identity in eval mode (Module::eval()).
class Dropout : public Module {
 public:
  explicit Dropout(double p = 0.5);  // ValueError unless 0 <= p <= 1
  using Module::forward;
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;  // "p=0.5"
  double p;
};

// Merges axes start_axis..end_axis (inclusive; negative counts from the end) into one.
// The defaults keep the batch axis: (N, C, H, W) -> (N, C*H*W), as PyTorch's start_dim=1.
// Axes outside the input's dimensions are a ShapeError when the layer runs.
class Flatten : public Module {
 public:
  explicit Flatten(std::int64_t start_axis = 1, std::int64_t end_axis = -1);
  using Module::forward;
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;  // "start_axis=1, end_axis=-1"
  std::int64_t start_axis;
  std::int64_t end_axis;
};

// Splits axis `axis` (negative counts from the end) into `sizes`, whose product must be
// that axis's size (one entry may be -1, inferred): Unflatten(1, {2, 3}) turns (N, 6)
// into (N, 2, 3), as PyTorch's nn.Unflatten(dim, unflattened_size). ShapeError names the
// shapes when they do not fit.
class Unflatten : public Module {
 public:
  Unflatten(std::int64_t axis, Shape sizes);
  using Module::forward;
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;  // "dim=1, unflattened_size=(2, 3)"
  std::int64_t axis;
  Shape sizes;
};

// Returns its input unchanged (the same tensor handle). A placeholder in a Sequential.
class Identity : public Module {
 public:
  Identity() : Module("Identity") {}
  using Module::forward;
  Tensor forward(const Tensor& input) override;
};

}  // namespace xg::nn
