#include "optim/sgd.hpp"

#include <cmath>

#include "autograd/function.hpp"
#include "autograd/simd.hpp"

namespace xg::optim {

namespace {

// One SGD update of n values, with the scalars cast to T first as PyTorch does for a
// tensor-scalar op, and the operations in torch's order so f64 results agree to the last
// bits or so. `first`: buf is fresh and takes d itself (torch.clone(d_p), no dampening).
// The options are template parameters so that the loop has no branches and vectorises
// (with them as runtime tests it ran one float at a time and took a fifth of an MLP epoch).
template <class T, bool Decay, bool Momentum, bool First, bool Nesterov>
XG_SIMD_CLONES void sgd_loop(T* __restrict p, const T* __restrict g, T* __restrict buf,
                             std::int64_t n, T wd, T mom, T keep, T neg_lr) {
  for (std::int64_t i = 0; i < n; ++i) {
    T d = g[i];
    if constexpr (Decay) d = d + wd * p[i];
    if constexpr (Momentum) {
      const T b = First ? d : buf[i] * mom + keep * d;
      buf[i] = b;
      d = Nesterov ? d + mom * b : b;
    }
    p[i] = p[i] + neg_lr * d;
  }
}

template <class T>
void sgd_kernel(T* p, const T* g, T* buf, std::int64_t n, bool first, const SGDOptions& o) {
  const T wd = static_cast<T>(o.weight_decay);
  const T mom = static_cast<T>(o.momentum);
  const T keep = static_cast<T>(1.0 - o.dampening);
  const T neg_lr = static_cast<T>(-o.lr);
  auto run = [&]<bool Decay, bool Momentum, bool First, bool Nesterov>() {
    sgd_loop<T, Decay, Momentum, First, Nesterov>(p, g, buf, n, wd, mom, keep, neg_lr);
  };
  auto with_momentum = [&]<bool Decay>() {
    if (buf == nullptr) return run.template operator()<Decay, false, false, false>();
    if (first) {
      return o.nesterov ? run.template operator()<Decay, true, true, true>()
                        : run.template operator()<Decay, true, true, false>();
    }
    return o.nesterov ? run.template operator()<Decay, true, false, true>()
                      : run.template operator()<Decay, true, false, false>();
  };
  if (o.weight_decay != 0) {
    with_momentum.template operator()<true>();
  } else {
    with_momentum.template operator()<false>();
  }
}

}  // namespace

SGD::SGD(std::vector<Tensor> params, const SGDOptions& options)
    : TypedOptimizer("SGD", {"momentum_buffer"}, /*uses_step=*/false) {
  init({{std::move(params), options}});
}

SGD::SGD(std::vector<Group> groups) : TypedOptimizer("SGD", {"momentum_buffer"}, false) {
  init(std::move(groups));
}

void SGD::validate(const SGDOptions& o) const {
  if (std::isnan(o.lr)) {
    throw ValueError("SGD: no learning rate given (lr = nan): pass {.lr = ...}");
  }
  require(o.lr >= 0, "lr", o.lr, "must be >= 0");
  require(o.momentum >= 0, "momentum", o.momentum, "must be >= 0");
  require(std::isfinite(o.dampening), "dampening", o.dampening, "must be finite");
  require(o.weight_decay >= 0, "weight_decay", o.weight_decay, "must be >= 0");
  if (o.nesterov && (o.momentum <= 0 || o.dampening != 0)) {
    throw ValueError(
        "SGD: nesterov momentum requires a momentum > 0 and zero dampening (got "
        "momentum = " +
        number(o.momentum) + ", dampening = " + number(o.dampening) + ")");
  }
}

bool SGD::uses_buffer(const SGDOptions& o, std::size_t) const { return o.momentum != 0; }

void SGD::step() {
  NoGradGuard no_grad;
  for (std::size_t g = 0; g < params_.size(); ++g) {
    const SGDOptions& o = options_[g];
    for (std::size_t i = 0; i < params_[g].size(); ++i) {
      const Tensor grad = grad_of(g, i);
      if (!grad.defined()) continue;
      Tensor& p = params_[g][i];
      ParamState& s = state_[g][i];
      Tensor* buf = nullptr;
      bool first = false;
      if (o.momentum != 0) {
        first = !s.buffers[0].defined();
        if (first) s.buffers[0] = xg::empty(p.shape(), {.dtype = p.dtype()});
        buf = &buffer(s, 0, p);
      }
      autograd::dispatch_float("SGD", p.dtype(), [&]<class T>() {
        sgd_kernel<T>(p.mutable_data<T>().data(), grad.data_ptr<T>(),
                      buf ? buf->mutable_data<T>().data() : nullptr, p.numel(), first, o);
      });
      s.initialized = true;
      ++s.step;
    }
  }
}

}  // namespace xg::optim
