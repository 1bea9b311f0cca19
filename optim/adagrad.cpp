#include "optim/adagrad.hpp"

#include <cmath>

#include "autograd/function.hpp"
#include "autograd/simd.hpp"

namespace xg::optim {

namespace {

// One Adagrad update of n values; scalars cast to T and operations in torch's order
// (addcmul with value 1: s + (1 * g) * g; addcdiv: p + (-clr * g) / std).
template <class T>
XG_SIMD_CLONES void adagrad_kernel(T* p, const T* g, T* sum, std::int64_t n, std::int64_t step,
                                   const AdagradOptions& o) {
  const double clr = o.lr / (1 + static_cast<double>(step - 1) * o.lr_decay);
  const T neg_clr = static_cast<T>(-clr);
  const bool decay = o.weight_decay != 0;
  const T wd = static_cast<T>(o.weight_decay);
  const T eps = static_cast<T>(o.eps);
  for (std::int64_t i = 0; i < n; ++i) {
    T gi = g[i];
    if (decay) gi = gi + wd * p[i];
    sum[i] = sum[i] + T(1) * gi * gi;
    const T std_dev = std::sqrt(sum[i]) + eps;
    p[i] = p[i] + neg_clr * gi / std_dev;
  }
}

}  // namespace

Adagrad::Adagrad(std::vector<Tensor> params, const AdagradOptions& options)
    : TypedOptimizer("Adagrad", {"sum"}, /*uses_step=*/true) {
  init({{std::move(params), options}});
}

Adagrad::Adagrad(std::vector<Group> groups) : TypedOptimizer("Adagrad", {"sum"}, true) {
  init(std::move(groups));
}

void Adagrad::validate(const AdagradOptions& o) const {
  require(o.lr >= 0, "lr", o.lr, "must be >= 0");
  require(o.lr_decay >= 0, "lr_decay", o.lr_decay, "must be >= 0");
  require(o.weight_decay >= 0, "weight_decay", o.weight_decay, "must be >= 0");
  require(o.initial_accumulator_value >= 0, "initial_accumulator_value",
          o.initial_accumulator_value, "must be >= 0");
  require(o.eps >= 0, "eps", o.eps, "must be >= 0");
}

bool Adagrad::uses_buffer(const AdagradOptions&, std::size_t) const { return true; }

void Adagrad::step() {
  NoGradGuard no_grad;
  for (std::size_t g = 0; g < params_.size(); ++g) {
    const AdagradOptions& o = options_[g];
    for (std::size_t i = 0; i < params_[g].size(); ++i) {
      const Tensor grad = grad_of(g, i);
      if (!grad.defined()) continue;
      Tensor& p = params_[g][i];
      ParamState& s = state_[g][i];
      if (!s.buffers[0].defined()) {
        s.buffers[0] = full(p.shape(), o.initial_accumulator_value, {.dtype = p.dtype()});
      }
      Tensor& sum = buffer(s, 0, p);
      s.initialized = true;
      ++s.step;
      autograd::dispatch_float("Adagrad", p.dtype(), [&]<class T>() {
        adagrad_kernel<T>(p.mutable_data<T>().data(), grad.data_ptr<T>(),
                          sum.mutable_data<T>().data(), p.numel(), s.step, o);
      });
    }
  }
}

}  // namespace xg::optim
