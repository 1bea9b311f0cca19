// Internals behind the Tensor handle, and the helpers every op is written with.
// Not installed; users never include this.
//
// Note [graph ownership]
// A TensorImpl produced by an op owns its grad_fn Node; a Node owns the Nodes of its
// inputs (through Edges) and whatever its backward closure captured (input Tensors).
// Leaves are owned by Edges but own no Node. Ownership therefore always points from
// outputs towards inputs, so there are no cycles. A Node never holds its own output
// TensorImpl: an op that needs its output in backward asks for `save_output` and the
// Node keeps only the output's Storage (see BackwardCtx::output()).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "autograd/detail/parallel.hpp"
#include "autograd/detail/pool.hpp"
#include "autograd/detail/simd.hpp"
#include "autograd/detail/small_shape.hpp"
#include "autograd/errors.hpp"
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

struct BackwardCtx;
// Returns one gradient per input of the op, in order; an undefined Tensor where the input
// needs none (check ctx.needs(i)). Gradients may have the broadcast shape of the output:
// the engine sums them back to each input's shape.
using BackwardFn = std::function<std::vector<Tensor>(const BackwardCtx&)>;

// Where the gradient of one input goes: the Node that produced it, or the leaf itself.
struct Edge {
  std::shared_ptr<Node> node;
  std::shared_ptr<TensorImpl> leaf;
  SmallShape shape;  // the input's shape, to check and reduce its gradient
  Dtype dtype = Dtype::f32;
  bool active() const { return node != nullptr || leaf != nullptr; }
};

struct Node : std::enable_shared_from_this<Node> {
  Node() = default;
  ~Node();  // iterative, see Note [iterative destruction] in engine.cpp
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  const char* name = "";
  // One per op input. Pool-allocated, as the other per-node vectors: see Note [object pool].
  std::vector<Edge, PoolAllocator<Edge>> edges;
  BackwardFn backward;      // empty once released (after a backward without retain_graph)
  std::shared_ptr<Storage> saved_output;
  SmallShape out_shape;
  Dtype out_dtype = Dtype::f32;

  // Versions of the storages the backward reads, taken when the op ran; see
  // Note [saved tensor versions] in engine.cpp.
  struct SavedVersion {
    std::weak_ptr<Storage> storage;
    std::uint64_t version;
    int input;  // input index, or -1 for the op's own output
    SmallShape shape;
  };
  std::vector<SavedVersion, PoolAllocator<SavedVersion>> saved_versions;
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
};

struct BackwardCtx {
  const Tensor& grad;  // gradient of the loss with respect to the op's output
  Node& node;
  bool needs(std::size_t input) const {
    return input < node.edges.size() && node.edges[input].active();
  }
  // The op's output, as a tensor connected to this node (valid only for ops recorded
  // with save_output = true).
  Tensor output() const;
};

// ---- creating tensors ------------------------------------------------------------------
// A new tensor with uninitialised values (the second form takes over the shape's memory).
Tensor empty(const Shape& shape, Dtype dtype);
Tensor empty(Shape&& shape, Dtype dtype);
std::int64_t shape_numel(const Shape& shape);

template <class T> T* ptr(const Tensor& t) { return static_cast<T*>(t.impl()->storage->ptr); }

// ---- recording -------------------------------------------------------------------------
// True when an op on these inputs must record a graph node.
bool any_requires_grad(std::initializer_list<Tensor> inputs);
bool any_requires_grad(const std::vector<Tensor>& inputs);

// An input of an op being recorded, by reference: a braced list of these copies no
// Tensor (each copy is two atomic reference-count updates, per input of every op).
using TensorRef = std::reference_wrapper<const Tensor>;

// The recording itself, for record() below.
void record_node(const char* name, Tensor& out, std::span<const TensorRef> inputs, BackwardFn fn,
                 bool save_output, bool saves_inputs);

// Makes `out` the result of op `name` on `inputs` in the graph, if grad mode is on and an
// input requires grad; otherwise does nothing. `out` must be freshly created by the op.
// save_output: the backward reads the output (through ctx.output()).
// saves_inputs: the backward reads the inputs' values (pass false for ops like add or
// reshape whose gradient does not depend on them); when true, modifying an input in place
// before backward makes backward throw instead of computing a wrong gradient.
// Templates so that an op that records nothing (every op inside a backward pass) does not
// pay for a BackwardFn, which allocates for closures over 16 bytes, nor for a vector of
// its inputs: an op passes them as a braced list, {a, b}.
template <class F>
void record(const char* name, Tensor& out, std::initializer_list<TensorRef> inputs, F&& fn,
            bool save_output = false, bool saves_inputs = true) {
  if (!is_grad_enabled()) return;
  bool any = false;
  for (const Tensor& t : inputs) any = any || t.requires_grad();
  if (!any) return;
  record_node(name, out, std::span<const TensorRef>(inputs.begin(), inputs.size()),
              BackwardFn(std::forward<F>(fn)), save_output, saves_inputs);
}
template <class F>
void record(const char* name, Tensor& out, const std::vector<Tensor>& inputs, F&& fn,
            bool save_output = false, bool saves_inputs = true) {
  if (!is_grad_enabled() || !any_requires_grad(inputs)) return;
  const std::vector<TensorRef> refs(inputs.begin(), inputs.end());
  record_node(name, out, refs, BackwardFn(std::forward<F>(fn)), save_output, saves_inputs);
}

