// Tests of the strided row iterator (autograd/detail/strided.hpp, Note [strided rows]):
// expanding its rows element by element gives exactly the row-major enumeration of the
// shape with each operand's offset computed from the multi-index.
#include <array>
#include <cstdint>
#include <vector>

#include "autograd/detail/strided.hpp"
#include "support/check.hpp"

using xg::detail::StridedRows;

namespace {

// One visited element: its row-major position and the two operands' offsets.
struct Visit {
  std::int64_t pos, off0, off1;
  bool operator==(const Visit&) const = default;
};

// Every element of `shape` in row-major order, offsets computed from the multi-index.
std::vector<Visit> reference(const std::vector<std::int64_t>& shape,
                             const std::vector<std::int64_t>& s0,
                             const std::vector<std::int64_t>& s1) {
  std::int64_t numel = 1;
  for (std::int64_t n : shape) numel *= n;
  std::vector<Visit> out;
  for (std::int64_t i = 0; i < numel; ++i) {
    std::int64_t rest = i, o0 = 0, o1 = 0;
    for (std::size_t d = shape.size(); d-- > 0;) {
      const std::int64_t idx = rest % shape[d];
      rest /= shape[d];
      o0 += idx * s0[d];
      o1 += idx * s1[d];
    }
    out.push_back({i, o0, o1});
  }
  return out;
}

// The iterator's rows expanded into elements. With block_axes = 2 a row covers the last
// two axes, expanded here with the operands' strides along them.
std::vector<Visit> expand(const std::vector<std::int64_t>& shape,
                          const std::vector<std::int64_t>& s0, const std::vector<std::int64_t>& s1,
                          std::size_t block_axes) {
  std::vector<Visit> out;
  const std::size_t nd = shape.size();
  for (StridedRows<2> r(shape, {s0, s1}, block_axes); !r.done(); r.next()) {
    const bool two = block_axes == 2 && nd >= 2;
    const std::int64_t rows = two ? shape[nd - 2] : 1;
    const std::int64_t r0 = two ? s0[nd - 2] : 0, r1 = two ? s1[nd - 2] : 0;
    for (std::int64_t i = 0; i < rows; ++i) {
      for (std::int64_t j = 0; j < r.size(); ++j) {
        out.push_back({r.pos() + i * r.size() + j, r.offset(0) + i * r0 + j * r.stride(0),
                       r.offset(1) + i * r1 + j * r.stride(1)});
      }
    }
  }
  return out;
}

}  // namespace

TEST_CASE("StridedRows visits every element in row-major order with each operand's offset") {
  struct Case {
    std::vector<std::int64_t> shape, s0, s1;
  };
  const std::vector<Case> cases = {
      {{}, {}, {}},                                  // 0-D: one element
      {{5}, {1}, {0}},                               // one axis, a broadcast operand
      {{3, 4}, {4, 1}, {0, 1}},                      // (3, 4) + (1, 4)
      {{3, 1, 4}, {4, 4, 1}, {1, 0, 0}},             // (3, 1, 4) + (3, 1, 1)
      {{2, 3, 4}, {1, 2, 6}, {0, 4, 1}},             // a permuted operand
      {{2, 3, 2, 5}, {30, 10, 5, 1}, {0, 5, 0, 1}},  // four axes, carries over several
      {{4, 0, 3}, {0, 3, 1}, {3, 3, 1}},             // a zero size: no rows
      {{2, 2, 3, 2}, {12, 6, 1, 3}, {0, 2, 0, 1}},   // transposed last two axes
  };
  for (const Case& c : cases) {
    for (std::size_t block_axes : {1, 2}) {
      INFO("shape rank " << c.shape.size() << ", block_axes " << block_axes);
      CHECK(expand(c.shape, c.s0, c.s1, block_axes) == reference(c.shape, c.s0, c.s1));
    }
  }
}

TEST_CASE("StridedRows exposes the innermost axis as the row") {
  const std::vector<std::int64_t> shape = {3, 4}, s0 = {0, 1}, s1 = {1, 0};
  StridedRows<2> r(shape, {s0, s1});
  CHECK(r.size() == 4);
  CHECK(r.stride(0) == 1);
  CHECK(r.stride(1) == 0);
  int rows = 0;
  for (; !r.done(); r.next()) {
    CHECK(r.pos() == 4 * rows);
    CHECK(r.offset(0) == 0);
    CHECK(r.offset(1) == rows);
    ++rows;
  }
  CHECK(rows == 3);
}
