// L1 and L2 penalties, composed from differentiable ops (abs/square, sum, add).
#include "nn/regularization.hpp"

#include "autograd/function.hpp"
#include "autograd/ops/elementwise.hpp"
#include "autograd/ops/reduce.hpp"

namespace xg::nn {

namespace {
template <class Term> Tensor penalty(const char* op, const std::vector<Tensor>& params, Term term) {
  Tensor total;
  for (const auto& p : params) {
    xg::autograd::check_defined(op, p);
    xg::autograd::check_floating(op, p);
    if (total.defined() && total.dtype() != p.dtype()) {
      throw DtypeError(std::string(op) + ": parameters mix dtypes " +
                       std::string(dtype_name(total.dtype())) + " and " +
                       std::string(dtype_name(p.dtype())) + " (tensor of shape " +
                       shape_str(p.shape()) + ")");
    }
    Tensor t = sum(term(p));
    total = total.defined() ? total + t : t;
  }
  return total.defined() ? total : scalar_tensor(0.0);
}
}  // namespace

Tensor l1_penalty(const std::vector<Tensor>& params) {
  return penalty("l1_penalty", params, [](const Tensor& p) { return abs(p); });
}

Tensor l2_penalty(const std::vector<Tensor>& params) {
  return penalty("l2_penalty", params, [](const Tensor& p) { return square(p); });
}

}  // namespace xg::nn
