// Size2: a size per spatial dimension (height, width) of the convolution and pooling ops
// (ops/conv.hpp, ops/pool.hpp).
#pragma once

#include <cstdint>

namespace xg {

// One number for both dimensions, or two: {.stride = 2} or {.stride = {1, 2}}.
// Default-constructed it is "not given" (`given` false, sizes 0): an option whose default
// depends on another, such as a pooling stride that defaults to the kernel size.
struct Size2 {
  std::int64_t h = 0, w = 0;
  bool given = false;
  Size2() = default;
  Size2(std::int64_t v) : h(v), w(v), given(true) {}  // NOLINT(google-explicit-constructor)
  Size2(std::int64_t h, std::int64_t w) : h(h), w(w), given(true) {}
};

}  // namespace xg
