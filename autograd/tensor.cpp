// The Tensor handle: metadata, values, conversion, autograd state; detail::empty.
#include "autograd/tensor.hpp"

#include <cstring>
#include <sstream>

#include "autograd/detail/checked.hpp"
#include "autograd/detail/impl.hpp"
#include "autograd/detail/pool.hpp"
#include "autograd/engine.hpp"
#include "autograd/runtime.hpp"

namespace xg {

namespace detail {

Tensor empty(const Shape& shape, Dtype dtype) { return empty(Shape(shape), dtype); }

Tensor empty(Shape&& shape, Dtype dtype) {
  for (auto s : shape) {
    if (s < 0) throw ShapeError("empty: negative size in shape " + shape_str(shape));
  }
  auto impl = make_pooled<TensorImpl>();
  impl->numel = shape_numel(shape);
  if (impl->numel > kMaxNumel) {
    throw ShapeError("empty: shape " + shape_str(shape) + " has " + std::to_string(impl->numel) +
                     " elements, more than this library allocates");
  }
  impl->storage = make_pooled<Storage>(dtype, impl->numel);
  impl->shape = std::move(shape);
  impl->dtype = dtype;
  return Tensor(std::move(impl));
}

std::vector<std::int64_t> contiguous_strides(const Shape& shape) {
  (void)shape_numel(shape);  // checks that the products below fit, zero sizes or not
  std::vector<std::int64_t> strides(shape.size());
  std::int64_t s = 1;
  for (std::size_t i = shape.size(); i-- > 0;) {
    strides[i] = s;
    s *= shape[i];
  }
  return strides;
}

std::vector<std::int64_t> broadcast_strides(const Shape& in_shape, const Shape& out_shape) {
  const auto in_strides = contiguous_strides(in_shape);
  std::vector<std::int64_t> out(out_shape.size(), 0);
  const std::size_t lead = out_shape.size() - in_shape.size();
  for (std::size_t i = 0; i < in_shape.size(); ++i) {
    out[lead + i] = in_shape[i] == 1 ? 0 : in_strides[i];
  }
  return out;
}

Tensor cast_values(const Tensor& x, Dtype dtype, const char* op) {
  if (x.dtype() == dtype) return x;
  Tensor out = empty(x.shape(), dtype);
  dispatch(x.dtype(), [&]<class S>() {
    dispatch(dtype, [&]<class D>() {
      const S* in = ptr<S>(x);
      D* o = ptr<D>(out);
      for (std::int64_t i = 0, n = x.numel(); i < n; ++i) o[i] = convert<D>(op, in[i]);
    });
  });
  return out;
}

}  // namespace detail

using detail::TensorImpl;

std::string shape_str(const Shape& shape) {
  std::string s = "(";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(shape[i]);
  }
  return s + ")";
}

// ---- handle ----------------------------------------------------------------------------

Tensor::Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}

static const TensorImpl& checked(const std::shared_ptr<TensorImpl>& impl, const char* what) {
  if (!impl) throw GraphError(std::string("Tensor::") + what + ": the tensor is undefined");
  return *impl;
}

const Shape& Tensor::shape() const { return checked(impl_, "shape").shape; }
std::int64_t Tensor::dim() const { return static_cast<std::int64_t>(shape().size()); }
std::int64_t Tensor::numel() const { return checked(impl_, "numel").numel; }
Dtype Tensor::dtype() const { return checked(impl_, "dtype").dtype; }
std::int64_t Tensor::size(std::int64_t axis) const {
  return shape()[autograd::normalize_axis("size", axis, shape())];
}

double Tensor::item() const { return item<double>(); }

template <class R> R Tensor::item() const {
  const auto& impl = checked(impl_, "item");
  if (impl.numel != 1) {
    throw ShapeError("item: the tensor has shape " + shape_str(impl.shape) + " (" +
                     std::to_string(impl.numel) + " elements); item() needs exactly one");
  }
  return autograd::dispatch(impl.dtype, [&]<class T>() {
    return static_cast<R>(*static_cast<const T*>(impl.storage->ptr));
  });
}

