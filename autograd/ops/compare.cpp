// Comparisons and where(). Comparisons return fresh i64 0/1 tensors and never record a
// graph (their results are piecewise constant: the gradient is 0 almost everywhere and
// PyTorch does not propagate one either). where() records a node for its two value
// operands; its backward is again where(), so it stays differentiable.
#include "autograd/ops/compare.hpp"

#include <cmath>
#include <cstdint>
#include <string>

#include "autograd/detail/impl.hpp"
#include "autograd/detail/strided.hpp"

namespace xg {

namespace {

enum class Cmp { eq, ne, lt, le, gt, ge };

// Plain C++ comparisons, which give IEEE semantics for NaN (only ne is true), as PyTorch.
template <Cmp C, class T> inline std::int64_t compare(T a, T b) {
  if constexpr (C == Cmp::eq) return a == b;
  if constexpr (C == Cmp::ne) return a != b;
  if constexpr (C == Cmp::lt) return a < b;
  if constexpr (C == Cmp::le) return a <= b;
  if constexpr (C == Cmp::gt) return a > b;
  if constexpr (C == Cmp::ge) return a >= b;
}

template <Cmp C> Tensor compare_tensors(const char* op, const Tensor& a, const Tensor& b) {
  autograd::check_defined(op, a);
  autograd::check_defined(op, b);
  const Dtype dtype = autograd::result_dtype(op, a, b);
  const Shape shape = autograd::broadcast_shapes(op, a.shape(), b.shape());
  // An i64 operand against a float one is compared in the float dtype (PyTorch's type
  // promotion); cast_values returns the tensor itself when no conversion is needed.
  const Tensor ca = detail::cast_values(a, dtype);
  const Tensor cb = detail::cast_values(b, dtype);
  Tensor out = detail::empty(shape, Dtype::i64);
  autograd::dispatch(dtype, [&]<class T>() {
    detail::broadcast_binary<T, std::int64_t>(detail::ptr<T>(ca), a.shape(), detail::ptr<T>(cb),
                                              b.shape(), detail::ptr<std::int64_t>(out), shape,
                                              [](T u, T v) { return compare<C, T>(u, v); });
  });
  return out;
}

template <Cmp C, class T, class S>
void compare_loop(const T* in, std::int64_t n, S b, std::int64_t* out) {
  for (std::int64_t i = 0; i < n; ++i) out[i] = compare<C, S>(static_cast<S>(in[i]), b);
}

// True when b is an integer that an i64 holds exactly.
bool is_i64_value(double b) {
  return std::floor(b) == b && b >= -9223372036854775808.0 && b < 9223372036854775808.0;
}

template <Cmp C> Tensor compare_scalar(const char* op, const Tensor& a, double b) {
  autograd::check_defined(op, a);
  Tensor out = detail::empty(a.shape(), Dtype::i64);
  std::int64_t* o = detail::ptr<std::int64_t>(out);
  const std::int64_t n = a.numel();
  switch (a.dtype()) {
    case Dtype::f32:
      // The scalar takes the tensor's dtype, as in PyTorch (x == 0.1 is true for
      // x = float32(0.1)).
      compare_loop<C>(detail::ptr<float>(a), n, static_cast<float>(b), o);
      break;
    case Dtype::f64: compare_loop<C>(detail::ptr<double>(a), n, b, o); break;
    case Dtype::i64:
      // Integral scalars compare exactly in i64 (labels == 3); others in double, which is
      // exact for |values| < 2^53 (PyTorch would round both to f32 here).
      if (is_i64_value(b)) {
        compare_loop<C>(detail::ptr<std::int64_t>(a), n, static_cast<std::int64_t>(b), o);
      } else {
        compare_loop<C>(detail::ptr<std::int64_t>(a), n, b, o);
      }
      break;
  }
  return out;
}

// The broadcast shape of where's three operands, with an error naming all three.
Shape where_shape(const Tensor& cond, const Tensor& a, const Tensor& b) {
  try {
    return autograd::broadcast_shapes(
        "where", autograd::broadcast_shapes("where", cond.shape(), a.shape()), b.shape());
  } catch (const ShapeError&) {
    throw ShapeError("where: condition " + shape_str(cond.shape()) + ", input " +
                     shape_str(a.shape()) + " and other " + shape_str(b.shape()) +
                     " cannot be broadcast together");
  }
}

// out[i] = c[i] != 0 ? a[i] : b[i] with all three broadcast to out_shape.
template <class C, class T>
void where_kernel(const C* c, const Shape& c_shape, const T* a, const Shape& a_shape, const T* b,
                  const Shape& b_shape, T* out, const Shape& out_shape) {
  const std::int64_t n = autograd::shape_numel(out_shape);
  if (n == 0) return;
  if (c_shape == out_shape && a_shape == out_shape && b_shape == out_shape) {
    for (std::int64_t i = 0; i < n; ++i) out[i] = c[i] != C(0) ? a[i] : b[i];
    return;
  }
  // The output walked row by row with one offset per operand (Note [strided rows]), as
  // detail::broadcast_general.
  const auto sc = detail::broadcast_strides(c_shape, out_shape);
  const auto sa = detail::broadcast_strides(a_shape, out_shape);
  const auto sb = detail::broadcast_strides(b_shape, out_shape);
  detail::StridedRows<3> r(out_shape, {sc, sa, sb});
  const std::int64_t len = r.size(), ic = r.stride(0), ia = r.stride(1), ib = r.stride(2);
  for (; !r.done(); r.next()) {
    const C* rc = c + r.offset(0);
    const T* ra = a + r.offset(1);
    const T* rb = b + r.offset(2);
    T* o = out + r.pos();
    for (std::int64_t j = 0; j < len; ++j) o[j] = rc[j * ic] != C(0) ? ra[j * ia] : rb[j * ib];
  }
}

// The dtype a Python-style scalar takes next to a tensor of dtype `other`: the tensor's
// dtype, except that a fractional value next to an i64 tensor gives f32 (PyTorch's
// default float dtype) instead of being truncated.
Dtype scalar_dtype(Dtype other, double value) {
  if (other == Dtype::i64 && !is_i64_value(value)) return Dtype::f32;
  return other;
}

}  // namespace

Tensor eq(const Tensor& a, const Tensor& b) { return compare_tensors<Cmp::eq>("eq", a, b); }
Tensor ne(const Tensor& a, const Tensor& b) { return compare_tensors<Cmp::ne>("ne", a, b); }
Tensor lt(const Tensor& a, const Tensor& b) { return compare_tensors<Cmp::lt>("lt", a, b); }
Tensor le(const Tensor& a, const Tensor& b) { return compare_tensors<Cmp::le>("le", a, b); }
Tensor gt(const Tensor& a, const Tensor& b) { return compare_tensors<Cmp::gt>("gt", a, b); }
Tensor ge(const Tensor& a, const Tensor& b) { return compare_tensors<Cmp::ge>("ge", a, b); }

Tensor eq(const Tensor& a, double b) { return compare_scalar<Cmp::eq>("eq", a, b); }
Tensor ne(const Tensor& a, double b) { return compare_scalar<Cmp::ne>("ne", a, b); }
Tensor lt(const Tensor& a, double b) { return compare_scalar<Cmp::lt>("lt", a, b); }
Tensor le(const Tensor& a, double b) { return compare_scalar<Cmp::le>("le", a, b); }
Tensor gt(const Tensor& a, double b) { return compare_scalar<Cmp::gt>("gt", a, b); }
Tensor ge(const Tensor& a, double b) { return compare_scalar<Cmp::ge>("ge", a, b); }

Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b) {
  autograd::check_defined("where", cond);
  const Dtype dtype = autograd::result_dtype("where", a, b);  // checks a and b are defined
  const Shape shape = where_shape(cond, a, b);
  const Tensor ca = detail::cast_values(a, dtype);
  const Tensor cb = detail::cast_values(b, dtype);
  Tensor out = detail::empty(shape, dtype);
  autograd::dispatch(cond.dtype(), [&]<class C>() {
    autograd::dispatch(dtype, [&]<class T>() {
      where_kernel<C, T>(detail::ptr<C>(cond), cond.shape(), detail::ptr<T>(ca), a.shape(),
                         detail::ptr<T>(cb), b.shape(), detail::ptr<T>(out), shape);
    });
  });
  // cond is not an input of the node (it gets no gradient); it is saved as its values
  // only, detached so that a cond computed from tensors needing grad does not keep their
  // graph alive. Gradients have the output's shape; the engine reduces them.
  if (autograd::needs_record({a, b})) {
    const Tensor c = cond.detach();
    autograd::record("where", out, {a, b}, {c}, [](const autograd::BackwardCtx& ctx) {
      const Tensor c = ctx.saved(0);
      tensor_list grads(2);
      if (ctx.needs(0)) grads[0] = where(c, ctx.grad, 0.0);
      if (ctx.needs(1)) grads[1] = where(c, 0.0, ctx.grad);
      return grads;
    });
  }
  return out;
}

Tensor where(const Tensor& cond, const Tensor& a, double b) {
  autograd::check_defined("where", a);
  return where(cond, a, scalar_tensor(b, {.dtype = scalar_dtype(a.dtype(), b)}));
}

Tensor where(const Tensor& cond, double a, const Tensor& b) {
  autograd::check_defined("where", b);
  return where(cond, scalar_tensor(a, {.dtype = scalar_dtype(b.dtype(), a)}), b);
}

}  // namespace xg
