// Comparisons with broadcasting, returning i64 tensors of 0 and 1 (so that
// eq(pred, labels).sum() counts matches, as with PyTorch's bool tensors), and where().
#pragma once

#include "xgrad/autograd/tensor.hpp"

namespace xg {

Tensor eq(const Tensor& a, const Tensor& b);
Tensor ne(const Tensor& a, const Tensor& b);
Tensor lt(const Tensor& a, const Tensor& b);
Tensor le(const Tensor& a, const Tensor& b);
Tensor gt(const Tensor& a, const Tensor& b);
Tensor ge(const Tensor& a, const Tensor& b);
Tensor eq(const Tensor& a, double b);
Tensor ne(const Tensor& a, double b);
Tensor lt(const Tensor& a, double b);
Tensor le(const Tensor& a, double b);
Tensor gt(const Tensor& a, double b);
Tensor ge(const Tensor& a, double b);

// a where cond is non-zero, b elsewhere, all three broadcast together. Gradient flows to
// a and b through the chosen elements; cond gets none.
Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b);
Tensor where(const Tensor& cond, const Tensor& a, double b);
Tensor where(const Tensor& cond, double a, const Tensor& b);

}  // namespace xg
