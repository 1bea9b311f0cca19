// In-place ops and gradient hooks on tensors.
// Note [in-place ops in a graph]
// An in-place op on a tensor that is part of a graph is computed as the out-of-place op
// on a snapshot of the old values (a copy that keeps the old grad_fn), its result is
// written into the tensor's own storage (so every alias sees it), and the tensor's
// grad_fn becomes the new op's node. Ops that saved the old values for their backward now
// see a newer version and throw at backward (Note [saved tensor versions]).
#include <cstring>

#include "autograd/detail/checked.hpp"
#include "autograd/detail/impl.hpp"
#include "autograd/ops/elementwise.hpp"

namespace xg {

namespace {

void check_inplace_target(const char* op, const Tensor& self) {
  autograd::check_defined(op, self);
  if (is_grad_enabled() && self.requires_grad() && self.is_leaf()) {
    throw GraphError(std::string(op) + ": a leaf tensor that requires grad (shape " +
                     shape_str(self.shape()) +
                     ") is being used in an in-place operation; wrap the update in "
                     "xg::NoGradGuard (as optimizers do) or use the out-of-place op");
  }
}

// In grad mode, the values of a view in a graph cannot be written (Note [views]).
void check_not_viewed(const char* op, const Tensor& self) {
  if (self.impl()->storage->viewed_in_graph) {
    throw GraphError(std::string(op) + ": the tensor of shape " + shape_str(self.shape()) +
                     " shares its values with a view (Tensor::view) that is part of a graph; "
                     "xgrad does not rebase a view's history after an in-place write: clone() "
                     "the tensor before writing, or write under xg::NoGradGuard");
  }
}

// A new handle with self's place in the graph (same values, no gradient or hooks).
std::shared_ptr<detail::TensorImpl> history_of(const Tensor& self) {
  auto impl = std::make_shared<detail::TensorImpl>(*self.impl());
  impl->grad = Tensor();
  impl->hooks.clear();
  return impl;
}

// A copy of self's values that keeps self's place in the graph.
Tensor snapshot(const Tensor& self) {
  auto impl = history_of(self);
  impl->storage = std::make_shared<detail::Storage>(self.dtype(), self.numel());
  std::memcpy(impl->storage->ptr, self.impl()->storage->ptr, self.nbytes());
  return Tensor(std::move(impl));
}

// Writes `result` (computed out of place) into self; in grad mode self's place in the graph
// becomes result's. `op` names the in-place op.
Tensor& assign_result(const char* op, Tensor& self, const Tensor& result) {
  if (result.shape() != self.shape()) {
    throw ShapeError(std::string(op) + ": the result has shape " + shape_str(result.shape()) +
                     " but the tensor has shape " + shape_str(self.shape()) +
                     "; an in-place op cannot change the shape");
  }
  const Tensor values = detail::cast_values(result, self.dtype(), op);
  void* dst = self.impl()->storage->ptr;
  const void* src = values.impl()->storage->ptr;
  if (dst != src) std::memcpy(dst, src, self.nbytes());  // x.copy_(x) writes nothing
  ++self.impl()->storage->version;
  if (result.requires_grad() && is_grad_enabled()) {
    self.impl()->grad_fn = result.impl()->grad_fn;
    self.impl()->requires_grad = true;
  }
  return self;
}

void check_operand(const char* op, const Tensor& self, const Tensor& other) {
  autograd::check_defined(op, other);
  if (is_floating(self.dtype()) && is_floating(other.dtype()) && self.dtype() != other.dtype()) {
    throw DtypeError(std::string(op) + ": mixed float dtypes " +
                     std::string(dtype_name(self.dtype())) + " and " +
                     std::string(dtype_name(other.dtype())) + " (shapes " +
                     shape_str(self.shape()) + " and " + shape_str(other.shape()) + ")");
  }
  if (autograd::broadcast_shapes(op, self.shape(), other.shape()) != self.shape()) {
    throw ShapeError(std::string(op) + ": cannot write the broadcast of " +
                     shape_str(self.shape()) + " and " + shape_str(other.shape()) +
                     " into a tensor of shape " + shape_str(self.shape()));
  }
}

template <class F> Tensor& inplace(const char* op, Tensor& self, const Tensor& other, F f) {
  check_inplace_target(op, self);
  check_operand(op, self, other);
  const bool graph = is_grad_enabled() && (self.requires_grad() || other.requires_grad());
  if (!graph) {
    NoGradGuard ng;
    return assign_result(op, self, f(self.detach(), other));
  }
  check_not_viewed(op, self);
  return assign_result(op, self, f(snapshot(self), other));
}

// Overwrites self with `values` (self's shape and dtype, computed without a graph), for ops
// whose result does not depend on self's old values (copy_, fill_). In grad mode the
// tensor stays in the graph, as in PyTorch: its old history receives a zero gradient and
// `src` (when given) the incoming one.
Tensor& overwrite(const char* op, Tensor& self, const Tensor& values, const Tensor* src) {
  const bool graph =
      is_grad_enabled() && (self.requires_grad() || (src != nullptr && src->requires_grad()));
  if (!graph) return assign_result(op, self, values);
  check_not_viewed(op, self);
  // The old history, as a handle: its values are never read, so they are not copied.
  const Tensor old(history_of(self));
  Tensor result = values.clone();  // a fresh tensor for the node (values may be src itself)
  const Tensor none;
  autograd::record(op, result, {old, src != nullptr ? *src : none}, {},
                   [](const autograd::BackwardCtx& ctx) {
                     return tensor_list{ctx.needs(0) ? zeros_like(ctx.grad) : Tensor(),
                                        ctx.needs(1) ? ctx.grad : Tensor()};
                   });
  return assign_result(op, self, result);
}

Tensor scalar_of(const Tensor& self, double v) {
  return scalar_tensor(v, {.dtype = is_floating(self.dtype()) ? self.dtype() : Dtype::f64});
}

}  // namespace

Tensor& Tensor::add_(const Tensor& o) {
  return inplace("add_", *this, o, [](auto a, auto b) { return a + b; });
}
Tensor& Tensor::sub_(const Tensor& o) {
  return inplace("sub_", *this, o, [](auto a, auto b) { return a - b; });
}
Tensor& Tensor::mul_(const Tensor& o) {
  return inplace("mul_", *this, o, [](auto a, auto b) { return a * b; });
}
Tensor& Tensor::div_(const Tensor& o) {
  return inplace("div_", *this, o, [](auto a, auto b) { return a / b; });
}
Tensor& Tensor::add_(double o) { return add_(scalar_of(*this, o)); }
Tensor& Tensor::sub_(double o) { return sub_(scalar_of(*this, o)); }
Tensor& Tensor::mul_(double o) { return mul_(scalar_of(*this, o)); }
Tensor& Tensor::div_(double o) { return div_(scalar_of(*this, o)); }

Tensor& Tensor::fill_(double value) {
  check_inplace_target("fill_", *this);
  Tensor values = detail::empty(shape(), dtype());
  autograd::dispatch(dtype(), [&]<class T>() {
    T* p = detail::ptr<T>(values);
    const T v = detail::convert<T>("fill_", value);
    for (std::int64_t i = 0, n = numel(); i < n; ++i) p[i] = v;
  });
  return overwrite("fill_", *this, values, nullptr);
}

Tensor& Tensor::zero_() {
  check_inplace_target("zero_", *this);
  Tensor values = detail::empty(shape(), dtype());
  std::memset(values.impl()->storage->ptr, 0, values.nbytes());
  return overwrite("zero_", *this, values, nullptr);
}

Tensor& Tensor::copy_(const Tensor& src) {
  check_inplace_target("copy_", *this);
  check_operand("copy_", *this, src);
  Tensor values;
  {
    NoGradGuard ng;
    values = detail::cast_values(broadcast_to(src, shape()), dtype(), "copy_");
  }
  return overwrite("copy_", *this, values, &src);
}

Tensor& Tensor::clamp_(std::optional<double> min, std::optional<double> max) {
  check_inplace_target("clamp_", *this);
  const bool graph = is_grad_enabled() && requires_grad();
  if (!graph) {
    NoGradGuard ng;
    return assign_result("clamp_", *this, clamp(detach(), min, max));
  }
  check_not_viewed("clamp_", *this);
  return assign_result("clamp_", *this, clamp(snapshot(*this), min, max));
}

std::uint64_t Tensor::version() const {
  autograd::check_defined("version", *this);
  return impl_->storage->version;
}

void Tensor::register_hook(std::function<Tensor(const Tensor&)> hook) {
  autograd::check_defined("register_hook", *this);
  if (!requires_grad()) {
    throw GraphError("register_hook: the tensor of shape " + shape_str(shape()) +
                     " does not require grad, so it never receives a gradient");
  }
  if (impl_->grad_fn) {
    impl_->grad_fn->pre_hooks.push_back(std::move(hook));
  } else {
    impl_->hooks.push_back(std::move(hook));
  }
}

void Tensor::retain_grad() {
  autograd::check_defined("retain_grad", *this);
  if (!requires_grad()) {
    throw GraphError("retain_grad: the tensor of shape " + shape_str(shape()) +
                     " does not require grad");
  }
  if (is_leaf()) return;
  impl_->grad_fn->retained = impl_;
}

}  // namespace xg
