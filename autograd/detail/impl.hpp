// Internals behind the Tensor handle (Storage, TensorImpl, Node) and the kernels the
// built-in ops share. Private to autograd/: not installed, and nothing outside autograd/
// includes it (nn/, optim/, data/ and users write ops with autograd/function.hpp).
//
// Note [graph ownership]
// A TensorImpl produced by an op owns its grad_fn Node; a Node owns the Nodes of its
// inputs (through Edges) and its saved tensors. Leaves are owned by Edges but own no
// Node. Ownership therefore always points from outputs towards inputs, so there are no
// cycles. A Node never holds its own output TensorImpl: an op that saves its output
// (autograd::output) has it held as a handle on the same Storage without a grad_fn, and
// BackwardCtx::saved() hands it back connected to the node.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "autograd/detail/parallel.hpp"
#include "autograd/detail/pool.hpp"
#include "autograd/detail/small_shape.hpp"
#include "autograd/detail/strided.hpp"
#include "autograd/errors.hpp"
#include "autograd/function.hpp"
#include "autograd/simd.hpp"
#include "autograd/tensor.hpp"

namespace xg::detail {

// A contiguous, 64-byte aligned buffer of numel elements of one dtype.
struct Storage {
  Storage(Dtype dtype, std::int64_t numel);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  Dtype dtype;
  std::int64_t numel;
  void* ptr;
  std::uint64_t version = 0;  // bumped by in-place writes
  // A view of these values is part of a graph: in-place writes in grad mode are refused
  // (Note [views] in ops/shape.cpp).
  bool viewed_in_graph = false;
};

struct Node;

struct TensorImpl {
  std::shared_ptr<Storage> storage;
  Shape shape;
  std::int64_t numel = 0;
  Dtype dtype = Dtype::f32;
  bool requires_grad = false;
  std::shared_ptr<Node> grad_fn;  // null for leaves
  Tensor grad;                    // accumulated gradient of a leaf (or retain_grad)
  // Leaf gradient hooks, run before accumulation (non-leaf hooks live on the Node).
  std::vector<std::function<Tensor(const Tensor&)>> hooks;
};

using autograd::BackwardCtx;
using autograd::BackwardFn;

// Where the gradient of one input goes: the Node that produced it, or the leaf itself.
struct Edge {
  std::shared_ptr<Node> node;
  std::shared_ptr<TensorImpl> leaf;
  SmallShape shape;  // the input's shape, to check and reduce its gradient
  Dtype dtype = Dtype::f32;
  bool active() const { return node != nullptr || leaf != nullptr; }
};

struct Node : std::enable_shared_from_this<Node> {
  // Made with make_node and destroyed through destroy_node, never on the stack or with
  // delete: see Note [iterative destruction] in engine.cpp.
  Node() = default;
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  const char* name = "";
  // One per op input. Pool-allocated, as the other per-node vectors: see Note [object pool].
  std::vector<Edge, PoolAllocator<Edge>> edges;
  BackwardFn backward;  // empty once released (after a backward without retain_graph)
  SmallShape out_shape;
  Dtype out_dtype = Dtype::f32;

  // The tensors the backward reads, with their versions when the op ran; see
  // Note [saved tensors] in engine.cpp. Released with the closure.
  struct SavedSlot {
    Tensor tensor;  // the op's output is held without its grad_fn (no cycle)
    std::uint64_t version = 0;
    bool is_output = false;  // reattached to this node when unpacked
  };
  std::vector<SavedSlot, PoolAllocator<SavedSlot>> saved;
  // Hooks on the gradient of the op's output (Tensor::register_hook on a non-leaf).
  std::vector<std::function<Tensor(const Tensor&)>> pre_hooks;
  // The tensor that asked for retain_grad(): receives the gradient after all hooks (weak:
  // the node must not own the tensor that owns the node).
  std::weak_ptr<TensorImpl> retained;
  // Where the op was created, recorded while a DetectAnomalyGuard is active.
  std::string creation_trace;

  // Engine scratch space, valid during one backward pass.
  Tensor grad_accum;
  std::uint64_t visit_mark = 0;  // the pass that last visited the node (topological sort)
  // xg::grad only: whether a requested input is reached through this node's inputs, and
  // whether it is reached through the node itself (Note [running only what xg::grad needs]).
  bool leads_to_input = false;
  bool reaches_input = false;

