// Loss functions (xg::nn::functional), with PyTorch's names, defaults, formulas,
// reductions and shapes (torch.nn.functional). The module forms are in nn/loss.hpp.
//
// Common contract:
// - `input` is a float tensor (f32 or f64); float targets must have the same dtype
//   (DtypeError naming both otherwise); class-index targets must be i64 (DtypeError).
// - reduction: Reduction::mean (the default) averages, sum adds, none returns the
//   per-element (or per-sample) losses. Reduction::batchmean is only valid for kl_div
//   (ValueError elsewhere). A mean over no elements is NaN, as in PyTorch.
// - Shape errors are ShapeError naming the loss and both shapes. The elementwise losses
//   (mse, l1, huber, smooth_l1, bce, bce_with_logits, hinge_embedding, kl_div) require
//   target.shape == input.shape: PyTorch only warns and broadcasts there, which silently
//   turns an (N, 1) prediction against (N) targets into an (N, N) loss, so we refuse it.
// - Class targets outside [0, C) (other than ignore_index) throw ValueError naming the bad
//   target and C.
// - Every loss is differentiable with respect to input and to a float target (not
//   hinge_embedding_loss's labels), and the elementwise weights and pos_weight get
//   gradients too; class weights get none in nll_loss / cross_entropy with class indices
//   (as in PyTorch). The gradients are built from differentiable ops, so second-order
//   gradients work (cross_entropy's fused op included).
#pragma once

#include <cstdint>

#include "xgrad/autograd/tensor.hpp"

