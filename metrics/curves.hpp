// Threshold curves of a scoring classifier: the ROC curve and its area (AUC), one-vs-rest
// ROC AUC for multi-class probabilities, the precision-recall curve and average
// precision. Definitions follow scikit-learn 1.2 (roc_curve, auc, roc_auc_score,
// precision_recall_curve, average_precision_score).
//
//   auto roc = xg::metrics::roc_curve(y_true, p_positive);   // roc.fpr, roc.tpr, ...
//   double a = xg::metrics::roc_auc_score(y_true, probs);     // probs (N, C): one-vs-rest
//
// Inputs: y_true holds two labels (binary functions), the positive one being pos_label
// (1 by default; e.g. 0/1 or -1/1 labels), as a vector or an i64 tensor of shape (N) or
// (N, 1); y_score holds any finite real scores (probabilities, logits, margins), higher
// meaning more likely positive, as a vector or a tensor of shape (N) or (N, 1) of any
// dtype. Multi-class probabilities are (N, C) rows summing to 1, y_true in 0..C-1.
//
// Errors: ShapeError for mismatched lengths or shapes; ValueError for empty input,
// non-finite scores, y_true with more than two labels or without pos_label, and a curve
// that needs both classes (ROC: one class only; PR: no positive sample).
#pragma once

#include <cstdint>
#include <vector>

#include "xgrad/autograd/tensor.hpp"
#include "xgrad/metrics/classification.hpp"

namespace xg::metrics {

// Points of the ROC curve, for decreasing thresholds: at thresholds[i], samples with
// score >= thresholds[i] are predicted positive, giving false-positive rate fpr[i] and
// true-positive rate tpr[i]. The first point is (0, 0) at max(score) + 1 (scikit-learn
// 1.2; versions >= 1.3 use +inf there); the last is (1, 1).
struct RocCurve {
  std::vector<double> fpr, tpr, thresholds;
};

struct RocOptions {
  std::int64_t pos_label = 1;
  // Drop thresholds whose points lie on a straight line between their neighbours (the
  // curve and its area do not change); scikit-learn's default.
  bool drop_intermediate = true;
};

RocCurve roc_curve(const Labels& y_true, const std::vector<double>& y_score,
                   const RocOptions& options = {});
RocCurve roc_curve(const Tensor& y_true, const Tensor& y_score, const RocOptions& options = {});

// Area under the curve through the points (x[i], y[i]) by the trapezoidal rule. x must be
// monotonic (increasing or decreasing; ValueError otherwise), with at least 2 points.
double auc(const std::vector<double>& x, const std::vector<double>& y);

// Binary ROC AUC: the area under roc_curve(y_true, y_score).
double roc_auc_score(const Labels& y_true, const std::vector<double>& y_score,
                     std::int64_t pos_label = 1);
// Multi-class one-vs-rest ROC AUC: the AUC of each class c (y_true == c against column c
// of the probabilities), averaged by `average` (macro: unweighted; weighted: by class
// prevalence). Every class 0..C-1 must occur in y_true (ValueError naming the missing
// class); rows must sum to 1 within 1e-5 (ValueError otherwise).
double roc_auc_score(const Labels& y_true, const std::vector<std::vector<double>>& y_proba,
                     Average average = Average::macro);
// y_score of shape (N) or (N, 1): binary with pos_label; (N, C), C >= 2: one-vs-rest.
double roc_auc_score(const Tensor& y_true, const Tensor& y_score, Average average = Average::macro,
                     std::int64_t pos_label = 1);

// Points of the precision-recall curve for increasing thresholds: precision[i] and
// recall[i] of predicting positive where score >= thresholds[i]; the last point
// (precision 1, recall 0) has no threshold, so precision and recall have one more entry
// than thresholds (as in scikit-learn 1.2).
struct PrecisionRecallCurve {
  std::vector<double> precision, recall, thresholds;
};

PrecisionRecallCurve precision_recall_curve(const Labels& y_true,
                                            const std::vector<double>& y_score,
                                            std::int64_t pos_label = 1);
PrecisionRecallCurve precision_recall_curve(const Tensor& y_true, const Tensor& y_score,
                                            std::int64_t pos_label = 1);

// Average precision: sum over thresholds of (R[i] - R[i+1]) * P[i], the step-wise area
// under the precision-recall curve (no interpolation), as scikit-learn defines it.
double average_precision_score(const Labels& y_true, const std::vector<double>& y_score,
                               std::int64_t pos_label = 1);
double average_precision_score(const Tensor& y_true, const Tensor& y_score,
                               std::int64_t pos_label = 1);

}  // namespace xg::metrics
