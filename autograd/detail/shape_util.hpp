// Small helpers shared by the shape, indexing and softmax ops (autograd/ops/shape.cpp,
// autograd/ops/indexing.cpp, autograd/ops/softmax.cpp). Internal; not installed.
#pragma once

#include <cstdint>

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

}  // namespace xg::detail
