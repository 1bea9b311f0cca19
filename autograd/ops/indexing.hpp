// Slicing and indexing (ops/indexing.cpp). Results are new contiguous tensors; each op is
// differentiable with respect to x (the index tensors are i64 and get no gradient).
#pragma once

#include <cstdint>

#include "xgrad/autograd/tensor.hpp"

namespace xg {

// Elements start, start+step, ... before stop along axis. Negative start/stop count from
// the end and are clamped to the axis like Python slices; step must be positive.
Tensor slice(const Tensor& x, std::int64_t axis, std::int64_t start, std::int64_t stop,
             std::int64_t step = 1);
// Entries of x along axis at the given i64 indices (1-D); negative indices are errors.
Tensor index_select(const Tensor& x, std::int64_t axis, const Tensor& index);
// out[i][j] = x[index[i][j]][j] for axis 0 (and so on): PyTorch's gather. index is i64
// with x's number of axes.
Tensor gather(const Tensor& x, std::int64_t axis, const Tensor& index);

}  // namespace xg
