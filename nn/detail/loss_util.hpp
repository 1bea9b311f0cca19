// Checks and reductions shared by the loss functions (nn/functional_loss_*.cpp).
// Internal; not installed. Every check throws the library's typed errors with a message
// that starts with the loss's name.
#pragma once

#include <cstdint>
#include <string>

#include "autograd/tensor.hpp"
#include "nn/functional.hpp"

namespace xg::nn::detail {

// ValueError for Reduction::batchmean unless the loss allows it (kl_div).
void check_reduction(const char* op, Reduction reduction, bool allow_batchmean = false);

// input is defined and f32/f64 (DtypeError naming the dtype and shape otherwise).
void check_float_input(const char* op, const Tensor& input);

// A float target of input's dtype ("target must be f32 like the input, got i64").
// `what` names the argument in messages ("target", "weight", "pos_weight").
void check_float_like(const char* op, const char* what, const Tensor& t, const Tensor& input);

// target.shape == input.shape, or ShapeError naming both shapes.
void check_same_shape(const char* op, const Tensor& input, const Tensor& target);

// An optional tensor that must broadcast to input's shape without changing it (weight,
// pos_weight of the elementwise losses): float, input's dtype.
void check_broadcasts_to(const char* op, const char* what, const Tensor& t, const Tensor& input);

// An optional class-weight tensor: 1-D of size C, float of input's dtype.
void check_class_weight(const char* op, const Tensor& weight, std::int64_t num_classes,
                        const Tensor& input);

// i64 class-index target (DtypeError otherwise).
void check_index_target(const char* op, const Tensor& target);

// ValueError "op: target 7 is out of bounds for 5 classes ...".
[[noreturn]] void throw_bad_target(const char* op, std::int64_t target, std::int64_t num_classes,
                                   bool has_ignore_index, std::int64_t ignore_index);

// Applies mean / sum / none to elementwise losses (batchmean divides the sum by
// loss.size(0), or by 1 for a 0-D loss).
Tensor reduce(const Tensor& loss, Reduction reduction);

// s / denom for a 0-D sum `s`; NaN when denom is 0 (the mean of nothing) while the
// gradient stays 0, as PyTorch's nll_loss gives when every target is ignored.
Tensor divide_or_nan(const Tensor& s, double denom);

// ---- class-index losses (cross_entropy, nll_loss, multi_margin_loss) -------------------

// The classes axis: 0 for a 1-D input (C), else 1.
std::int64_t class_axis(const Tensor& input);

// The shape a class-index target must have: () for input (C), else input's shape without
// axis 1.
Shape index_target_shape(const Tensor& input);

// input (C), (N, C) or (N, C, d1, ...) seen as (M, C) rows with the classes last
// (permuted for N-D input), differentiable.
Tensor to_rows(const Tensor& input);

// Checks a class-index target against input: i64 (DtypeError) of index_target_shape
// (ShapeError naming both shapes; `probs_hint` adds the class-probability form to the
// message). Returns the target flattened to (M).
Tensor check_class_target(const char* op, const Tensor& input, const Tensor& target,
                          bool probs_hint = false);

// Per-row coefficients of a class-index loss: coef[i] = w[t[i]] (1 without weight), 0 where
// t[i] == ignore_index; denom = sum of coef (the divisor of the mean). safe_target is t
// with ignored entries replaced by 0 (a valid index for gather). Targets outside [0, C)
// other than ignore_index throw (throw_bad_target).
struct TargetCoefs {
  Tensor coef;         // (M), input's dtype, not recorded
  Tensor safe_target;  // (M) i64
  double denom = 0.0;
};
TargetCoefs target_coefs(const char* op, const Tensor& target, std::int64_t num_classes,
                         const Tensor& weight, Dtype dtype, bool has_ignore_index,
                         std::int64_t ignore_index);

}  // namespace xg::nn::detail
