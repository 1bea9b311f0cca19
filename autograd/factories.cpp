// The creation functions of tensor.hpp: tensor(), zeros(), ones(), full(), arange(), ...
#include <cmath>
#include <string>

#include "autograd/detail/checked.hpp"
#include "autograd/detail/impl.hpp"
#include "autograd/factories.hpp"

namespace xg {

// ---- creation --------------------------------------------------------------------------

static void check_creation_options(const char* op, const TensorOptions& opts) {
  if (opts.requires_grad && !is_floating(opts.dtype)) {
    throw DtypeError(std::string(op) + ": an i64 tensor cannot require gradients");
  }
}

static Tensor filled(const char* op, const Shape& shape, double value, TensorOptions opts) {
  check_creation_options(op, opts);
  Tensor out = detail::empty(shape, opts.dtype);
  autograd::dispatch(opts.dtype, [&]<class T>() {
    T* p = detail::ptr<T>(out);
    const T v = detail::convert<T>(op, value);
    for (std::int64_t i = 0, n = out.numel(); i < n; ++i) p[i] = v;
  });
  out.impl()->requires_grad = opts.requires_grad;
  return out;
}

Tensor tensor(const std::vector<double>& values, const Shape& shape, TensorOptions opts) {
  check_creation_options("tensor", opts);
  const auto n = autograd::shape_numel(shape);
  if (n != static_cast<std::int64_t>(values.size())) {
    throw ShapeError("tensor: " + std::to_string(values.size()) + " values do not fill shape " +
                     shape_str(shape) + " (" + std::to_string(n) + " elements)");
  }
  Tensor out = detail::empty(shape, opts.dtype);
  autograd::dispatch(opts.dtype, [&]<class T>() {
    T* p = detail::ptr<T>(out);
    for (std::int64_t i = 0; i < n; ++i) p[i] = detail::convert<T>("tensor", values[i]);
  });
  out.impl()->requires_grad = opts.requires_grad;
  return out;
}

Tensor tensor(const std::vector<double>& values) {
  return tensor(values, {static_cast<std::int64_t>(values.size())});
}
Tensor scalar_tensor(double value, TensorOptions opts) {
  return filled("scalar_tensor", {}, value, opts);
}

Tensor tensor_i64(const std::vector<std::int64_t>& values, const Shape& shape) {
  const auto n = autograd::shape_numel(shape);
  if (n != static_cast<std::int64_t>(values.size())) {
    throw ShapeError("tensor_i64: " + std::to_string(values.size()) + " values do not fill shape " +
                     shape_str(shape) + " (" + std::to_string(n) + " elements)");
  }
  Tensor out = detail::empty(shape, Dtype::i64);
  std::copy(values.begin(), values.end(), detail::ptr<std::int64_t>(out));
  return out;
}
Tensor tensor_i64(const std::vector<std::int64_t>& values) {
  return tensor_i64(values, {static_cast<std::int64_t>(values.size())});
}

Tensor empty(const Shape& shape, TensorOptions opts) {
  check_creation_options("empty", opts);
  Tensor out = detail::empty(shape, opts.dtype);
  out.impl()->requires_grad = opts.requires_grad;
  return out;
}

Tensor zeros(const Shape& shape, TensorOptions opts) { return filled("zeros", shape, 0.0, opts); }
Tensor ones(const Shape& shape, TensorOptions opts) { return filled("ones", shape, 1.0, opts); }
Tensor full(const Shape& shape, double value, TensorOptions opts) {
  return filled("full", shape, value, opts);
}
Tensor zeros_like(const Tensor& like, bool requires_grad) {
  return filled("zeros_like", like.shape(), 0.0, {like.dtype(), requires_grad});
}
Tensor ones_like(const Tensor& like, bool requires_grad) {
  return filled("ones_like", like.shape(), 1.0, {like.dtype(), requires_grad});
}
Tensor full_like(const Tensor& like, double value, bool requires_grad) {
  return filled("full_like", like.shape(), value, {like.dtype(), requires_grad});
}

Tensor arange(double end, TensorOptions opts) { return arange(0.0, end, 1.0, opts); }

Tensor arange(double start, double end, double step, TensorOptions opts) {
  check_creation_options("arange", opts);
  if (step == 0.0 || !std::isfinite(step) || !std::isfinite(start) || !std::isfinite(end)) {
    throw ValueError("arange: start, end and step must be finite and step non-zero (got " +
                     std::to_string(start) + ", " + std::to_string(end) + ", " +
                     std::to_string(step) + ")");
  }
  if ((end - start) / step < 0) {
    throw ValueError("arange: step " + std::to_string(step) + " moves away from end " +
                     std::to_string(end) + " starting at " + std::to_string(start));
  }
  // Counted in double first: (end - start) / step may be far beyond what any tensor holds.
  const double count = std::ceil((end - start) / step);
  if (!(count <= static_cast<double>(detail::kMaxNumel))) {
    throw ValueError("arange: (end - start) / step gives " + detail::number_str(count) +
                     " elements, more than this library allocates");
  }
  const auto n = static_cast<std::int64_t>(count);
  Tensor out = detail::empty({n}, opts.dtype);
  autograd::dispatch(opts.dtype, [&]<class T>() {
    T* p = detail::ptr<T>(out);
    for (std::int64_t i = 0; i < n; ++i)
      p[i] = detail::convert<T>("arange", start + static_cast<double>(i) * step);
  });
  out.impl()->requires_grad = opts.requires_grad;
  return out;
}

Tensor linspace(double start, double end, std::int64_t steps, TensorOptions opts) {
  check_creation_options("linspace", opts);
  if (steps < 0) throw ValueError("linspace: steps must be >= 0, got " + std::to_string(steps));
  Tensor out = detail::empty({steps}, opts.dtype);
  autograd::dispatch(opts.dtype, [&]<class T>() {
    T* p = detail::ptr<T>(out);
    const double h = steps > 1 ? (end - start) / static_cast<double>(steps - 1) : 0.0;
    for (std::int64_t i = 0; i < steps; ++i)
      p[i] = detail::convert<T>("linspace", start + static_cast<double>(i) * h);
    if (steps > 1) p[steps - 1] = detail::convert<T>("linspace", end);
  });
  out.impl()->requires_grad = opts.requires_grad;
  return out;
}

}  // namespace xg
