// Creating tensors (autograd/factories.cpp): from values, filled, ranges. Random tensors:
// autograd/random.hpp.
#pragma once

#include <cstdint>
#include <vector>

#include "xgrad/autograd/tensor.hpp"

namespace xg {

// From values given in row-major order; values.size() must equal the product of shape.
Tensor tensor(const std::vector<double>& values, const Shape& shape, TensorOptions opts = {});
// A 1-D f32 tensor of the given values. (There is deliberately no (values, options)
// overload: GCC 12 ignores designators in overload resolution and would find
// tensor(v, {.requires_grad = true}) ambiguous with the (values, shape) form; pass the
// shape: tensor(v, {n}, {.requires_grad = true}).)
Tensor tensor(const std::vector<double>& values);
// A 0-D tensor holding one value.
Tensor scalar_tensor(double value, TensorOptions opts = {});
// Exact 64-bit integers (labels, indices).
Tensor tensor_i64(const std::vector<std::int64_t>& values, const Shape& shape);
Tensor tensor_i64(const std::vector<std::int64_t>& values);
// Uninitialised values (ops overwrite every element).
Tensor empty(const Shape& shape, TensorOptions opts = {});
Tensor zeros(const Shape& shape, TensorOptions opts = {});
Tensor ones(const Shape& shape, TensorOptions opts = {});
Tensor full(const Shape& shape, double value, TensorOptions opts = {});
// Like the input's shape and dtype (requires_grad as given in opts.requires_grad).
Tensor zeros_like(const Tensor& like, bool requires_grad = false);
Tensor ones_like(const Tensor& like, bool requires_grad = false);
Tensor full_like(const Tensor& like, double value, bool requires_grad = false);
// start, start + step, ... while < end (> end for a negative step). PyTorch's arange.
Tensor arange(double end, TensorOptions opts = {});
Tensor arange(double start, double end, double step = 1.0, TensorOptions opts = {});
// Evenly spaced values from start to end inclusive.
Tensor linspace(double start, double end, std::int64_t steps, TensorOptions opts = {});

}  // namespace xg
