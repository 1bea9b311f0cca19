#include "optim/adam.hpp"

#include <cmath>

#include "autograd/function.hpp"
#include "autograd/simd.hpp"

namespace xg::optim {

namespace {

enum Buffer : std::size_t { kExpAvg = 0, kExpAvgSq = 1, kMaxExpAvgSq = 2 };

// One Adam/AdamW update of n values at update number `step` (1 for the first). The bias
// corrections are computed in double as torch does in Python, then every scalar is cast to
// T (torch's tensor-scalar ops on an f32 tensor compute in f32); the operations follow
// torch's order (addcmul: v + (c * g) * g; addcdiv: p + (c * m) / denom).
template <class T, class Options>
XG_SIMD_CLONES void adam_kernel(T* p, const T* g, T* m, T* v, T* vmax, std::int64_t n,
                                std::int64_t step, const Options& o, bool decoupled) {
  const double t = static_cast<double>(step);
  const double bias_correction1 = 1 - std::pow(o.betas[0], t);
  const double bias_correction2 = 1 - std::pow(o.betas[1], t);
  const T neg_step_size = static_cast<T>(-(o.lr / bias_correction1));
  const T bias_correction2_sqrt = static_cast<T>(std::sqrt(bias_correction2));
  const T beta1 = static_cast<T>(o.betas[0]);
  const T beta2 = static_cast<T>(o.betas[1]);
  const T one_minus_beta1 = static_cast<T>(1 - o.betas[0]);
  const T one_minus_beta2 = static_cast<T>(1 - o.betas[1]);
  const T eps = static_cast<T>(o.eps);
  const T wd = static_cast<T>(o.weight_decay);
  const T shrink = static_cast<T>(1 - o.lr * o.weight_decay);
  const bool l2 = !decoupled && o.weight_decay != 0;
  for (std::int64_t i = 0; i < n; ++i) {
    if (decoupled) p[i] = p[i] * shrink;
    T gi = g[i];
    if (l2) gi = gi + wd * p[i];
    m[i] = m[i] * beta1 + one_minus_beta1 * gi;
    v[i] = v[i] * beta2 + one_minus_beta2 * gi * gi;
    T second = v[i];
    if (vmax != nullptr) {
      // torch.maximum propagates NaN.
      // A select rather than a conditional store, so that the loop vectorises.
      second = vmax[i] >= second ? vmax[i] : second;
      vmax[i] = second;
    }
    const T denom = std::sqrt(second) / bias_correction2_sqrt + eps;
    p[i] = p[i] + neg_step_size * m[i] / denom;
  }
}

}  // namespace

template <class Options>
AdamFamily<Options>::AdamFamily(std::string name, bool decoupled)
    : TypedOptimizer<Options>(std::move(name), {"exp_avg", "exp_avg_sq", "max_exp_avg_sq"},
                              /*uses_step=*/true),
      decoupled_(decoupled) {}

template <class Options> void AdamFamily<Options>::validate(const Options& o) const {
  this->require(o.lr >= 0, "lr", o.lr, "must be >= 0");
  this->require(o.eps >= 0, "eps", o.eps, "must be >= 0");
  this->require(o.betas[0] >= 0 && o.betas[0] < 1, "betas[0]", o.betas[0], "must be in [0, 1)");
  this->require(o.betas[1] >= 0 && o.betas[1] < 1, "betas[1]", o.betas[1], "must be in [0, 1)");
  this->require(o.weight_decay >= 0, "weight_decay", o.weight_decay, "must be >= 0");
}

template <class Options>
bool AdamFamily<Options>::uses_buffer(const Options& o, std::size_t k) const {
  return k != kMaxExpAvgSq || o.amsgrad;
}

template <class Options> void AdamFamily<Options>::step() {
  NoGradGuard no_grad;
  for (std::size_t g = 0; g < this->params_.size(); ++g) {
    const Options& o = this->options_[g];
    for (std::size_t i = 0; i < this->params_[g].size(); ++i) {
      const Tensor grad = this->grad_of(g, i);
      if (!grad.defined()) continue;
      Tensor& p = this->params_[g][i];
      auto& s = this->state_[g][i];
      Tensor& m = this->buffer(s, kExpAvg, p);
      Tensor& v = this->buffer(s, kExpAvgSq, p);
      Tensor* vmax = o.amsgrad ? &this->buffer(s, kMaxExpAvgSq, p) : nullptr;
      s.initialized = true;
      ++s.step;
      autograd::dispatch_float(this->name_.c_str(), p.dtype(), [&]<class T>() {
        adam_kernel<T>(p.mutable_data<T>().data(), grad.data_ptr<T>(),
                       m.template mutable_data<T>().data(), v.template mutable_data<T>().data(),
                       vmax ? vmax->template mutable_data<T>().data() : nullptr, p.numel(), s.step,
                       o, decoupled_);
      });
    }
  }
}

template class AdamFamily<AdamOptions>;
template class AdamFamily<AdamWOptions>;

Adam::Adam(std::vector<Tensor> params, const AdamOptions& options)
    : AdamFamily("Adam", /*decoupled=*/false) {
  init({{std::move(params), options}});
}

Adam::Adam(std::vector<Group> groups) : AdamFamily("Adam", false) { init(std::move(groups)); }

AdamW::AdamW(std::vector<Tensor> params, const AdamWOptions& options)
    : AdamFamily("AdamW", /*decoupled=*/true) {
  init({{std::move(params), options}});
}

AdamW::AdamW(std::vector<Group> groups) : AdamFamily("AdamW", true) { init(std::move(groups)); }

}  // namespace xg::optim
