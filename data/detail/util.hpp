// Small helpers shared by the data/ sources. Not installed.
#pragma once

#include <memory>

#include "autograd/detail/impl.hpp"

namespace xg::data::detail {

// A tensor with a new shape over the SAME storage (no copy), for data that is not part
// of a graph. shape must have t's number of elements.
inline Tensor reshape_alias(const Tensor& t, const Shape& shape) {
  auto impl = std::make_shared<xg::detail::TensorImpl>();
  impl->storage = t.impl()->storage;
  impl->shape = shape;
  impl->numel = t.numel();
  impl->dtype = t.dtype();
  return Tensor(std::move(impl));
}

}  // namespace xg::data::detail