  // The next node in this thread's list of nodes waiting to be destroyed.
  Node* next_dying = nullptr;
};

// Called in place of ~Node when the last owner of a node lets go: the node is destroyed
// without recursion and without allocating (Note [iterative destruction] in engine.cpp).
void destroy_node(Node* node) noexcept;

// The pool's allocator, with destroy() handing a Node to destroy_node.
template <class T> struct NodeAllocator : PoolAllocator<T> {
  NodeAllocator() = default;
  template <class U> NodeAllocator(const NodeAllocator<U>&) noexcept {}
  void destroy(Node* node) noexcept { destroy_node(node); }
};

// A new Node, with its shared_ptr control block, from the pool.
inline std::shared_ptr<Node> make_node() {
  return std::allocate_shared<Node>(NodeAllocator<Node>{});
}

// ---- creating tensors ------------------------------------------------------------------
// The most elements a tensor may have (2^46: 256 TiB of f32); empty() refuses more.
inline constexpr std::int64_t kMaxNumel = std::int64_t{1} << 46;

// A new tensor with uninitialised values (the second form takes over the shape's memory).
Tensor empty(const Shape& shape, Dtype dtype);
Tensor empty(Shape&& shape, Dtype dtype);

template <class T> T* ptr(const Tensor& t) { return static_cast<T*>(t.impl()->storage->ptr); }

// Note [zero-gradient masks]
// The backward of a piecewise-linear op multiplies the gradient by a mask or a sign of its
// input (abs, relu, leaky_relu). The mask's derivative is
// zero almost everywhere, but PyTorch still records it, so a second derivative through
// such an op is a zero tensor, not an absent one (and xg::grad does not report the input
// as unused). record_zero_gradient makes `values`, freshly computed from `inputs` without
// recording, the result of op `name` whose gradient is zero for every input. It records
// nothing unless a graph is being built (create_graph).
void record_zero_gradient(const char* name, Tensor& values,
                          std::initializer_list<autograd::TensorRef> inputs);

// Note [leaf gradient locks]
// Several threads may run backward passes through graphs that share leaves (one model
// trained by several threads, as PyTorch allows), and another may read a leaf's grad()
// meanwhile. Every read or write of a leaf's `grad` handle, and the accumulation into it,
// holds this lock, one of a fixed set chosen by the leaf's address (as PyTorch locks each
// AccumulateGrad), so no update is lost and no handle is torn. The values of a gradient
// that another thread is updating are not protected: read them after the passes join.
// A spin lock, not a std::mutex: it is taken for every leaf of every backward pass and
// held for a few instructions, and uncontended it costs one atomic exchange (a mutex's
// lock and unlock made a small model's step measurably slower).
class GradLock {
 public:
  void lock() noexcept {
    while (locked_.exchange(true, std::memory_order_acquire)) {
      while (locked_.load(std::memory_order_relaxed)) std::this_thread::yield();
    }
  }
  void unlock() noexcept { locked_.store(false, std::memory_order_release); }