// Anomaly mode (autograd/anomaly.hpp): whether it is on, and the current call stack.
bool anomaly_mode_enabled();
std::string current_stack_trace();

// ---- checks that throw the library's typed errors --------------------------------------
// Axis in [-ndim, ndim) made non-negative, or ShapeError naming the op and the shape.
std::int64_t normalize_axis(const char* op, std::int64_t axis, const Shape& shape);
// Axes made non-negative, sorted and unique (empty input = all axes).
Axes normalize_axes(const char* op, const Axes& axes, const Shape& shape);
// NumPy broadcast of two shapes, or ShapeError "op: shapes (..) and (..) cannot be broadcast".
Shape broadcast_shapes(const char* op, const Shape& a, const Shape& b);
// Throws GraphError if t is undefined.
void check_defined(const char* op, const Tensor& t);
// Throws DtypeError unless t is f32 or f64.
void check_floating(const char* op, const Tensor& t);
// The dtype two operands compute in: equal dtypes stay; i64 with a float becomes the
// float; f32 with f64 is a DtypeError naming both.
Dtype result_dtype(const char* op, const Tensor& a, const Tensor& b);

// ---- dtype dispatch --------------------------------------------------------------------
// Calls f.template operator()<T>() with T the C++ type of `dtype`.
template <class F> decltype(auto) dispatch(Dtype dtype, F&& f) {
  switch (dtype) {
    case Dtype::f32: return f.template operator()<float>();
    case Dtype::f64: return f.template operator()<double>();
    case Dtype::i64: return f.template operator()<std::int64_t>();
  }
  return f.template operator()<float>();
}
// As dispatch, for ops defined on floats only: i64 is a DtypeError naming the op.
template <class F> decltype(auto) dispatch_float(const char* op, Dtype dtype, F&& f) {
  if (dtype == Dtype::i64) {
    throw DtypeError(std::string(op) + ": expected a float tensor (f32 or f64), got i64");
  }
  if (dtype == Dtype::f64) return f.template operator()<double>();
  return f.template operator()<float>();
}

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

// Row-major strides of a shape, in elements.
std::vector<std::int64_t> contiguous_strides(const Shape& shape);

// Element strides of `in_shape` viewed as broadcast to `out_shape` (0 along broadcast
// axes), aligned to out_shape's axes.
std::vector<std::int64_t> broadcast_strides(const Shape& in_shape, const Shape& out_shape);

// out = f(a, b) for the general broadcast: the output walked in row-major order, the
// innermost axis in a tight loop. See broadcast_binary.
template <class T, class R, class F>
XG_SIMD_CLONES void broadcast_general(const T* a, const Shape& a_shape, const T* b,
                                      const Shape& b_shape, R* out, const Shape& out_shape, F f) {
  const std::int64_t n = shape_numel(out_shape);
  const std::size_t nd = out_shape.size();
  if (n == 0) return;
  if (nd == 0) {
    out[0] = f(a[0], b[0]);
    return;
  }
  const auto sa = broadcast_strides(a_shape, out_shape);
  const auto sb = broadcast_strides(b_shape, out_shape);
  std::vector<std::int64_t> idx(nd, 0);
  const std::int64_t inner = out_shape[nd - 1];
  const std::int64_t ia = sa[nd - 1], ib = sb[nd - 1];
  std::int64_t off_a = 0, off_b = 0;
  for (std::int64_t done = 0; done < n; done += inner) {
    for (std::int64_t j = 0; j < inner; ++j) *out++ = f(a[off_a + j * ia], b[off_b + j * ib]);
    // Advance the multi-index over the outer axes.
    for (std::size_t d = nd - 1; d-- > 0;) {
      ++idx[d];
      off_a += sa[d];
      off_b += sb[d];
      if (idx[d] < out_shape[d]) break;
      off_a -= sa[d] * idx[d];
      off_b -= sb[d] * idx[d];
      idx[d] = 0;
    }
  }
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
// recorded; ops that convert record their own node.
Tensor cast_values(const Tensor& x, Dtype dtype);

// Sum of g over the axes that were broadcast to reach g's shape from `shape`; the engine
// uses it to return a gradient to its input's shape. Differentiable.
Tensor sum_to(const Tensor& g, const Shape& shape);

}  // namespace xg::detail
