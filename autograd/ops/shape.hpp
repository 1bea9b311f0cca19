// Shape manipulation (ops/shape.cpp). All results are new contiguous tensors; all are
// differentiable except one_hot. Slicing and indexing: ops/indexing.hpp.
#pragma once

#include <vector>

#include "xgrad/autograd/tensor.hpp"

namespace xg {

// New shape with the same number of elements; one entry may be -1 (inferred).
Tensor reshape(const Tensor& x, const Shape& shape);
// Merges axes start..end (inclusive) into one.
Tensor flatten(const Tensor& x, std::int64_t start_axis = 0, std::int64_t end_axis = -1);
Tensor transpose(const Tensor& x, std::int64_t axis0, std::int64_t axis1);
// Reorders axes: result axis i is input axis axes[i].
Tensor permute(const Tensor& x, const Axes& axes);
// Removes all size-1 axes, or the given one if it has size 1 (else returns x unchanged,
// as PyTorch).
Tensor squeeze(const Tensor& x);
Tensor squeeze(const Tensor& x, std::int64_t axis);
// Inserts a size-1 axis at position axis (in [-dim-1, dim]).
Tensor unsqueeze(const Tensor& x, std::int64_t axis);
// Joins tensors along an existing axis (all other sizes equal).
Tensor concat(const std::vector<Tensor>& tensors, std::int64_t axis = 0);
// Joins same-shape tensors along a new axis.
Tensor stack(const std::vector<Tensor>& tensors, std::int64_t axis = 0);
// i64 class indices to one-hot rows (i64, shape (..., num_classes)); num_classes = -1
// uses max + 1. Indices outside [0, num_classes) throw ValueError naming index and C.
Tensor one_hot(const Tensor& indices, std::int64_t num_classes = -1);

}  // namespace xg
