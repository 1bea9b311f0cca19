// Small helpers shared by the shape and indexing ops (autograd/ops/shape.cpp and
// autograd/ops/indexing.cpp). Internal; not installed.
#pragma once

#include <cstdint>
#include <vector>

#include "autograd/tensor.hpp"

namespace xg::detail {

// A contiguous row-major tensor seen as (outer, size, inner) around one axis: outer is
// the product of the sizes before the axis, inner the product of those after it.
struct AxisBlocks {
  std::int64_t outer = 1;
  std::int64_t size = 1;
  std::int64_t inner = 1;
};

inline AxisBlocks axis_blocks(const Shape& shape, std::int64_t axis) {
  AxisBlocks b;
  for (std::int64_t d = 0; d < axis; ++d) b.outer *= shape[d];
  b.size = shape[axis];
  for (std::size_t d = static_cast<std::size_t>(axis) + 1; d < shape.size(); ++d)
    b.inner *= shape[d];
  return b;
}

// Advances a row-major multi-index over the first `nd` axes of `shape`, keeping `off`
// equal to sum(idx[d] * strides[d]) (an odometer over the outer axes of a strided walk).
inline void advance(std::vector<std::int64_t>& idx, const Shape& shape,
                    const std::vector<std::int64_t>& strides, std::size_t nd, std::int64_t& off) {
  for (std::size_t d = nd; d-- > 0;) {
    ++idx[d];
    off += strides[d];
    if (idx[d] < shape[d]) return;
    off -= strides[d] * idx[d];
    idx[d] = 0;
  }
}

}  // namespace xg::detail
