// Tensor: an n-dimensional array with a runtime dtype that records the operations applied
// to it, so that backward() can compute gradients by the chain rule.
//
// A Tensor is a cheap handle over shared state: copying a Tensor ALIASES it (both handles
// see the same values, gradient and graph). clone() makes an independent copy that stays
// in the graph; detach() shares the values but leaves the graph.
//
// Values are always stored contiguously in row-major order. This header includes no
// third-party headers; xt::xarray interop lives in <xgrad/autograd/xtensor.hpp>.
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <iosfwd>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "xgrad/autograd/dtype.hpp"
#include "xgrad/autograd/errors.hpp"

namespace xg {

using Shape = std::vector<std::int64_t>;
using Axes = std::vector<std::int64_t>;

// "(2, 3)", the form every error message uses.
std::string shape_str(const Shape& shape);

struct TensorOptions {
  Dtype dtype = Dtype::f32;
  bool requires_grad = false;
};

// PyTorch's order of backward()'s arguments, as GradOptions (autograd/engine.hpp).
struct BackwardOptions {
  bool retain_graph = false;  // keep the graph so backward can run through it again
  bool create_graph = false;  // record the backward pass itself (higher-order gradients)
};

namespace detail {
struct TensorImpl;
}

class Tensor {
 public:
  // An undefined tensor (like a None gradient). Most calls on it throw GraphError.
  Tensor() = default;
  explicit Tensor(std::shared_ptr<detail::TensorImpl> impl);

  bool defined() const { return impl_ != nullptr; }

  // --- metadata -------------------------------------------------------------------
  const Shape& shape() const;
  std::int64_t size(std::int64_t axis) const;  // negative axes count from the end
  std::int64_t dim() const;
  std::int64_t numel() const;
  Dtype dtype() const;

  // --- values ---------------------------------------------------------------------
  // The single value of a one-element tensor, converted to double (ShapeError otherwise).
  double item() const;
  // The single value converted to T (exact for i64 values beyond 2^53).
  template <class T> T item() const;
  // Read-only view of the contiguous values; T must match dtype() (DtypeError otherwise).
  template <class T> std::span<const T> data() const;
  // Writable view. Writing bypasses the graph: use it for initialisation, not in a model.
  template <class T> std::span<T> mutable_data();
  // A copy of the values converted to T.
  template <class T> std::vector<T> to_vector() const;
  // Raw pointer to the contiguous row-major values, for code that writes ops
  // (autograd/function.hpp); T must match dtype() (DtypeError otherwise). Writes through it
  // bypass the graph and the version counter.
  template <class T> T* data_ptr() const;
  void* data_ptr() const;  // the same, untyped (byte copies)
  // Size of the values in bytes.
  std::size_t nbytes() const;
  // Makes this tensor (every handle of it) hold src's values, shape and dtype, sharing
  // src's storage; its gradient is reset and its place in the graph kept. PyTorch's
  // `t.data = src`, for converting parameters in place (Module::to). Throws GraphError
  // on a tensor produced by an op.
  void set_data(const Tensor& src);

  // --- conversion and copies ------------------------------------------------------
  Tensor to(Dtype dtype) const;  // differentiable between float dtypes
  Tensor clone() const;          // a copy that stays in the graph
  Tensor detach() const;         // shares values, no graph, requires_grad false

