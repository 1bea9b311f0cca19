// In-place ops and gradient hooks on tensors.
// Note [in-place ops in a graph]
// An in-place op on a tensor that is part of a graph is computed as the out-of-place op
// on a snapshot of the old values (a copy that keeps the old grad_fn), its result is
// written into the tensor's own storage (so every alias sees it), and the tensor's
// grad_fn becomes the new op's node. Ops that saved the old values for their backward now
// see a newer version and throw at backward (Note [saved tensor versions]).
#include <cstring>

#include "autograd/detail/impl.hpp"
#include "autograd/ops/elementwise.hpp"

namespace xg {

namespace {

void check_inplace_target(const char* op, const Tensor& self) {
  detail::check_defined(op, self);
  if (is_grad_enabled() && self.requires_grad() && self.is_leaf()) {
    throw GraphError(std::string(op) + ": a leaf tensor that requires grad (shape " +
                     shape_str(self.shape()) +
                     ") is being used in an in-place operation; wrap the update in "
                     "xg::NoGradGuard (as optimizers do) or use the out-of-place op");
  }
}

// A copy of self's values that keeps self's place in the graph.
Tensor snapshot(const Tensor& self) {
  auto impl = std::make_shared<detail::TensorImpl>(*self.impl());
  impl->storage = std::make_shared<detail::Storage>(self.dtype(), self.numel());
  std::memcpy(impl->storage->ptr, self.impl()->storage->ptr,
              static_cast<std::size_t>(self.numel()) * dtype_size(self.dtype()));
  impl->grad = Tensor();
  impl->hooks.clear();
  return Tensor(std::move(impl));
}

// Writes `result` (computed out of place) into self. `op` names the in-place op.
Tensor& assign_result(const char* op, Tensor& self, const Tensor& result) {
  if (result.shape() != self.shape()) {
    throw ShapeError(std::string(op) + ": the result has shape " + shape_str(result.shape()) +
                     " but the tensor has shape " + shape_str(self.shape()) +
                     "; an in-place op cannot change the shape");
  }
  const Tensor values = detail::cast_values(result, self.dtype());
  std::memcpy(self.impl()->storage->ptr, values.impl()->storage->ptr,
              static_cast<std::size_t>(self.numel()) * dtype_size(self.dtype()));
  ++self.impl()->storage->version;
  if (result.requires_grad() && is_grad_enabled()) {
    self.impl()->grad_fn = result.impl()->grad_fn;
    self.impl()->requires_grad = true;
  }
  return self;
}

template <class F> Tensor& inplace(const char* op, Tensor& self, const Tensor& other, F f) {
  check_inplace_target(op, self);
  detail::check_defined(op, other);
  if (is_floating(self.dtype()) && is_floating(other.dtype()) && self.dtype() != other.dtype()) {
    throw DtypeError(std::string(op) + ": mixed float dtypes " +
                     std::string(dtype_name(self.dtype())) + " and " +
                     std::string(dtype_name(other.dtype())) + " (shapes " +
                     shape_str(self.shape()) + " and " + shape_str(other.shape()) + ")");
  }
  if (detail::broadcast_shapes(op, self.shape(), other.shape()) != self.shape()) {
    throw ShapeError(std::string(op) + ": cannot write the broadcast of " + shape_str(self.shape()) +
                     " and " + shape_str(other.shape()) + " into a tensor of shape " +
                     shape_str(self.shape()));
  }
  const bool graph = is_grad_enabled() && (self.requires_grad() || other.requires_grad());
  if (!graph) {
    NoGradGuard ng;
    return assign_result(op, self, f(self.detach(), other));
  }
  return assign_result(op, self, f(snapshot(self), other));
}

Tensor scalar_of(const Tensor& self, double v) {
  return scalar_tensor(v, {.dtype = is_floating(self.dtype()) ? self.dtype() : Dtype::f64});
}

}  // namespace

Tensor& Tensor::add_(const Tensor& o) { return inplace("add_", *this, o, [](auto a, auto b) { return a + b; }); }
Tensor& Tensor::sub_(const Tensor& o) { return inplace("sub_", *this, o, [](auto a, auto b) { return a - b; }); }
Tensor& Tensor::mul_(const Tensor& o) { return inplace("mul_", *this, o, [](auto a, auto b) { return a * b; }); }
Tensor& Tensor::div_(const Tensor& o) { return inplace("div_", *this, o, [](auto a, auto b) { return a / b; }); }
Tensor& Tensor::add_(double o) { return add_(scalar_of(*this, o)); }
Tensor& Tensor::sub_(double o) { return sub_(scalar_of(*this, o)); }
Tensor& Tensor::mul_(double o) { return mul_(scalar_of(*this, o)); }
Tensor& Tensor::div_(double o) { return div_(scalar_of(*this, o)); }

Tensor& Tensor::fill_(double value) {
  check_inplace_target("fill_", *this);
  // The result no longer depends on the old values: the tensor leaves the graph.
  detail::dispatch(dtype(), [&]<class T>() {
    T* p = detail::ptr<T>(*this);
    for (std::int64_t i = 0, n = numel(); i < n; ++i) p[i] = static_cast<T>(value);
  });
  ++impl_->storage->version;
  if (!is_leaf()) {
    impl_->grad_fn.reset();
    impl_->requires_grad = false;
  }
  return *this;
}

Tensor& Tensor::zero_() { return fill_(0.0); }

Tensor& Tensor::copy_(const Tensor& src) {
  return inplace("copy_", *this, src, [](const Tensor& self, const Tensor& s) {
    return broadcast_to(s, self.shape()) + zeros_like(self);
  });
}

Tensor& Tensor::clamp_(std::optional<double> min, std::optional<double> max) {
  check_inplace_target("clamp_", *this);
  const bool graph = is_grad_enabled() && requires_grad();
  if (!graph) {
    NoGradGuard ng;
    return assign_result("clamp_", *this, clamp(detach(), min, max));
  }
  return assign_result("clamp_", *this, clamp(snapshot(*this), min, max));
}

std::uint64_t Tensor::version() const {
  detail::check_defined("version", *this);
  return impl_->storage->version;
}

void Tensor::register_hook(std::function<Tensor(const Tensor&)> hook) {
  detail::check_defined("register_hook", *this);
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
  detail::check_defined("retain_grad", *this);
  if (!requires_grad()) {
    throw GraphError("retain_grad: the tensor of shape " + shape_str(shape()) +
                     " does not require grad");
  }
  if (is_leaf()) return;
  impl_->grad_fn->retained = impl_;
}

}  // namespace xg
