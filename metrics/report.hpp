// A classification report: per-class precision, recall, specificity, F1 and support with
// their macro, micro and weighted averages, the accuracy and the confusion matrix, as a
// text table (like sklearn.metrics.classification_report) or as JSON.
//
//   auto report = xg::metrics::classification_report(y_true, y_pred,
//       {.labels = xg::metrics::class_range(10), .class_names = names});
//   std::cout << report.to_string();
//   std::ofstream("report.json") << report.to_json();
//
// Inputs and errors as for the other classification metrics (classification.hpp).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "xgrad/autograd/tensor.hpp"
#include "xgrad/metrics/classification.hpp"

namespace xg::metrics {

struct ReportOptions {
  Labels labels = {};                         // the classes; empty: those present
  std::vector<std::string> class_names = {};  // one per label, or empty: label values
  double zero_division = 0.0;                 // as in ScoreOptions
};

struct ClassificationReport {
  ConfusionMatrix confusion;
  std::vector<std::string> class_names;  // as given (may be empty)
  ClassScores per_class;                 // f_score is F1
  AveragedScores macro, micro, weighted;
  double accuracy = 0.0;
  std::vector<std::string> notes;  // where zero_division was used

  // A fixed-width table: one row per class, then accuracy and the three averages, and the
  // notes; `digits` decimals.
  std::string to_string(int digits = 4) const;
  // JSON text, keys in this order: "labels", "class_names" (if given), "classes":
  // [{"label", "name" (if given), "precision", "recall", "specificity", "f1",
  // "support"}, ...], "accuracy", "total", "macro avg", "micro avg", "weighted avg" (each
  // {"precision", "recall", "specificity", "f1", "support"}), "confusion_matrix":
  // [[...]], "notes": [...]. A score set to NaN by zero_division is written as null.
  // indent < 0 gives one line.
  std::string to_json(int indent = 2) const;
};

ClassificationReport classification_report(const Labels& y_true, const Labels& y_pred,
                                           const ReportOptions& options = {});
ClassificationReport classification_report(const Tensor& y_true, const Tensor& y_pred,
                                           const ReportOptions& options = {});

}  // namespace xg::metrics
