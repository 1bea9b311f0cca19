// Opt-in interop with xtensor: include this header (and have xtensor on the include path)
// to convert between xg::Tensor and xt::xarray<T>. xgrad.hpp does not include it, so
// code that does not need it compiles without xtensor.
#pragma once

#include <xtensor/xadapt.hpp>
#include <xtensor/xarray.hpp>

#include <algorithm>
#include <cstdint>

#include "xgrad/autograd/tensor.hpp"

namespace xg {

// A new tensor holding a copy of the array's values (T: float, double or std::int64_t;
// the dtype follows T). requires_grad must be false for std::int64_t.
template <class T> Tensor from_xarray(const xt::xarray<T>& array, bool requires_grad = false) {
  Shape shape(array.shape().begin(), array.shape().end());
  Tensor out = zeros(shape, {.dtype = dtype_of<T>()});
  auto dst = out.mutable_data<T>();
  // xarray's default layout is row-major, like Tensor; copy through an iterator so any
  // layout works.
  std::copy(array.begin(), array.end(), dst.begin());
  if (requires_grad) out.requires_grad_();
  return out;
}

// A copy of the tensor's values as an xarray<T>, converted to T.
template <class T> xt::xarray<T> to_xarray(const Tensor& t) {
  std::vector<std::size_t> shape(t.shape().begin(), t.shape().end());
  const std::vector<T> values = t.to_vector<T>();
  return xt::xarray<T>(xt::adapt(values, shape));
}

}  // namespace xg
