// Elementwise arithmetic with NumPy broadcasting. Float dtypes only may not be mixed
// (f32 with f64 is a DtypeError naming both); an i64 operand with a float one is
// converted to the float dtype. Scalars take the tensor's dtype.
#pragma once

#include <optional>

#include "xgrad/autograd/tensor.hpp"

namespace xg {

Tensor add(const Tensor& a, const Tensor& b);
Tensor sub(const Tensor& a, const Tensor& b);
Tensor mul(const Tensor& a, const Tensor& b);
// True division; two i64 operands give f32 (as PyTorch).
Tensor div(const Tensor& a, const Tensor& b);
Tensor neg(const Tensor& x);

Tensor operator+(const Tensor& a, const Tensor& b);
Tensor operator-(const Tensor& a, const Tensor& b);
Tensor operator*(const Tensor& a, const Tensor& b);
Tensor operator/(const Tensor& a, const Tensor& b);
Tensor operator+(const Tensor& a, double b);
Tensor operator-(const Tensor& a, double b);
Tensor operator*(const Tensor& a, double b);
Tensor operator/(const Tensor& a, double b);
Tensor operator+(double a, const Tensor& b);
Tensor operator-(double a, const Tensor& b);
Tensor operator*(double a, const Tensor& b);
Tensor operator/(double a, const Tensor& b);
Tensor operator-(const Tensor& x);

// x ** exponent. Gradient at x = 0 follows PyTorch (0 for exponent >= 1, inf/nan below).
Tensor pow(const Tensor& x, double exponent);
// Elementwise x ** y with broadcasting; gradient for y uses log(x) (x > 0 where it matters).
Tensor pow(const Tensor& x, const Tensor& y);
Tensor pow(double base, const Tensor& y);
Tensor square(const Tensor& x);
Tensor exp(const Tensor& x);
Tensor log(const Tensor& x);
Tensor sqrt(const Tensor& x);
// Gradient sign(x), 0 at x = 0.
Tensor abs(const Tensor& x);
// Limits x to [min, max] (either may be absent). Gradient 1 inside, 0 where clamped; at a
// bound the gradient passes (PyTorch: min <= x <= max gets 1). NaN propagates: a NaN x
// stays NaN, a NaN bound makes every value NaN (ValueError for an i64 x).
Tensor clamp(const Tensor& x, std::optional<double> min, std::optional<double> max);
// Elementwise larger/smaller of two tensors; ties split the gradient evenly. NaN
// propagates from either operand, and where one is NaN both receive the gradient
// (PyTorch's rule).
Tensor maximum(const Tensor& a, const Tensor& b);
Tensor minimum(const Tensor& a, const Tensor& b);

// Sums x over broadcast axes so that the result has `shape` (x must be broadcastable
// from shape). PyTorch's Tensor.sum_to_size.
Tensor sum_to_size(const Tensor& x, const Shape& shape);
// x repeated along new or size-1 axes to `shape` (NumPy broadcast_to). Differentiable.
Tensor broadcast_to(const Tensor& x, const Shape& shape);

}  // namespace xg