template float Tensor::item<float>() const;
template double Tensor::item<double>() const;
template std::int64_t Tensor::item<std::int64_t>() const;
template int Tensor::item<int>() const;

template <class T> std::span<const T> Tensor::data() const {
  const auto& impl = checked(impl_, "data");
  if (impl.dtype != dtype_of<T>()) {
    throw DtypeError(std::string("Tensor::data: the tensor holds ") +
                     std::string(dtype_name(impl.dtype)) + ", not " +
                     std::string(dtype_name(dtype_of<T>())));
  }
  return {static_cast<const T*>(impl.storage->ptr), static_cast<std::size_t>(impl.numel)};
}

template <class T> std::span<T> Tensor::mutable_data() {
  auto d = data<T>();
  ++impl_->storage->version;
  return {const_cast<T*>(d.data()), d.size()};
}

template <class T> std::vector<T> Tensor::to_vector() const {
  const auto& impl = checked(impl_, "to_vector");
  std::vector<T> out(static_cast<std::size_t>(impl.numel));
  autograd::dispatch(impl.dtype, [&]<class S>() {
    const S* in = static_cast<const S*>(impl.storage->ptr);
    for (std::int64_t i = 0; i < impl.numel; ++i) out[i] = detail::convert<T>("to_vector", in[i]);
  });
  return out;
}

template <class T> T* Tensor::data_ptr() const {
  const auto& impl = checked(impl_, "data_ptr");
  if (impl.dtype != dtype_of<T>()) {
    throw DtypeError(std::string("Tensor::data_ptr: the tensor holds ") +
                     std::string(dtype_name(impl.dtype)) + ", not " +
                     std::string(dtype_name(dtype_of<T>())));
  }
  return static_cast<T*>(impl.storage->ptr);
}

void* Tensor::data_ptr() const { return checked(impl_, "data_ptr").storage->ptr; }

std::size_t Tensor::nbytes() const {
  const auto& impl = checked(impl_, "nbytes");
  return static_cast<std::size_t>(impl.numel) * dtype_size(impl.dtype);
}

void Tensor::set_data(const Tensor& src) {
  checked(impl_, "set_data");
  autograd::check_defined("set_data", src);
  if (impl_->grad_fn) {
    throw GraphError("set_data: the tensor was produced by " + grad_fn_name() +
                     "; only a leaf's values can be replaced");
  }
  if (impl_->requires_grad && !is_floating(src.dtype())) {
    throw DtypeError("set_data: a tensor that requires grad cannot hold i64 values");
  }
  impl_->storage = src.impl_->storage;
  impl_->shape = src.impl_->shape;
  impl_->numel = src.impl_->numel;
  impl_->dtype = src.impl_->dtype;
  impl_->grad = Tensor();
}

template float* Tensor::data_ptr<float>() const;
template double* Tensor::data_ptr<double>() const;
template std::int64_t* Tensor::data_ptr<std::int64_t>() const;
template std::span<const float> Tensor::data<float>() const;
template std::span<const double> Tensor::data<double>() const;
template std::span<const std::int64_t> Tensor::data<std::int64_t>() const;
template std::span<float> Tensor::mutable_data<float>();
template std::span<double> Tensor::mutable_data<double>();
template std::span<std::int64_t> Tensor::mutable_data<std::int64_t>();
template std::vector<float> Tensor::to_vector<float>() const;
template std::vector<double> Tensor::to_vector<double>() const;
template std::vector<std::int64_t> Tensor::to_vector<std::int64_t>() const;
template std::vector<int> Tensor::to_vector<int>() const;

