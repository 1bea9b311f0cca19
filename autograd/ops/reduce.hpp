// Reductions. `axes` empty means all axes; negative axes count from the end; keepdim
// keeps reduced axes with size 1. Reductions over all axes without keepdim give a 0-D
// tensor. Float tensors only, except sum/max/min/argmax/argmin, which also take i64.
#pragma once

#include "xgrad/autograd/tensor.hpp"

namespace xg {

Tensor sum(const Tensor& x);
Tensor sum(const Tensor& x, const Axes& axes, bool keepdim = false);
Tensor mean(const Tensor& x);
Tensor mean(const Tensor& x, const Axes& axes, bool keepdim = false);
// Variance with Bessel's correction by default (PyTorch: correction = 1); the divisor is
// max(N - correction, 0), so one element with correction 1 gives nan, as in PyTorch.
// There is deliberately no var(x, correction) overload: var(x, {1}) must mean axis 1.
// With `using namespace xg`, write xg::std (plain std names the C++ namespace).
Tensor var(const Tensor& x, const Axes& axes = {}, std::int64_t correction = 1,
           bool keepdim = false);
Tensor std(const Tensor& x, const Axes& axes = {}, std::int64_t correction = 1,
           bool keepdim = false);
// Largest / smallest values (PyTorch's amax/amin). The gradient goes to the elements
// equal to the extreme, split evenly between ties.
Tensor max(const Tensor& x);
Tensor max(const Tensor& x, const Axes& axes, bool keepdim = false);
Tensor min(const Tensor& x);
Tensor min(const Tensor& x, const Axes& axes, bool keepdim = false);
// log(sum(exp(x))), computed stably (exact for large values).
Tensor logsumexp(const Tensor& x, const Axes& axes, bool keepdim = false);
// Index (i64) of the first largest / smallest element: over the flattened tensor, or
// along one axis. Not differentiable.
Tensor argmax(const Tensor& x);
Tensor argmax(const Tensor& x, std::int64_t axis, bool keepdim = false);
Tensor argmin(const Tensor& x);
Tensor argmin(const Tensor& x, std::int64_t axis, bool keepdim = false);

}  // namespace xg