 private:
  std::atomic<bool> locked_{false};
};
GradLock& grad_mutex(const TensorImpl* leaf);

// Anomaly mode (autograd/anomaly.hpp): whether it is on, and the current call stack.
bool anomaly_mode_enabled();
std::string current_stack_trace();

// The op-authoring helpers (checks, dispatch) are public: autograd/function.hpp.
using autograd::broadcast_shapes;
using autograd::check_defined;
using autograd::check_floating;
using autograd::dispatch;
using autograd::dispatch_float;
using autograd::normalize_axes;
using autograd::normalize_axis;
using autograd::result_dtype;
using autograd::shape_numel;

// ---- elementwise kernels ---------------------------------------------------------------
// o[i] = f(in[i]); vectorised when f has no branches (Note [simd clones]).
template <class T, class R, class F>
XG_SIMD_CLONES void unary_loop(const T* __restrict in, R* __restrict o, std::int64_t n, F f) {
  for (std::int64_t i = 0; i < n; ++i) o[i] = f(in[i]);
}

// o[i] = f(a[i], b[i]) over n elements of two same-shaped buffers.
template <class T, class R, class F>
XG_SIMD_CLONES void binary_loop(const T* __restrict a, const T* __restrict b, R* __restrict o,
                                std::int64_t n, F f) {
  for (std::int64_t i = 0; i < n; ++i) o[i] = f(a[i], b[i]);
}

// out[i] = f(x[i]) for a new tensor of x's shape and dtype (x must have dtype T); large
// tensors are split over the threads (Note [parallel loops]).
template <class T, class F> Tensor map_unary(const Tensor& x, F f) {
  Tensor out = empty(x.shape(), x.dtype());
  const T* in = ptr<T>(x);
  T* o = ptr<T>(out);
  parallel_for(x.numel(),
               [&](std::int64_t b, std::int64_t e) { unary_loop(in + b, o + b, e - b, f); });
  return out;
}

// Row-major strides of a shape, in elements; ShapeError when they do not fit in 64 bits.
std::vector<std::int64_t> contiguous_strides(const Shape& shape);

// Element strides of `in_shape` viewed as broadcast to `out_shape` (0 along broadcast
// axes), aligned to out_shape's axes.
std::vector<std::int64_t> broadcast_strides(const Shape& in_shape, const Shape& out_shape);

// Note [no allocation in simd clones]
// GCC 12 lets no exception out of a target_clones function (XG_SIMD_CLONES): the call
// through its dispatcher is taken not to throw, and a std::bad_alloc (or an i64 overflow)
// thrown inside becomes std::terminate. So the cloned loops allocate nothing and call
// nothing that throws: their callers make the buffers and the StridedRows walk (which
// holds a vector) and pass them in.

// out = f(a, b) over the rows of the walk r (Note [strided rows]), each row a tight loop;
// out is contiguous over the walk's shape. Not cloned, so f may throw.
template <class T, class R, class F>
[[gnu::always_inline]] inline void broadcast_rows(const T* a, const T* b, R* out, StridedRows<2>& r,
                                                  F f) {
  const std::int64_t n = r.size(), ia = r.stride(0), ib = r.stride(1);
  for (; !r.done(); r.next()) {
    const T* ra = a + r.offset(0);
    const T* rb = b + r.offset(1);
    R* o = out + r.pos();
    for (std::int64_t j = 0; j < n; ++j) o[j] = f(ra[j * ia], rb[j * ib]);
  }
}

// broadcast_rows compiled for each instruction set (Note [simd clones]); f must not throw.
template <class T, class R, class F>
XG_SIMD_CLONES void broadcast_rows_simd(const T* a, const T* b, R* out, StridedRows<2>& r, F f) {
  broadcast_rows(a, b, out, r, f);
}

// out = f(a, b) for the general broadcast (see broadcast_binary); f must not throw.
template <class T, class R, class F>
void broadcast_general(const T* a, const Shape& a_shape, const T* b, const Shape& b_shape, R* out,
                       const Shape& out_shape, F f) {
  const auto sa = broadcast_strides(a_shape, out_shape);
  const auto sb = broadcast_strides(b_shape, out_shape);
  StridedRows<2> r(out_shape, {sa, sb});
  broadcast_rows_simd(a, b, out, r, f);
}

// out = f(a, b) with NumPy broadcasting; a and b already converted to T; out_shape is
// their broadcast shape; out never aliases a or b. The flat cases (same shapes, or one
// side a single value) run the vectorised loops above, split over the threads when large
// (Note [simd clones], Note [parallel loops]).
template <class T, class R, class F>
void broadcast_binary(const T* a, const Shape& a_shape, const T* b, const Shape& b_shape, R* out,
                      const Shape& out_shape, F f) {
  const std::int64_t n = shape_numel(out_shape);
  if (a_shape == b_shape) {
    parallel_for(
        n, [&](std::int64_t s, std::int64_t e) { binary_loop(a + s, b + s, out + s, e - s, f); });
    return;
  }
  if (shape_numel(b_shape) == 1 && shape_numel(a_shape) == n) {
    const T bv = b[0];
    parallel_for(n, [&](std::int64_t s, std::int64_t e) {
      unary_loop(a + s, out + s, e - s, [&](T x) { return f(x, bv); });
    });
    return;
  }
  if (shape_numel(a_shape) == 1 && shape_numel(b_shape) == n) {
    const T av = a[0];
    parallel_for(n, [&](std::int64_t s, std::int64_t e) {
      unary_loop(b + s, out + s, e - s, [&](T y) { return f(av, y); });
    });
    return;
  }
  broadcast_general(a, a_shape, b, b_shape, out, out_shape, f);
}

// out[i] = f(a[i], b[i]) for a new tensor of a's shape (a and b: same shape, dtype T).
template <class T, class F> Tensor map_binary(const Tensor& a, const Tensor& b, F f) {
  Tensor out = empty(a.shape(), a.dtype());
  broadcast_binary(ptr<T>(a), a.shape(), ptr<T>(b), b.shape(), ptr<T>(out), a.shape(), f);
  return out;
}

// A tensor of x's values converted to dtype (x itself when it already has it). Not
// recorded; ops that convert record their own node. A float that the integer dtype cannot
// hold is a ValueError naming `op` (Note [integer overflow] in detail/checked.hpp).
Tensor cast_values(const Tensor& x, Dtype dtype, const char* op = "to");

// Sum of g over the axes that were broadcast to reach g's shape from `shape`; the engine
// uses it to return a gradient to its input's shape. Differentiable.
Tensor sum_to(const Tensor& g, const Shape& shape);

}  // namespace xg::detail
