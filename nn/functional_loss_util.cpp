// Checks and reductions shared by the loss functions.
#include <limits>
#include <string>

#include "autograd/function.hpp"
#include "autograd/ops/elementwise.hpp"
#include "autograd/ops/reduce.hpp"
#include "autograd/ops/shape.hpp"
#include "nn/detail/loss_util.hpp"

namespace xg::nn {

const char* reduction_name(Reduction r) {
  switch (r) {
    case Reduction::none: return "none";
    case Reduction::mean: return "mean";
    case Reduction::sum: return "sum";
    case Reduction::batchmean: return "batchmean";
  }
  return "?";
}

namespace detail {
namespace {

std::string describe(const Tensor& t) {
  return std::string(dtype_name(t.dtype())) + " of shape " + shape_str(t.shape());
}

}  // namespace

void check_reduction(const char* op, Reduction reduction, bool allow_batchmean) {
  const auto r = static_cast<int>(reduction);
  if (r > static_cast<int>(Reduction::batchmean)) {
    throw ValueError(std::string(op) + ": unknown reduction " + std::to_string(r));
  }
  if (reduction == Reduction::batchmean && !allow_batchmean) {
    throw ValueError(std::string(op) +
                     ": reduction batchmean is only valid for kl_div; use none, mean or sum");
  }
}

void check_float_input(const char* op, const Tensor& input) {
  xg::autograd::check_defined(op, input);
  if (!is_floating(input.dtype())) {
    throw DtypeError(std::string(op) + ": input must be a float tensor (f32 or f64), got " +
                     describe(input));
  }
}

void check_float_like(const char* op, const char* what, const Tensor& t, const Tensor& input) {
  xg::autograd::check_defined(op, t);
  if (t.dtype() != input.dtype()) {
    throw DtypeError(std::string(op) + ": " + what + " must be " +
                     std::string(dtype_name(input.dtype())) + " like the input, got " +
                     describe(t));
  }
}

void check_same_shape(const char* op, const Tensor& input, const Tensor& target) {
  if (input.shape() != target.shape()) {
    throw ShapeError(std::string(op) + ": target shape " + shape_str(target.shape()) +
                     " must equal input shape " + shape_str(input.shape()));
  }
}

void check_broadcasts_to(const char* op, const char* what, const Tensor& t, const Tensor& input) {
  if (!t.defined()) return;
  check_float_like(op, what, t, input);
  const Shape& ts = t.shape();
  const Shape& is = input.shape();
  bool ok = ts.size() <= is.size();
  for (std::size_t k = 0; ok && k < ts.size(); ++k) {
    const std::int64_t a = ts[ts.size() - 1 - k], b = is[is.size() - 1 - k];
    ok = a == b || a == 1;
  }
  if (!ok) {
    throw ShapeError(std::string(op) + ": " + what + " of shape " + shape_str(ts) +
                     " cannot be broadcast to the input shape " + shape_str(is));
  }
}

void check_class_weight(const char* op, const Tensor& weight, std::int64_t num_classes,
                        const Tensor& input) {
  if (!weight.defined()) return;
  check_float_like(op, "weight", weight, input);
  if (weight.dim() != 1 || weight.size(0) != num_classes) {
    throw ShapeError(std::string(op) + ": weight must have shape (" + std::to_string(num_classes) +
                     ") (one per class), got " + shape_str(weight.shape()) + " for input " +
                     shape_str(input.shape()));
  }
}

void check_index_target(const char* op, const Tensor& target) {
  xg::autograd::check_defined(op, target);
  if (target.dtype() != Dtype::i64) {
    throw DtypeError(std::string(op) + ": target must hold i64 class indices, got " +
                     describe(target));
  }
}

void throw_bad_target(const char* op, std::int64_t target, std::int64_t num_classes,
                      bool has_ignore_index, std::int64_t ignore_index) {
  std::string msg = std::string(op) + ": target " + std::to_string(target) +
                    " is out of bounds for " + std::to_string(num_classes) +
                    " classes (expected 0 <= target < " + std::to_string(num_classes);
  if (has_ignore_index) msg += ", or ignore_index " + std::to_string(ignore_index);
  throw ValueError(msg + ")");
}

Tensor reduce(const Tensor& loss, Reduction reduction) {
  switch (reduction) {
    case Reduction::none: return loss;
    case Reduction::mean: return mean(loss);
    case Reduction::sum: return sum(loss);
    case Reduction::batchmean: {
      const Tensor s = sum(loss);
      return loss.dim() == 0 ? s : divide_or_nan(s, static_cast<double>(loss.size(0)));
    }
  }
  return loss;
}

Tensor divide_or_nan(const Tensor& s, double denom) {
  if (denom != 0.0) return s / denom;
  // 0 * s keeps the graph (gradient 0) and the NaN marks the empty mean.
  return s * 0.0 + std::numeric_limits<double>::quiet_NaN();
}

std::int64_t class_axis(const Tensor& input) { return input.dim() == 1 ? 0 : 1; }

Shape index_target_shape(const Tensor& input) {
  Shape s = input.shape();
  if (s.size() == 1) return {};
  s.erase(s.begin() + 1);
  return s;
}

Tensor to_rows(const Tensor& input) {
  const std::int64_t c = input.size(class_axis(input));
  const std::int64_t m = xg::autograd::shape_numel(index_target_shape(input));
  if (input.dim() == 1) return reshape(input, {1, c});
  if (input.dim() == 2) return input;
  // (N, C, d1, ..., dk) -> (N, d1, ..., dk, C): rows in the target's row-major order.
  Axes perm{0};
  for (std::int64_t d = 2; d < input.dim(); ++d) perm.push_back(d);
  perm.push_back(1);
  return reshape(permute(input, perm), {m, c});
}

Tensor check_class_target(const char* op, const Tensor& input, const Tensor& target,
                          bool probs_hint) {
  xg::autograd::check_defined(op, target);
  if (input.dim() == 0) {
    throw ShapeError(std::string(op) +
                     ": input must have shape (C), (N, C) or (N, C, d1, ...), "
                     "got a 0-D tensor " +
                     shape_str(input.shape()));
  }
  const Shape want = index_target_shape(input);
  if (target.shape() != want) {
    std::string msg = std::string(op) + ": target shape " + shape_str(target.shape()) +
                      " does not match input shape " + shape_str(input.shape()) + ": expected " +
                      shape_str(want) + " (class indices)";
    if (probs_hint) msg += " or " + shape_str(input.shape()) + " (class probabilities)";
    throw ShapeError(msg);
  }
  check_index_target(op, target);
  return reshape(target, {xg::autograd::shape_numel(want)});
}

TargetCoefs target_coefs(const char* op, const Tensor& target, std::int64_t num_classes,
                         const Tensor& weight, Dtype dtype, bool has_ignore_index,
                         std::int64_t ignore_index) {
  const std::int64_t m = target.numel();
  const std::int64_t* t = target.data_ptr<std::int64_t>();
  TargetCoefs r;
  r.coef = xg::empty({m}, {.dtype = dtype});
  r.safe_target = xg::empty({m}, {.dtype = Dtype::i64});
  std::int64_t* safe = r.safe_target.data_ptr<std::int64_t>();
  xg::autograd::dispatch_float(op, dtype, [&]<class T>() {
    T* c = r.coef.data_ptr<T>();
    const T* w = weight.defined() ? weight.data_ptr<T>() : nullptr;
    double denom = 0.0;
    for (std::int64_t i = 0; i < m; ++i) {
      if (has_ignore_index && t[i] == ignore_index) {
        c[i] = T(0);
        safe[i] = 0;
        continue;
      }
      if (t[i] < 0 || t[i] >= num_classes) {
        throw_bad_target(op, t[i], num_classes, has_ignore_index, ignore_index);
      }
      c[i] = w ? w[t[i]] : T(1);
      safe[i] = t[i];
      denom += static_cast<double>(c[i]);
    }
    r.denom = denom;
  });
  return r;
}

}  // namespace detail
}  // namespace xg::nn