  // --- autograd -------------------------------------------------------------------
  bool requires_grad() const;
  // Marks a leaf as needing a gradient. Throws GraphError on a non-leaf or an i64 tensor.
  Tensor& requires_grad_(bool requires_grad = true);
  bool is_leaf() const;
  // The accumulated gradient of a leaf (undefined until backward reaches it).
  Tensor grad() const;
  void set_grad(const Tensor& grad);
  // Forgets the gradient (set_to_none, PyTorch's default) or fills it with zeros.
  void zero_grad(bool set_to_none = true);
  // Runs the chain rule from this tensor. Without `gradient` the tensor must hold one
  // element; the gradient of every leaf that requires grad is accumulated into grad().
  void backward(const BackwardOptions& opts = {}) const;
  void backward(const Tensor& gradient, const BackwardOptions& opts = {}) const;
  // Name of the op that produced this tensor ("" for leaves), e.g. "matmul".
  std::string grad_fn_name() const;
  // Calls hook with this tensor's gradient whenever backward computes it; a defined return
  // value replaces the gradient. On a leaf the hook runs before accumulation into grad().
  void register_hook(std::function<Tensor(const Tensor&)> hook);
  // Makes a non-leaf keep its gradient in grad() during backward (a no-op on leaves).
  void retain_grad();
  // How many times the values were written in place (PyTorch's _version).
  std::uint64_t version() const;

  // --- in-place ops -----------------------------------------------------------------
  // They write into this tensor's values and bump its version. `other` broadcasts to this
  // tensor's shape; the dtype stays. On a leaf that requires grad they throw GraphError
  // unless inside a NoGradGuard; on a tensor in a graph they are recorded, and a backward
  // that needs the old values throws instead of using the new ones.
  Tensor& add_(const Tensor& other);
  Tensor& sub_(const Tensor& other);
  Tensor& mul_(const Tensor& other);
  Tensor& div_(const Tensor& other);
  Tensor& add_(double other);
  Tensor& sub_(double other);
  Tensor& mul_(double other);
  Tensor& div_(double other);
  Tensor& fill_(double value);
  Tensor& zero_();
  Tensor& copy_(const Tensor& src);
  Tensor& clamp_(std::optional<double> min, std::optional<double> max);

  // --- method forms of common ops (same contracts as the free functions) ----------
  Tensor sum() const;
  Tensor sum(const Axes& axes, bool keepdim = false) const;
  Tensor mean() const;
  Tensor mean(const Axes& axes, bool keepdim = false) const;
  Tensor max() const;
  Tensor min() const;
  Tensor argmax() const;
  Tensor argmax(std::int64_t axis, bool keepdim = false) const;
  // The values in a new shape (one size may be -1); always a copy.
  Tensor reshape(const Shape& shape) const;
  // The same values seen with a new shape, without copying: writes through one are seen by
  // the other, and both share one version counter. Differentiable. In-place writes to a
  // tensor whose values a view in a graph shares throw GraphError (xgrad does not rebase a
  // view's history as PyTorch does): clone() first.
  Tensor view(const Shape& shape) const;
  Tensor flatten(std::int64_t start_axis = 0, std::int64_t end_axis = -1) const;
  Tensor transpose(std::int64_t axis0, std::int64_t axis1) const;
  Tensor t() const;  // transpose of a 2-D tensor
  Tensor permute(const Axes& axes) const;
  Tensor squeeze() const;
  Tensor squeeze(std::int64_t axis) const;
  Tensor unsqueeze(std::int64_t axis) const;
  Tensor pow(double exponent) const;
  Tensor exp() const;
  Tensor log() const;
  Tensor sqrt() const;
  Tensor abs() const;
  Tensor matmul(const Tensor& other) const;

  // --- internals ------------------------------------------------------------------
  // The state behind the handle: private to autograd/ (detail/impl.hpp is not installed);
  // elsewhere the pointer serves only as the tensor's identity.
  detail::TensorImpl* impl() const { return impl_.get(); }
  const std::shared_ptr<detail::TensorImpl>& impl_ptr() const { return impl_; }

 private:
  std::shared_ptr<detail::TensorImpl> impl_;
};

std::ostream& operator<<(std::ostream& os, const Tensor& t);
std::ostream& operator<<(std::ostream& os, Dtype d);

}  // namespace xg

// Creation functions and grad mode, which every user of a tensor needs.
#include "xgrad/autograd/factories.hpp"
#include "xgrad/autograd/grad_mode.hpp"