namespace xg::nn {

// How per-element losses are combined. batchmean (sum / batch size) is kl_div's only.
enum class Reduction : std::uint8_t { none, mean, sum, batchmean };

// "none", "mean", "sum" or "batchmean".
const char* reduction_name(Reduction r);

// Options structs take designated initializers: cross_entropy(x, y, {.weight = w}).
// (Tensor members are written `= Tensor()` so that GCC's -Wmissing-field-initializers
// stays quiet when they are left out.)
struct CrossEntropyOptions {
  Reduction reduction = Reduction::mean;
  Tensor weight = Tensor();          // (C) class weights, undefined = all 1
  std::int64_t ignore_index = -100;  // targets equal to it add nothing (class indices only)
  double label_smoothing = 0.0;      // in [0, 1]
};

struct NLLLossOptions {
  Reduction reduction = Reduction::mean;
  Tensor weight = Tensor();
  std::int64_t ignore_index = -100;
};

struct BCEOptions {
  Reduction reduction = Reduction::mean;
  Tensor weight = Tensor();  // broadcast to the input's shape
};

struct BCEWithLogitsOptions {
  Reduction reduction = Reduction::mean;
  Tensor weight = Tensor();  // broadcast to the input's shape
  // Weight of the positive term, broadcast along the input (e.g. (C) for (N, C)).
  Tensor pos_weight = Tensor();
};

struct HuberOptions {
  Reduction reduction = Reduction::mean;
  double delta = 1.0;  // > 0
};

struct SmoothL1Options {
  Reduction reduction = Reduction::mean;
  double beta = 1.0;  // >= 0; 0 is the L1 loss
};

struct HingeEmbeddingOptions {
  Reduction reduction = Reduction::mean;
  double margin = 1.0;
};

struct MultiMarginOptions {
  Reduction reduction = Reduction::mean;
  std::int64_t p = 1;  // 1 or 2
  double margin = 1.0;
  Tensor weight = Tensor();  // (C) class weights
};

struct KLDivOptions {
  Reduction reduction = Reduction::mean;  // PyTorch's default; batchmean is the true KL
  bool log_target = false;                // target given as log-probabilities
};

namespace functional {

// Cross entropy from unnormalised logits, through log_softmax (finite and exact for
// logits of +-1000). input (C), (N, C) or (N, C, d1, ...), classes along axis 1 (axis 0
// for 1-D input). target either
//   - i64 class indices of shape (), (N) or (N, d1, ...): loss = -w[y] log_softmax(x)[y];
//     the mean divides by the sum of w[y] over non-ignored targets; or
//   - float class probabilities of input's shape: loss = -sum_c w[c] p[c] log_softmax(x)[c];
//     the mean divides by the number of samples (numel / C).
// label_smoothing eps mixes in the uniform distribution as PyTorch does:
// (1 - eps) * loss + eps / C * (-sum_c w[c] log_softmax(x)[c]).
// Reduction none returns the target's shape (indices) or the shape without axis 1.
Tensor cross_entropy(const Tensor& input, const Tensor& target,
                     const CrossEntropyOptions& options = {});

// Negative log likelihood from log-probabilities: loss = -w[y] input[y], shapes and
// reductions as cross_entropy with class indices.
Tensor nll_loss(const Tensor& input, const Tensor& target, const NLLLossOptions& options = {});

// -w (y log(x) + (1 - y) log(1 - x)) for probabilities x in [0, 1] (ValueError otherwise,
// NaN included); each log is clamped at -100 as in PyTorch, so x = 0 or 1 gives a finite
// loss. Gradient for x: w (x - y) / max(x (1 - x), 1e-12) (PyTorch's); for y:
// w (log(1 - x) - log(x)) with each log clamped as in the loss, so +-100 at x = 0 or 1
// where PyTorch gives +-inf.
Tensor binary_cross_entropy(const Tensor& input, const Tensor& target,
                            const BCEOptions& options = {});

// BCE on logits, computed stably: with l = 1 + (pos_weight - 1) y,
//   (1 - y) x + l (log(1 + exp(-|x|)) + max(-x, 0)),
// which is max(x, 0) - x y + log(1 + exp(-|x|)) without pos_weight. Differentiable for
// input, target and pos_weight.
Tensor binary_cross_entropy_with_logits(const Tensor& input, const Tensor& target,
                                        const BCEWithLogitsOptions& options = {});

// (x - y)^2.
Tensor mse_loss(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::mean);
// |x - y|; gradient 0 where x == y.
Tensor l1_loss(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::mean);
// 0.5 d^2 where |d| < delta, delta (|d| - 0.5 delta) elsewhere (d = x - y).
Tensor huber_loss(const Tensor& input, const Tensor& target, const HuberOptions& options = {});
// 0.5 d^2 / beta where |d| < beta, |d| - 0.5 beta elsewhere; beta = 0 is l1_loss.
Tensor smooth_l1_loss(const Tensor& input, const Tensor& target,
                      const SmoothL1Options& options = {});
// PyTorch's formula: x where y != -1, plus max(0, margin - x) where y != 1 (so targets are
// meant to be +-1). target is f32/f64/i64 of input's shape and gets no gradient.
Tensor hinge_embedding_loss(const Tensor& input, const Tensor& target,
                            const HingeEmbeddingOptions& options = {});
// Multi-class margin loss: input (N, C) or (C), i64 target (N) or ();
// loss_n = sum_{j != y} w[y] max(0, margin - x[y] + x[j])^p / C, with gradient 0 at the
// hinge. Reduction none returns (N) (or ()).
Tensor multi_margin_loss(const Tensor& input, const Tensor& target,
                         const MultiMarginOptions& options = {});
// KL divergence with input as log-probabilities: y (log(y) - x) (0 where y = 0), or
// exp(y) (y - x) with log_target. mean divides by numel (PyTorch's default, which is not
// the true KL divergence); batchmean divides the sum by input.size(0) (by 1 for 0-D).
// Where y = 0 the y log(y) term adds nothing to the target gradient, which is then -x
// (PyTorch gives NaN there).
Tensor kl_div(const Tensor& input, const Tensor& target, const KLDivOptions& options = {});

}  // namespace functional
}  // namespace xg::nn
