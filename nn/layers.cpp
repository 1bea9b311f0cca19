// Dropout, Flatten, Unflatten and Identity.
#include "nn/layers.hpp"

#include "autograd/function.hpp"
#include "autograd/ops/elementwise.hpp"
#include "autograd/ops/shape.hpp"
#include "autograd/random.hpp"
#include "nn/detail/repr_util.hpp"

namespace xg::nn {

namespace {
void check_probability(const char* op, double p) {
  if (!(p >= 0.0 && p <= 1.0)) {
    throw ValueError(std::string(op) + ": dropout probability p must be in [0, 1], got " +
                     internal::format_number(p));
  }
}
}  // namespace

namespace functional {
Tensor dropout(const Tensor& input, double p, bool training) {
  check_probability("dropout", p);
  xg::autograd::check_defined("dropout", input);
  xg::autograd::check_floating("dropout", input);
  if (!training || p == 0.0) return input;
  // Multiplying by zero (rather than returning zeros) keeps the graph: the input still
  // receives a (zero) gradient, as in PyTorch.
  if (p == 1.0) return input * 0.0;
  // The mask is a constant of the graph: keep-probability 1 - p, survivors scaled so
  // that E[output] = input. Scaling the mask (not the product) costs no extra graph node.
  Tensor mask = bernoulli(input.shape(), 1.0 - p, {.dtype = input.dtype()});
  const double scale = 1.0 / (1.0 - p);
  xg::autograd::dispatch_float("dropout", mask.dtype(), [&]<class T>() {
    for (T& m : mask.mutable_data<T>()) m *= static_cast<T>(scale);
  });
  return input * mask;
}
}  // namespace functional

Dropout::Dropout(double prob) : Module("Dropout"), p(prob) { check_probability("Dropout", p); }

Tensor Dropout::forward(const Tensor& input) {
  return functional::dropout(input, p, is_training());
}

std::string Dropout::extra_repr() const { return "p=" + internal::format_number(p); }

Flatten::Flatten(std::int64_t start, std::int64_t end)
    : Module("Flatten"), start_axis(start), end_axis(end) {}

Tensor Flatten::forward(const Tensor& input) { return flatten(input, start_axis, end_axis); }

std::string Flatten::extra_repr() const {
  return "start_axis=" + std::to_string(start_axis) + ", end_axis=" + std::to_string(end_axis);
}

Unflatten::Unflatten(std::int64_t ax, Shape s)
    : Module("Unflatten"), axis(ax), sizes(std::move(s)) {
  if (sizes.empty()) throw ValueError("Unflatten: unflattened_size must not be empty");
}

Tensor Unflatten::forward(const Tensor& input) {
  xg::autograd::check_defined("Unflatten", input);
  const std::int64_t a = xg::autograd::normalize_axis("Unflatten", axis, input.shape());
  Shape shape(input.shape().begin(), input.shape().begin() + a);
  shape.insert(shape.end(), sizes.begin(), sizes.end());
  shape.insert(shape.end(), input.shape().begin() + a + 1, input.shape().end());
  return reshape(input, shape);
}

std::string Unflatten::extra_repr() const {
  std::string s = "dim=" + std::to_string(axis) + ", unflattened_size=(";
  for (std::size_t i = 0; i < sizes.size(); ++i) {
    s += (i ? ", " : "") + std::to_string(sizes[i]);
  }
  return s + (sizes.size() == 1 ? ",)" : ")");
}

Tensor Identity::forward(const Tensor& input) { return input; }

}  // namespace xg::nn
