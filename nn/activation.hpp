// Activation layers: modules without parameters that apply one activation op
// (autograd/ops/activation.hpp, autograd/ops/softmax.hpp) to their input, as PyTorch's
// nn.Sigmoid, nn.ReLU, ... Float inputs of any shape; an i64 input is a DtypeError from
// the op. extra_repr() shows the options as PyTorch does ("negative_slope=0.01"), with
// this library's names (axis for PyTorch's dim).
#pragma once

#include <cstdint>
#include <string>

#include "xgrad/nn/module.hpp"

namespace xg::nn {

class Sigmoid : public Module {
 public:
  Sigmoid() : Module("Sigmoid") {}
  using Module::forward;
  Tensor forward(const Tensor& input) override;
};

class Tanh : public Module {
 public:
  Tanh() : Module("Tanh") {}
  using Module::forward;
  Tensor forward(const Tensor& input) override;
};

class ReLU : public Module {
 public:
  ReLU() : Module("ReLU") {}
  using Module::forward;
  Tensor forward(const Tensor& input) override;
};

// x for x > 0, negative_slope * x otherwise.
class LeakyReLU : public Module {
 public:
  explicit LeakyReLU(double negative_slope = 0.01);
  using Module::forward;
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;
  double negative_slope;
};

// log(1 + exp(beta x)) / beta, and x where beta x > threshold. beta = 0 is a ValueError.
class Softplus : public Module {
 public:
  explicit Softplus(double beta = 1.0, double threshold = 20.0);
  using Module::forward;
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;
  double beta;
  double threshold;
};

// x * Phi(x); approximate = "tanh" for the tanh approximation. Any other value is a
// ValueError when the layer is constructed.
class GELU : public Module {
 public:
  explicit GELU(std::string approximate = "none");
  using Module::forward;
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;
  std::string approximate;
};

// x for x > 0, alpha * (exp(x) - 1) otherwise.
class ELU : public Module {
 public:
  explicit ELU(double alpha = 1.0);
  using Module::forward;
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;
  double alpha;
};

// softmax along axis (negative counts from the end); an axis outside the input's
// dimensions is a ShapeError when the layer runs.
class Softmax : public Module {
 public:
  explicit Softmax(std::int64_t axis = -1);
  using Module::forward;
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;
  std::int64_t axis;
};

class LogSoftmax : public Module {
 public:
  explicit LogSoftmax(std::int64_t axis = -1);
  using Module::forward;
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;
  std::int64_t axis;
};

}  // namespace xg::nn
