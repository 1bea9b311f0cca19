// softmax and log_softmax along one axis, numerically stable (the maximum is subtracted
// first): softmax([1000, -1000]) is exactly [1, 0], log_softmax of +-1000 is finite.
#pragma once

#include "xgrad/autograd/tensor.hpp"

namespace xg {

Tensor softmax(const Tensor& x, std::int64_t axis = -1);
Tensor log_softmax(const Tensor& x, std::int64_t axis = -1);

}  // namespace xg
