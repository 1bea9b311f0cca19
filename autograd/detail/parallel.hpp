// Splitting large elementwise loops over the library's threads. Not installed.
//
// Note [parallel loops]
// With xg::set_num_threads(n > 1), a loop over at least kParallelMinElements elements is
// cut into n contiguous chunks: the calling thread runs the first, n - 1 pool threads
// the others, and the call returns when all are done. Smaller loops run on the caller
// alone: waking a sleeping thread costs tens of microseconds here, as much as a loop of
// 10^5 floats. Only loops whose elements are independent use it (maps, not sums), so the
// result is the same for every thread count. The pool threads sleep on a condition
// variable between loops, so they do not compete with OpenBLAS's threads for the cores.
#pragma once

#include <cstdint>
#include <type_traits>
#include <utility>

namespace xg::detail {

inline constexpr std::int64_t kParallelMinElements = std::int64_t{1} << 18;
// Chunks start on multiples of this many elements (a cache line of f64, four of f32), so
// that two threads never write the same cache line.
inline constexpr std::int64_t kParallelChunkAlign = 64;

// Runs fn(ctx, begin, end) over chunks covering [0, n), one per thread (parallel_for has
// already sent small loops to the caller alone). fn must not throw. A call from inside a
// chunk, or while another thread's loop is running, runs serially on the caller.
void parallel_run(std::int64_t n, void (*fn)(void*, std::int64_t, std::int64_t), void* ctx);

// body(begin, end) over [0, n) blocks of block_elems elements each (the planes of a
// pooling, the channels of a normalisation), split over the threads when the blocks hold
// kParallelMinElements elements together. Each block is computed by one thread, so the
// result is the same for every thread count.
template <class F> void parallel_for_blocks(std::int64_t n, std::int64_t block_elems, F&& body) {
  if (n < 2 || n * block_elems < kParallelMinElements) {
    body(std::int64_t{0}, n);
    return;
  }
  using Body = std::remove_reference_t<F>;
  parallel_run(
      n,
      [](void* ctx, std::int64_t begin, std::int64_t end) {
        (*static_cast<Body*>(ctx))(begin, end);
      },
      const_cast<void*>(static_cast<const void*>(&body)));
}

// body(begin, end) over [0, n), split as parallel_run does.
template <class F> void parallel_for(std::int64_t n, F&& body) {
  parallel_for_blocks(n, 1, std::forward<F>(body));
}

}  // namespace xg::detail

namespace xg::detail {

// body(begin, end) over [0, n) items that are each worth a thread of their own (a sample
// of a convolution: a GEMM): no minimum number of elements, and chunks of whole items, cut as
// parallel_run cuts n * kParallelChunkAlign elements (so the split depends only on n and
// the thread count). body must not throw.
template <class F> void parallel_for_items(std::int64_t n, F&& body) {
  if (n < 2) {
    body(std::int64_t{0}, n);
    return;
  }
  auto chunk = [&body](std::int64_t begin, std::int64_t end) {
    body(begin / kParallelChunkAlign, end / kParallelChunkAlign);
  };
  using Chunk = decltype(chunk);
  parallel_run(
      n * kParallelChunkAlign,
      [](void* ctx, std::int64_t begin, std::int64_t end) {
        (*static_cast<Chunk*>(ctx))(begin, end);
      },
      &chunk);
}

}  // namespace xg::detail
