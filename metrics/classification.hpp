// Classification metrics: accuracy, the confusion matrix, and precision, recall
// (sensitivity), specificity, F1 and F-beta -- binary, per class, and macro, micro and
// weighted averages. Definitions and defaults follow scikit-learn (sklearn.metrics), with
// specificity defined as imbalanced-learn's specificity_score.
//
//   auto y_pred = xg::argmax(logits, 1);                        // or pass the logits
//   double acc = xg::metrics::accuracy_score(y_true, y_pred);
//   auto cm = xg::metrics::confusion_matrix(y_true, y_pred, xg::metrics::class_range(10));
//   std::cout << cm.to_string();
//   double f1 = xg::metrics::f1_score(y_true, y_pred, {.average = xg::metrics::Average::macro});
//
// Inputs. Every metric takes either std::vectors or Tensors:
//   y_true  i64 class indices, a vector or a tensor of shape (N) or (N, 1);
//   y_pred  i64 class indices likewise, or (Tensor only) float scores of shape (N, C),
//           C >= 2, whose row-wise argmax is the predicted class (logits or
//           probabilities), or float probabilities of class 1 of shape (N) or (N, 1),
//           thresholded at p > 0.5.
// Labels are any int64 values (e.g. -1/1 for a perceptron), not only 0..C-1.
//
// Errors: ShapeError when y_true and y_pred differ in length or a tensor has the wrong
// shape, DtypeError for a float y_true tensor, ValueError for empty input, a label not in
// an explicit `labels` list, probabilities outside [0, 1], or a binary average on
// multi-class data. Every message starts with the metric's name.
//
// Zero division: a ratio whose denominator is 0 (precision of a class never predicted,
// recall of a class absent from y_true, ...) is set to `zero_division` (0 by default, as
// scikit-learn's "warn"), and the result's `notes` say which ratio and which labels. The
// library never prints; the plain-double functions drop the notes.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "xgrad/autograd/tensor.hpp"

namespace xg::metrics {

using Labels = std::vector<std::int64_t>;

// 0, 1, ..., n - 1: the labels of an n-class problem, for when a small sample may miss
// some classes.
Labels class_range(std::int64_t n);

// Fraction of samples whose predicted class equals the true one.
double accuracy_score(const Labels& y_true, const Labels& y_pred);
double accuracy_score(const Tensor& y_true, const Tensor& y_pred);

// counts[i][j]: samples whose true class is labels[i] and predicted class is labels[j]
// (rows are true classes, as in sklearn.metrics.confusion_matrix).
struct ConfusionMatrix {
  Labels labels;
  std::vector<std::vector<std::int64_t>> counts;

  std::size_t num_classes() const { return labels.size(); }
  std::int64_t total() const;
  // One-vs-rest counts of class index k (an index into labels, not a label value).
  std::int64_t true_positives(std::size_t k) const;
  std::int64_t false_positives(std::size_t k) const;  // column sum minus diagonal
  std::int64_t false_negatives(std::size_t k) const;  // row sum minus diagonal
  std::int64_t true_negatives(std::size_t k) const;
  std::int64_t support(std::size_t k) const;    // samples of true class labels[k]
  std::int64_t predicted(std::size_t k) const;  // samples predicted as labels[k]

