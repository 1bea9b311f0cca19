// operator<< for tensors: values in nested brackets, then shape and dtype, PyTorch-like.
// Tensors with more than 1000 elements are summarised: the first and last three entries
// along each axis, with "..." between.
#include <cstdio>
#include <ostream>

#include "autograd/detail/impl.hpp"

namespace xg {

namespace {

constexpr std::int64_t summarise_above = 1000;
constexpr std::int64_t edge_items = 3;

template <class T> std::string format_value(T v) {
  char buf[64];
  if constexpr (std::is_integral_v<T>) {
    std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(v));
  } else {
    std::snprintf(buf, sizeof buf, "%.4f", static_cast<double>(v));
  }
  return buf;
}

template <class T>
void print_axis(std::ostream& os, const T* p, const Shape& shape,
                const std::vector<std::int64_t>& strides, std::size_t axis, std::int64_t offset,
                bool summarise, int indent) {
  if (axis == shape.size()) {
    os << format_value(p[offset]);
    return;
  }
  os << '[';
  const std::int64_t n = shape[axis];
  const bool cut = summarise && n > 2 * edge_items;
  for (std::int64_t i = 0; i < n; ++i) {
    if (cut && i == edge_items) {
      os << "...";
      i = n - edge_items - 1;
      os << (axis + 1 == shape.size() ? ", " : ",\n" + std::string(indent + 1, ' '));
      continue;
    }
    print_axis(os, p, shape, strides, axis + 1, offset + i * strides[axis], summarise, indent + 1);
    if (i + 1 < n) os << (axis + 1 == shape.size() ? ", " : ",\n" + std::string(indent + 1, ' '));
  }
  os << ']';
}

}  // namespace

std::ostream& operator<<(std::ostream& os, Dtype d) { return os << dtype_name(d); }

std::ostream& operator<<(std::ostream& os, const Tensor& t) {
  if (!t.defined()) return os << "tensor(undefined)";
  os << "tensor(";
  autograd::dispatch(t.dtype(), [&]<class T>() {
    print_axis(os, detail::ptr<T>(t), t.shape(), detail::contiguous_strides(t.shape()), 0, 0,
               t.numel() > summarise_above, 7);
  });
  os << ", shape=" << shape_str(t.shape()) << ", dtype=" << t.dtype();
  if (t.requires_grad()) {
    if (t.is_leaf()) {
      os << ", requires_grad=true";
    } else {
      os << ", grad_fn=" << t.grad_fn_name();
    }
  }
  return os << ')';
}

}  // namespace xg