Tensor Tensor::to(Dtype dtype) const {
  autograd::check_defined("to", *this);
  if (dtype == this->dtype()) return *this;
  Tensor out = detail::cast_values(*this, dtype);
  if (is_floating(dtype) && is_floating(this->dtype())) {
    const Dtype from = this->dtype();
    autograd::record("to", out, {*this}, {}, [from](const autograd::BackwardCtx& ctx) {
      return std::vector<Tensor>{ctx.grad.to(from)};
    });
  }
  return out;
}

Tensor Tensor::clone() const {
  autograd::check_defined("clone", *this);
  Tensor out = detail::empty(shape(), dtype());
  std::memcpy(out.impl()->storage->ptr, impl_->storage->ptr,
              static_cast<std::size_t>(numel()) * dtype_size(dtype()));
  autograd::record("clone", out, {*this}, {},
                   [](const autograd::BackwardCtx& ctx) { return std::vector<Tensor>{ctx.grad}; });
  return out;
}

Tensor Tensor::detach() const {
  autograd::check_defined("detach", *this);
  auto impl = detail::make_pooled<TensorImpl>();
  impl->storage = impl_->storage;
  impl->shape = impl_->shape;
  impl->numel = impl_->numel;
  impl->dtype = impl_->dtype;
  return Tensor(std::move(impl));
}

bool Tensor::requires_grad() const { return impl_ && impl_->requires_grad; }
bool Tensor::is_leaf() const { return !checked(impl_, "is_leaf").grad_fn; }

Tensor& Tensor::requires_grad_(bool requires_grad) {
  checked(impl_, "requires_grad_");
  if (!is_leaf()) {
    throw GraphError(
        "requires_grad_: only leaf tensors can change requires_grad; this one "
        "was produced by " +
        grad_fn_name() + " (use detach() first)");
  }
  if (requires_grad && !is_floating(impl_->dtype)) {
    throw DtypeError(
        "requires_grad_: only float tensors can require gradients; this one "
        "is i64 with shape " +
        shape_str(impl_->shape));
  }
  impl_->requires_grad = requires_grad;
  return *this;
}

Tensor Tensor::grad() const {
  const auto& impl = checked(impl_, "grad");
  Tensor g;
  {
    const std::lock_guard lock(detail::grad_mutex(&impl));  // Note [leaf gradient locks]
    g = impl.grad;
  }
  if (impl.grad_fn && !g.defined() && impl.grad_fn->retained.lock() != impl_) {
    // As PyTorch's UserWarning: backward fills .grad of leaves only.
    warn("grad: the tensor (shape " + shape_str(impl.shape) + ", produced by " +
         impl.grad_fn->name +
         ") is not a leaf, so backward() does not fill its grad(), which stays undefined; "
         "call retain_grad() on it before backward(), or get its gradient with "
         "xg::grad({loss}, {tensor})");
  }
  return g;
}

void Tensor::set_grad(const Tensor& grad) {
  checked(impl_, "set_grad");
  if (grad.defined() && (grad.shape() != shape() || grad.dtype() != dtype())) {
    throw ShapeError("set_grad: gradient of shape " + shape_str(grad.shape()) + " and dtype " +
                     std::string(dtype_name(grad.dtype())) + " does not match tensor " +
                     shape_str(shape()) + " " + std::string(dtype_name(dtype())));
  }
  const std::lock_guard lock(detail::grad_mutex(impl_.get()));
  impl_->grad = grad;
}

void Tensor::zero_grad(bool set_to_none) {
  checked(impl_, "zero_grad");
  const std::lock_guard lock(detail::grad_mutex(impl_.get()));
  if (set_to_none || !impl_->grad.defined()) {
    impl_->grad = Tensor();
    return;
  }
  Tensor g = impl_->grad;
  std::memset(g.impl()->storage->ptr, 0,
              static_cast<std::size_t>(g.numel()) * dtype_size(g.dtype()));
  ++g.impl()->storage->version;
}

std::string Tensor::grad_fn_name() const {
  const auto& impl = checked(impl_, "grad_fn_name");
  return impl.grad_fn ? impl.grad_fn->name : "";
}

}  // namespace xg
