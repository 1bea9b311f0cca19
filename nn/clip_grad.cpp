// Gradient clipping. Gradients are rescaled through their raw buffers: they are plain
// values at this point (not part of a graph being recorded), as in PyTorch's in-place mul_.
#include "nn/clip_grad.hpp"

#include <algorithm>
#include <cmath>
#include <set>
#include <sstream>
#include <string>

#include "autograd/function.hpp"

namespace xg::nn::utils {

namespace {

std::string num(double v) {
  std::ostringstream os;
  os << v;
  return os.str();
}

// The defined gradients of params.
std::vector<Tensor> grads_of(const char* op, const std::vector<Tensor>& params) {
  std::vector<Tensor> grads;
  for (const auto& p : params) {
    xg::autograd::check_defined(op, p);
    Tensor g = p.grad();
    if (g.defined()) grads.push_back(g);
  }
  return grads;
}

// Applies f to every element of every gradient once. Two parameters may hold the same
// gradient buffer (a gradient set with set_grad, or kept from create_graph): each buffer
// is visited once so that it is not scaled twice.
template <class F> void for_each_element(std::vector<Tensor>& grads, F f) {
  std::set<const void*> seen;
  for (auto& g : grads) {
    if (!seen.insert(g.data_ptr()).second) continue;
    xg::autograd::dispatch_float("clip_grad", g.dtype(), [&]<class T>() {
      for (T& v : g.mutable_data<T>()) v = static_cast<T>(f(static_cast<double>(v)));
    });
  }
}

}  // namespace

double clip_grad_norm_(const std::vector<Tensor>& params, double max_norm, double norm_type,
                       bool error_if_nonfinite) {
  if (!(max_norm >= 0.0)) {
    throw ValueError("clip_grad_norm_: max_norm must be >= 0, got " + num(max_norm));
  }
  if (!(norm_type > 0.0)) {
    throw ValueError("clip_grad_norm_: norm_type must be > 0 (or INFINITY), got " + num(norm_type));
  }
  std::vector<Tensor> grads = grads_of("clip_grad_norm_", params);
  if (grads.empty()) return 0.0;

  const bool inf_norm = std::isinf(norm_type);
  double acc = 0.0;  // sum |g|^p, or max |g| for the inf norm
  for (const auto& g : grads) {
    xg::autograd::dispatch_float("clip_grad_norm_", g.dtype(), [&]<class T>() {
      for (T v : g.data<T>()) {
        const double a = std::abs(static_cast<double>(v));
        if (inf_norm) {
          // A NaN must win and stay, as in torch.max.
          if (std::isnan(a) || a > acc) acc = a;
        } else if (norm_type == 2.0) {
          acc += a * a;
        } else if (norm_type == 1.0) {
          acc += a;
        } else {
          acc += std::pow(a, norm_type);
        }
      }
    });
  }
  double total;
  if (inf_norm || norm_type == 1.0) {
    total = acc;
  } else if (norm_type == 2.0) {
    total = std::sqrt(acc);
  } else {
    total = std::pow(acc, 1.0 / norm_type);
  }

  if (error_if_nonfinite && !std::isfinite(total)) {
    throw ValueError("clip_grad_norm_: the total norm of order " + num(norm_type) +
                     " of the gradients is non-finite (" + num(total) +
                     "), so it cannot be clipped; pass error_if_nonfinite = false to scale the "
                     "gradients by it anyway");
  }
  const double coef = max_norm / (total + 1e-6);
  // PyTorch multiplies by min(coef, 1); skipping the multiplication by exactly 1 gives
  // the same values. A NaN coefficient (NaN norm) is applied, as in PyTorch.
  if (coef < 1.0 || std::isnan(coef)) {
    for_each_element(grads, [coef](double v) { return v * coef; });
  }
  return total;
}

void clip_grad_value_(const std::vector<Tensor>& params, double clip_value) {
  if (!(clip_value >= 0.0)) {
    throw ValueError("clip_grad_value_: clip_value must be >= 0, got " + num(clip_value));
  }
  std::vector<Tensor> grads = grads_of("clip_grad_value_", params);
  // std::clamp would turn NaN into a bound; PyTorch's clamp keeps NaN.
  for_each_element(grads, [clip_value](double v) {
    if (std::isnan(v)) return v;
    return std::min(std::max(v, -clip_value), clip_value);
  });
}

}  // namespace xg::nn::utils