  // A text table, rows "true", columns "predicted"; class_names (one per label, or empty
  // for the label values) head the rows and columns.
  std::string to_string(const std::vector<std::string>& class_names = {}) const;
  // {"labels": [...], "class_names": [...], "counts": [[...], ...]} as JSON text.
  std::string to_json(const std::vector<std::string>& class_names = {}, int indent = 2) const;
};

// The confusion matrix over `labels` (in that order). Empty `labels`: the sorted union of
// the values in y_true and y_pred. ValueError for a value not in an explicit `labels`.
ConfusionMatrix confusion_matrix(const Labels& y_true, const Labels& y_pred,
                                 const Labels& labels = {});
ConfusionMatrix confusion_matrix(const Tensor& y_true, const Tensor& y_pred,
                                 const Labels& labels = {});

// How per-class scores are combined into one number.
//   binary    the scores of class pos_label only; y_true and y_pred may hold at most two
//             labels (ValueError otherwise). scikit-learn's default.
//   micro     from the summed counts of all classes (for single-label multi-class data,
//             micro precision = micro recall = micro F1 = accuracy).
//   macro     unweighted mean over classes.
//   weighted  mean over classes weighted by support (true samples per class).
enum class Average { binary, micro, macro, weighted };
std::string_view average_name(Average a);  // "binary", "micro", ...

struct ScoreOptions {
  Average average = Average::binary;
  std::int64_t pos_label = 1;  // the positive class of Average::binary
  Labels labels = {};          // the classes, as for confusion_matrix
  double beta = 1.0;           // F-beta: weight of recall relative to precision (>= 0)
  double zero_division = 0.0;  // value of an undefined ratio: 0, 1 or NaN
};

// Scores of every class, one entry per label. f_score is the F-beta score for
// options.beta (F1 by default). specificity = TN / (TN + FP).
struct ClassScores {
  Labels labels;
  std::vector<double> precision, recall, specificity, f_score;
  std::vector<std::int64_t> support;
  std::vector<std::string> notes;  // where zero_division was used
};

// One averaged set of scores; support is the number of samples (binary: of pos_label).
struct AveragedScores {
  double precision = 0, recall = 0, specificity = 0, f_score = 0;
  std::int64_t support = 0;
  std::vector<std::string> notes;
};

// Per-class scores (options.average is ignored).
ClassScores per_class_scores(const Labels& y_true, const Labels& y_pred,
                             const ScoreOptions& options = {});
ClassScores per_class_scores(const Tensor& y_true, const Tensor& y_pred,
                             const ScoreOptions& options = {});
ClassScores per_class_scores(const ConfusionMatrix& cm, const ScoreOptions& options = {});

// Scores averaged as options.average says (sklearn's precision_recall_fscore_support).
AveragedScores averaged_scores(const Labels& y_true, const Labels& y_pred,
                               const ScoreOptions& options = {});
AveragedScores averaged_scores(const Tensor& y_true, const Tensor& y_pred,
                               const ScoreOptions& options = {});
AveragedScores averaged_scores(const ConfusionMatrix& cm, const ScoreOptions& options = {});

// The single scores, as the sklearn functions of the same names.
double precision_score(const Labels& y_true, const Labels& y_pred, const ScoreOptions& o = {});
double precision_score(const Tensor& y_true, const Tensor& y_pred, const ScoreOptions& o = {});
double recall_score(const Labels& y_true, const Labels& y_pred, const ScoreOptions& o = {});
double recall_score(const Tensor& y_true, const Tensor& y_pred, const ScoreOptions& o = {});
// Sensitivity is another name for recall (the true-positive rate).
double sensitivity_score(const Labels& y_true, const Labels& y_pred, const ScoreOptions& o = {});
double sensitivity_score(const Tensor& y_true, const Tensor& y_pred, const ScoreOptions& o = {});
double specificity_score(const Labels& y_true, const Labels& y_pred, const ScoreOptions& o = {});
double specificity_score(const Tensor& y_true, const Tensor& y_pred, const ScoreOptions& o = {});
// F1 ignores o.beta; fbeta_score uses the beta given (o.beta is ignored).
double f1_score(const Labels& y_true, const Labels& y_pred, const ScoreOptions& o = {});
double f1_score(const Tensor& y_true, const Tensor& y_pred, const ScoreOptions& o = {});
double fbeta_score(const Labels& y_true, const Labels& y_pred, double beta,
                   const ScoreOptions& o = {});
double fbeta_score(const Tensor& y_true, const Tensor& y_pred, double beta,
                   const ScoreOptions& o = {});

}  // namespace xg::metrics
