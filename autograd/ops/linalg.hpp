// Matrix products through BLAS (sgemm/dgemm). Float tensors; both operands one dtype.
#pragma once

#include "xgrad/autograd/tensor.hpp"

namespace xg {

// NumPy/PyTorch matmul: 1-D x 1-D is a dot product (0-D result); 2-D x 2-D a matrix
// product; 1-D operands are promoted to a matrix and the added axis removed after;
// 3-D (batched) operands broadcast their batch axes. ShapeError names both shapes:
// "matmul: cannot multiply (2, 3) by (4, 5): inner sizes 3 and 4 differ".
Tensor matmul(const Tensor& a, const Tensor& b);
// x (..., in) times weight (out, in) transposed, plus bias (out) when defined: PyTorch's
// F.linear, fused into one GEMM with the bias as its initial value.
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias = Tensor());

}  // namespace xg
