// How to write a differentiable op: the one public API for it, used by every op in
// autograd/ and by users alike (docs/DESIGN.md, "How an op is written").
//
// An op computes its result, then records it:
//
//   Tensor my_exp(const Tensor& x) {
//     autograd::check_floating("my_exp", x);
//     Tensor out = xg::empty(x.shape(), {.dtype = x.dtype()});
//     autograd::dispatch_float("my_exp", x.dtype(), [&]<class T>() {
//       const T* in = x.data_ptr<T>();
//       T* o = out.data_ptr<T>();
//       for (std::int64_t i = 0; i < x.numel(); ++i) o[i] = std::exp(in[i]);
//     });
//     autograd::record("my_exp", out, /*inputs=*/{x}, /*saved=*/{autograd::output},
//                      [](const autograd::BackwardCtx& ctx) {
//                        return tensor_list{ctx.grad * ctx.saved(0)};
//                      });
//     return out;
//   }
//
// Saving is explicit, as PyTorch's ctx.save_for_backward: every tensor the backward reads
// is listed in `saved` when the op is recorded, and read back with ctx.saved(i). Saving
// records the tensor's version; ctx.saved(i) checks it, so a value overwritten in place
// since the op ran gives the "modified by an inplace operation" GraphError instead of a
// wrong gradient. The backward closure itself captures no tensor, only plain values
// (axes, shapes, scalars).
//
// For a function with a hand-written backward and no access to the buffers, see
// autograd::Function (autograd/custom_function.hpp), the equivalent of
// torch::autograd::Function.
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <span>
#include <string>
#include <vector>

#include "xgrad/autograd/dtype.hpp"
#include "xgrad/autograd/errors.hpp"
#include "xgrad/autograd/tensor.hpp"

namespace xg {

using tensor_list = std::vector<Tensor>;

namespace detail {
struct Node;
}

namespace autograd {

// The op's own output, in a `saved` list: autograd::record(..., {x, autograd::output}, ...).
// (A node never owns its output tensor, Note [graph ownership] in autograd/detail/impl.hpp:
// the output is saved as its values and handed back connected to the node.)
struct OutputTag {};
inline constexpr OutputTag output{};

// One entry of a `saved` list: a tensor (an input, or a value the forward computed), or
// the op's output.
class Saved {
 public:
  Saved(const Tensor& t) : tensor_(&t) {}  // NOLINT(google-explicit-constructor)
  Saved(OutputTag) {}                      // NOLINT(google-explicit-constructor)
  const Tensor* tensor() const { return tensor_; }

 private:
  const Tensor* tensor_ = nullptr;  // null: the op's output
};

// What a backward sees: the gradient of the op's output, which inputs need a gradient,
// and the saved tensors.
class BackwardCtx {
 public:
  BackwardCtx(const Tensor& grad, detail::Node& node) : grad(grad), node_(node) {}

  // The gradient of the loss with respect to the op's output.
  const Tensor& grad;

  // Whether input i needs a gradient (return an undefined Tensor for it otherwise).
  bool needs_input_grad(std::size_t i) const;
  bool needs(std::size_t i) const { return needs_input_grad(i); }
  // Number of inputs the op was recorded with.
  std::size_t num_inputs() const;
  // The shape of input i, which must need a gradient (read without unpacking anything).
  Shape input_shape(std::size_t i) const;

  // The i-th saved tensor, in the order of `saved` at record time (undefined if an
  // undefined tensor was saved, e.g. an absent optional operand). Throws GraphError if it
  // was modified in place since (naming the op, the tensor's shape and both versions), or
  // if the graph was already freed by a backward without retain_graph.
  Tensor saved(std::size_t i) const;
  std::size_t num_saved() const;

  // The op's name as recorded.
  const char* name() const;

 private:
  detail::Node& node_;
};

// Returns one gradient per input of the op, in order; an undefined Tensor where the input
// needs none. A gradient may have the broadcast shape of the output: the engine sums it
// back to the input's shape. Written with xgrad ops, it is itself differentiable
// (create_graph).
using BackwardFn = std::function<tensor_list(const BackwardCtx&)>;

// An input of an op being recorded, by reference: a braced list of these copies no Tensor.
using TensorRef = std::reference_wrapper<const Tensor>;

// Whether an op on these inputs records a node: grad mode is on and an input requires grad.
bool needs_record(std::initializer_list<TensorRef> inputs);
bool needs_record(const tensor_list& inputs);

// The recording itself (record() below decides whether to call it).
void record_node(const char* name, Tensor& out, std::span<const TensorRef> inputs,
                 std::span<const Saved> saved, BackwardFn fn);

// Makes `out` the result of op `name` on `inputs` in the graph, when grad mode is on and an
// input requires grad; otherwise does nothing (and builds no closure). `out` must be freshly
// made by the op. `saved` lists what the backward reads, as above. `name` must outlive
// the graph (a string literal).
template <class F>
void record(const char* name, Tensor& out, std::initializer_list<TensorRef> inputs,
            std::initializer_list<Saved> saved, F&& backward) {
  if (!needs_record(inputs)) return;
  record_node(name, out, std::span<const TensorRef>(inputs.begin(), inputs.size()),
              std::span<const Saved>(saved.begin(), saved.size()),
              BackwardFn(std::forward<F>(backward)));
}
template <class F>
void record(const char* name, Tensor& out, const tensor_list& inputs,
            std::initializer_list<Saved> saved, F&& backward) {
  if (!needs_record(inputs)) return;
  const std::vector<TensorRef> refs(inputs.begin(), inputs.end());
  record_node(name, out, refs, std::span<const Saved>(saved.begin(), saved.size()),
              BackwardFn(std::forward<F>(backward)));
}
// The same with a saved list built at run time.
void record(const char* name, Tensor& out, const tensor_list& inputs,
            const std::vector<Saved>& saved, BackwardFn backward);

// ---- checks that throw the library's typed errors --------------------------------------
// GraphError if t is undefined.
void check_defined(const char* op, const Tensor& t);
// DtypeError unless t is f32 or f64.
void check_floating(const char* op, const Tensor& t);
// The dtype two operands compute in: equal dtypes stay; i64 with a float becomes the
// float; f32 with f64 is a DtypeError naming both.
Dtype result_dtype(const char* op, const Tensor& a, const Tensor& b);
// Axis in [-ndim, ndim) made non-negative, or ShapeError naming the op and the shape.
std::int64_t normalize_axis(const char* op, std::int64_t axis, const Shape& shape);
// Axes made non-negative, sorted and unique (empty input = all axes).
Axes normalize_axes(const char* op, const Axes& axes, const Shape& shape);
// NumPy broadcast of two shapes, or ShapeError "op: shapes (..) and (..) cannot be broadcast".
Shape broadcast_shapes(const char* op, const Shape& a, const Shape& b);
// Whether a tensor may have this shape: no size is negative, and the product of the sizes
// fits in int64 also with the zero sizes left out (they are products of the sizes too,
// the row-major strides of an empty tensor such as (0, 2^62, 2^62) would overflow).
bool valid_shape(const Shape& shape) noexcept;
// Number of elements of a shape; ShapeError naming it when it is not a valid_shape.
std::int64_t shape_numel(const Shape& shape);

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

}  // namespace autograd
}  // namespace xg
