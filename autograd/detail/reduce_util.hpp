// Internal: how a reduction maps input elements to output elements, and the walk that
// visits the input in runs so that every kernel's inner loop is a tight loop.
// Not installed; users never include this.
//
// Note [reduction walk]
// Size-1 axes change nothing, and two neighbouring axes that are both reduced (or both
// kept) behave as one axis of the product size. After dropping and merging, an input
// shape becomes an alternating list of kept (K) and reduced (R) axes, e.g. a (4, 5, 6)
// tensor reduced over axes (1, 2) becomes [K 4, R 30]. A kernel goes through the input
// in row-major order, one run of the innermost merged axis at a time (reduction_rows),
// each run with the offset o of its output element(s):
//   - innermost R: the run is a contiguous row that all reduces into out[o];
//   - innermost K: run element j reduces into out[o + j] (out is contiguous there).
// The two common 2-D cases are thus one tight loop each: reducing the last axis is a
// row reduction per output, reducing the first axis accumulates whole rows into out.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "autograd/detail/impl.hpp"
#include "autograd/detail/strided.hpp"

namespace xg::detail {

struct ReducePlan {
  Axes axes;         // the reduced axes, non-negative and sorted
  Shape out_shape;   // result shape without keepdim
  Shape keep_shape;  // result shape with the reduced axes kept as size 1
  std::int64_t in_numel = 0;
  std::int64_t out_numel = 0;
  std::int64_t group = 1;  // input elements per output element (product of reduced sizes)
  // The merged axes of Note [reduction walk]: sizes, reduced flags, output strides.
  std::vector<std::int64_t> sizes;
  std::vector<char> reduced;
  std::vector<std::int64_t> out_strides;
  // Whether the innermost merged axis is reduced (true for a single element): each run
  // reduces into one output element rather than running along the output.
  bool inner_reduced = true;
};

// "[1, -1]": an axes list as the user wrote it, for error messages.
inline std::string axes_str(const Axes& axes) {
  std::string s = "[";
  for (std::size_t i = 0; i < axes.size(); ++i) {
    if (i > 0) s += ", ";
    s += std::to_string(axes[i]);
  }
  return s + "]";
}

// Validates `axes` for a reduction named `op` over `shape` and builds the plan. Empty
// axes mean all axes. As in PyTorch, a 0-D tensor accepts axis 0 and -1. Throws
// ShapeError for an axis out of range or an axis given twice.
inline ReducePlan make_reduce_plan(const char* op, const Shape& shape, const Axes& axes) {
  const auto nd = static_cast<std::int64_t>(shape.size());
  const std::int64_t bound = nd == 0 ? 1 : nd;  // 0-D tensors act as 1-D for the range
  std::vector<char> is_reduced(static_cast<std::size_t>(bound), axes.empty() ? 1 : 0);
  for (std::int64_t a : axes) {
    if (a < -bound || a >= bound) {
      throw ShapeError(std::string(op) + ": axis " + std::to_string(a) +
                       " is out of range for a tensor of shape " + shape_str(shape) +
                       " (expected an axis in [" + std::to_string(-bound) + ", " +
                       std::to_string(bound - 1) + "])");
    }
    const std::int64_t n = a < 0 ? a + bound : a;
    if (is_reduced[static_cast<std::size_t>(n)]) {
      throw ShapeError(std::string(op) + ": axis " + std::to_string(n) + " appears twice in " +
                       axes_str(axes) + " for a tensor of shape " + shape_str(shape));
    }
    is_reduced[static_cast<std::size_t>(n)] = 1;
  }

  ReducePlan p;
  p.in_numel = shape_numel(shape);
  for (std::int64_t d = 0; d < nd; ++d) {
    const std::int64_t size = shape[static_cast<std::size_t>(d)];
    const bool red = is_reduced[static_cast<std::size_t>(d)] != 0;
    if (red) {
      p.axes.push_back(d);
      p.group *= size;
      p.keep_shape.push_back(1);
    } else {
      p.out_shape.push_back(size);
      p.keep_shape.push_back(size);
    }
    if (size == 1) continue;
    if (!p.sizes.empty() && (p.reduced.back() != 0) == red) {
      p.sizes.back() *= size;
    } else {
      p.sizes.push_back(size);
      p.reduced.push_back(red ? 1 : 0);
    }
  }
  p.out_numel = shape_numel(p.out_shape);
  if (!p.reduced.empty()) p.inner_reduced = p.reduced.back() != 0;
  // Kept merged axes appear in the output in the same order, so their strides are the
  // row-major strides of the kept sizes; reduced axes do not move the output.
  p.out_strides.assign(p.sizes.size(), 0);
  std::int64_t stride = 1;
  for (std::size_t d = p.sizes.size(); d-- > 0;) {
    if (p.reduced[d] == 0) {
      p.out_strides[d] = stride;
      stride *= p.sizes[d];
    }
  }
  return p;
}

// The runs of Note [reduction walk], in row-major input order, as the rows of a strided
// walk over the merged axes (Note [strided rows]): pos() is the run's offset in the
// (contiguous) input, offset(0) the offset of its output element(s), size() its length.
// No runs when the input is empty; one run of one element for a single element. p must
// outlive the walk.
inline StridedRows<1> reduction_rows(const ReducePlan& p) {
  return StridedRows<1>(p.sizes, {p.out_strides});
}

}  // namespace xg::detail
