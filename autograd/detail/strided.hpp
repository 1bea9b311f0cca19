// StridedRows: the one strided multi-index iterator behind the kernels that walk a tensor
// whose operands are not all laid out alike (broadcasting, reductions, permutes, gathers).
// Internal; not installed.
//
// Note [strided rows]
// A walk goes through an iteration shape in row-major order and keeps, for each of N
// operands, the offset of the current element in that operand's buffer: the sum over
// axes of index[d] * strides[k][d]. A stride of 0 makes an operand repeat along an axis
// (a broadcast input, or the output of a reduction along a reduced axis); a contiguous
// operand has the row-major strides of the shape; a permuted one has its own strides
// reordered.
//
// Stepping one element at a time would put the odometer (the carry from axis to axis)
// inside the hot loop. StridedRows steps one *row* at a time instead: a row is the whole
// innermost axis (or, with block_axes = 2, the last two axes), and the caller writes the
// loop over the row itself, with the row's length and per-operand strides. That loop is
// then a plain loop in the caller's own function, which GCC can vectorise, and in an
// XG_SIMD_CLONES function it is compiled with each clone's instruction set (Note [simd
// clones] in autograd/simd.hpp) without depending on a callback being inlined there.
//
//   const auto sa = broadcast_strides(a_shape, out_shape);
//   const auto sb = broadcast_strides(b_shape, out_shape);
//   StridedRows<2> r(out_shape, {sa, sb});
//   const std::int64_t n = r.size(), ia = r.stride(0), ib = r.stride(1);
//   for (; !r.done(); r.next()) {
//     const T* ra = a + r.offset(0);
//     const T* rb = b + r.offset(1);
//     T* o = out + r.pos();  // out is contiguous over out_shape
//     for (std::int64_t j = 0; j < n; ++j) o[j] = ra[j * ia] + rb[j * ib];
//   }
//
// Every row has the same length and strides: read them into locals once, before the
// loop over rows (inside it, the compiler cannot always tell that stores through o leave
// them unchanged). Where a row is often contiguous in an operand, a branch on its stride
// being 1 gives that case a loop of its own; GCC versions some loops so by itself, but
// not reliably.
//
// The rows come in row-major order and the iterator does not merge or reorder axes, so
// a kernel that accumulates sees the elements in the same order as a plain nested loop.
// A 0-D shape is one row of one element at offset 0; a shape with a zero size has no
// rows.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace xg::detail {

// The rows of a row-major walk over a shape with N strided operands (Note [strided rows]).
template <std::size_t N> class StridedRows {
 public:
  // shape: the iteration shape. strides[k]: operand k's element strides, one per axis of
  // shape. Both are read while iterating and must outlive the iterator. block_axes: how
  // many trailing axes make one row (1 or 2; fewer when the shape has fewer axes).
  StridedRows(std::span<const std::int64_t> shape,
              const std::array<std::span<const std::int64_t>, N>& strides,
              std::size_t block_axes = 1)
      : shape_(shape), strides_(strides) {
    const std::size_t inner = block_axes < shape.size() ? block_axes : shape.size();
    const std::size_t outer = shape.size() - inner;
    for (std::size_t d = outer; d < shape.size(); ++d) block_ *= shape[d];
    numel_ = block_;
    for (std::size_t d = 0; d < outer; ++d) numel_ *= shape[d];
    if (!shape.empty()) {
      size_ = shape.back();
      for (std::size_t k = 0; k < N; ++k) inner_strides_[k] = strides[k].back();
    }
    if (outer > 0) {
      last_ = outer - 1;
      last_size_ = shape[last_];
      for (std::size_t k = 0; k < N; ++k) last_strides_[k] = strides[k][last_];
      idx_.assign(last_, 0);  // no allocation for the common 1-D and 2-D walks
    }
  }

  // Whether every row has been visited.
  bool done() const { return pos_ >= numel_; }
  // Row-major position of the row's first element: its offset in a contiguous buffer of
  // the iteration shape.
  std::int64_t pos() const { return pos_; }
  // Operand k's offset of the row's first element.
  std::int64_t offset(std::size_t k) const { return offsets_[k]; }
  // Length of the innermost axis and operand k's stride along it (1 and 0 for 0-D).
  std::int64_t size() const { return size_; }
  std::int64_t stride(std::size_t k) const { return inner_strides_[k]; }

  // Moves to the next row: an odometer over the outer axes that updates every operand's
  // offset by its stride, and rewinds an axis that wraps around. The last outer axis,
  // which moves at every row, is kept in members of its own (no indirection, nothing
  // on the heap).
  void next() {
    pos_ += block_;
    if (++last_idx_ < last_size_) {
      for (std::size_t k = 0; k < N; ++k) offsets_[k] += last_strides_[k];
      return;
    }
    // Past the end of the walk the offsets are not used: stop here.
    if (pos_ >= numel_) return;
    for (std::size_t k = 0; k < N; ++k) offsets_[k] -= last_strides_[k] * (last_size_ - 1);
    last_idx_ = 0;
    for (std::size_t d = last_; d-- > 0;) {
      ++idx_[d];
      for (std::size_t k = 0; k < N; ++k) offsets_[k] += strides_[k][d];
      if (idx_[d] < shape_[d]) return;
      for (std::size_t k = 0; k < N; ++k) offsets_[k] -= strides_[k][d] * idx_[d];
      idx_[d] = 0;
    }
  }

 private:
  std::span<const std::int64_t> shape_;
  std::array<std::span<const std::int64_t>, N> strides_;
  std::int64_t block_ = 1;  // elements per row
  std::int64_t numel_ = 1;  // elements in the whole shape
  std::int64_t pos_ = 0;    // see pos()
  std::int64_t size_ = 1;   // see size()
  std::array<std::int64_t, N> offsets_{};
  std::array<std::int64_t, N> inner_strides_{};
  // The last outer axis: its index, size and the operands' strides along it. Without
  // outer axes (a single row) last_size_ is 1, so next() ends the walk at once.
  std::size_t last_ = 0;
  std::int64_t last_idx_ = 0;
  std::int64_t last_size_ = 1;
  std::array<std::int64_t, N> last_strides_{};
  std::vector<std::int64_t> idx_;  // the multi-index over the outer axes before last_
};

}  // namespace xg::detail
