#include "optim/rmsprop.hpp"

#include <cmath>

#include "autograd/function.hpp"
#include "autograd/simd.hpp"

namespace xg::optim {

namespace {

enum Buffer : std::size_t { kSquareAvg = 0, kMomentumBuffer = 1, kGradAvg = 2 };

// One RMSprop update of n values; scalars cast to T and operations in torch's order
// (addcmul: s + (c * a) * b, addcdiv: s + (c * a) / b with c = 1 or -lr).
template <class T>
XG_SIMD_CLONES void rmsprop_kernel(T* p, const T* g, T* sq, T* buf, T* ga, std::int64_t n,
                                   const RMSpropOptions& o) {
  const bool decay = o.weight_decay != 0;
  const T wd = static_cast<T>(o.weight_decay);
  const T alpha = static_cast<T>(o.alpha);
  const T one_minus_alpha = static_cast<T>(1 - o.alpha);
  const T eps = static_cast<T>(o.eps);
  const T mom = static_cast<T>(o.momentum);
  const T neg_lr = static_cast<T>(-o.lr);
  for (std::int64_t i = 0; i < n; ++i) {
    T gi = g[i];
    if (decay) gi = gi + wd * p[i];
    sq[i] = sq[i] * alpha + one_minus_alpha * gi * gi;
    T avg;
    if (ga != nullptr) {
      ga[i] = ga[i] * alpha + one_minus_alpha * gi;
      avg = std::sqrt(sq[i] + T(-1) * ga[i] * ga[i]);
    } else {
      avg = std::sqrt(sq[i]);
    }
    avg = avg + eps;
    if (buf != nullptr) {
      buf[i] = buf[i] * mom + T(1) * gi / avg;
      p[i] = p[i] + neg_lr * buf[i];
    } else {
      p[i] = p[i] + neg_lr * gi / avg;
    }
  }
}

}  // namespace

RMSprop::RMSprop(std::vector<Tensor> params, const RMSpropOptions& options)
    : TypedOptimizer("RMSprop", {"square_avg", "momentum_buffer", "grad_avg"},
                     /*uses_step=*/true) {
  init({{std::move(params), options}});
}

RMSprop::RMSprop(std::vector<Group> groups)
    : TypedOptimizer("RMSprop", {"square_avg", "momentum_buffer", "grad_avg"}, true) {
  init(std::move(groups));
}

void RMSprop::validate(const RMSpropOptions& o) const {
  require(o.lr >= 0, "lr", o.lr, "must be >= 0");
  require(o.eps >= 0, "eps", o.eps, "must be >= 0");
  require(o.momentum >= 0, "momentum", o.momentum, "must be >= 0");
  require(o.weight_decay >= 0, "weight_decay", o.weight_decay, "must be >= 0");
  require(o.alpha >= 0, "alpha", o.alpha, "must be >= 0");
}

bool RMSprop::uses_buffer(const RMSpropOptions& o, std::size_t k) const {
  if (k == kMomentumBuffer) return o.momentum > 0;
  if (k == kGradAvg) return o.centered;
  return true;
}

void RMSprop::step() {
  NoGradGuard no_grad;
  for (std::size_t g = 0; g < params_.size(); ++g) {
    const RMSpropOptions& o = options_[g];
    for (std::size_t i = 0; i < params_[g].size(); ++i) {
      const Tensor grad = grad_of(g, i);
      if (!grad.defined()) continue;
      Tensor& p = params_[g][i];
      ParamState& s = state_[g][i];
      Tensor& sq = buffer(s, kSquareAvg, p);
      Tensor* buf = o.momentum > 0 ? &buffer(s, kMomentumBuffer, p) : nullptr;
      Tensor* ga = o.centered ? &buffer(s, kGradAvg, p) : nullptr;
      s.initialized = true;
      ++s.step;
      autograd::dispatch_float("RMSprop", p.dtype(), [&]<class T>() {
        rmsprop_kernel<T>(p.mutable_data<T>().data(), grad.data_ptr<T>(),
                          sq.mutable_data<T>().data(),
                          buf ? buf->mutable_data<T>().data() : nullptr,
                          ga ? ga->mutable_data<T>().data() : nullptr, p.numel(), o);
      });
    }
  }
}

}  // namespace xg::optim
