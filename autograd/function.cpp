// The checks of the op-authoring API (autograd/function.hpp). Recording and BackwardCtx
// live with the engine (engine.cpp).
#include "autograd/function.hpp"

#include <algorithm>
#include <sstream>

namespace xg::autograd {

bool valid_shape(const Shape& shape) noexcept {
  std::int64_t n = 1;
  for (auto s : shape) {
    if (s < 0 || __builtin_mul_overflow(n, std::max<std::int64_t>(s, 1), &n)) return false;
  }
  return true;
}

std::int64_t shape_numel(const Shape& shape) {
  if (!valid_shape(shape)) {
    const bool negative = std::any_of(shape.begin(), shape.end(), [](auto s) { return s < 0; });
    throw ShapeError(
        "shape " + shape_str(shape) +
        (negative ? " has a negative size" : " has sizes whose product does not fit in 64 bits"));
  }
  std::int64_t n = 1;
  for (auto s : shape) n *= s;
  return n;
}

void check_defined(const char* op, const Tensor& t) {
  if (!t.defined()) throw GraphError(std::string(op) + ": got an undefined tensor");
}

void check_floating(const char* op, const Tensor& t) {
  check_defined(op, t);
  if (!is_floating(t.dtype())) {
    throw DtypeError(std::string(op) + ": expected a float tensor (f32 or f64), got i64");
  }
}

Dtype result_dtype(const char* op, const Tensor& a, const Tensor& b) {
  check_defined(op, a);
  check_defined(op, b);
  const Dtype da = a.dtype(), db = b.dtype();
  if (da == db) return da;
  if (da == Dtype::i64) return db;
  if (db == Dtype::i64) return da;
  std::ostringstream os;
  os << op << ": mixed float dtypes " << dtype_name(da) << " and " << dtype_name(db) << " (shapes "
     << shape_str(a.shape()) << " and " << shape_str(b.shape()) << "); convert one with .to()";
  throw DtypeError(os.str());
}

std::int64_t normalize_axis(const char* op, std::int64_t axis, const Shape& shape) {
  const auto nd = static_cast<std::int64_t>(shape.size());
  if (axis < -nd || axis >= nd) {
    std::ostringstream os;
    os << op << ": axis " << axis << " is out of range for shape " << shape_str(shape) << " (" << nd
       << " axes)";
    throw ShapeError(os.str());
  }
  return axis < 0 ? axis + nd : axis;
}

Axes normalize_axes(const char* op, const Axes& axes, const Shape& shape) {
  Axes out;
  if (axes.empty()) {
    for (std::size_t i = 0; i < shape.size(); ++i) out.push_back(static_cast<std::int64_t>(i));
    return out;
  }
  for (auto a : axes) {
    const auto n = normalize_axis(op, a, shape);
    for (auto seen : out) {
      if (seen == n) {
        throw ShapeError(std::string(op) + ": axis " + std::to_string(a) +
                         " appears more than once for shape " + shape_str(shape));
      }
    }
    out.push_back(n);
  }
  std::sort(out.begin(), out.end());
  return out;
}

Shape broadcast_shapes(const char* op, const Shape& a, const Shape& b) {
  const std::size_t nd = std::max(a.size(), b.size());
  Shape out(nd);
  for (std::size_t i = 0; i < nd; ++i) {
    const std::int64_t da = i < nd - a.size() ? 1 : a[i - (nd - a.size())];
    const std::int64_t db = i < nd - b.size() ? 1 : b[i - (nd - b.size())];
    if (da != db && da != 1 && db != 1) {
      throw ShapeError(std::string(op) + ": shapes " + shape_str(a) + " and " + shape_str(b) +
                       " cannot be broadcast together");
    }
    out[i] = da == 1 ? db : da;
  }
  return out;
}

}  // namespace xg::autograd
