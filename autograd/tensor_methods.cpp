// Method forms of the free-function ops, for code written the PyTorch way (x.sum()).
#include "autograd/ops/elementwise.hpp"
#include "autograd/ops/linalg.hpp"
#include "autograd/ops/reduce.hpp"
#include "autograd/ops/shape.hpp"
#include "autograd/tensor.hpp"

namespace xg {

Tensor Tensor::sum() const { return xg::sum(*this); }
Tensor Tensor::sum(const Axes& axes, bool keepdim) const { return xg::sum(*this, axes, keepdim); }
Tensor Tensor::mean() const { return xg::mean(*this); }
Tensor Tensor::mean(const Axes& axes, bool keepdim) const { return xg::mean(*this, axes, keepdim); }
Tensor Tensor::max() const { return xg::max(*this); }
Tensor Tensor::min() const { return xg::min(*this); }
Tensor Tensor::argmax() const { return xg::argmax(*this); }
Tensor Tensor::argmax(std::int64_t axis, bool keepdim) const {
  return xg::argmax(*this, axis, keepdim);
}
Tensor Tensor::reshape(const Shape& shape) const { return xg::reshape(*this, shape); }
Tensor Tensor::flatten(std::int64_t start_axis, std::int64_t end_axis) const {
  return xg::flatten(*this, start_axis, end_axis);
}
Tensor Tensor::transpose(std::int64_t axis0, std::int64_t axis1) const {
  return xg::transpose(*this, axis0, axis1);
}
Tensor Tensor::t() const {
  if (dim() != 2) {
    throw ShapeError("t: expects a 2-D tensor, got shape " + shape_str(shape()) +
                     "; use transpose() or permute()");
  }
  return xg::transpose(*this, 0, 1);
}
Tensor Tensor::permute(const Axes& axes) const { return xg::permute(*this, axes); }
Tensor Tensor::squeeze() const { return xg::squeeze(*this); }
Tensor Tensor::squeeze(std::int64_t axis) const { return xg::squeeze(*this, axis); }
Tensor Tensor::unsqueeze(std::int64_t axis) const { return xg::unsqueeze(*this, axis); }
Tensor Tensor::pow(double exponent) const { return xg::pow(*this, exponent); }
Tensor Tensor::exp() const { return xg::exp(*this); }
Tensor Tensor::log() const { return xg::log(*this); }
Tensor Tensor::sqrt() const { return xg::sqrt(*this); }
Tensor Tensor::abs() const { return xg::abs(*this); }
Tensor Tensor::matmul(const Tensor& other) const { return xg::matmul(*this, other); }

}  // namespace xg
