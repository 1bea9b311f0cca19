// Shared by train and eval: the loss a model is trained with, its predictions on a data
// set, and the evaluation report (accuracy, confusion matrix, per-class scores with their
// averages, one-vs-rest ROC AUC) as text and JSON.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tools/xgrad/model_spec.hpp"
#include "xgrad/autograd/tensor.hpp"
#include "xgrad/data/dataset.hpp"
#include "xgrad/metrics/classification.hpp"
#include "xgrad/metrics/curves.hpp"
#include "xgrad/metrics/report.hpp"
#include "xgrad/nn/container.hpp"

namespace xg::cli {

// The mean loss of a batch through the loss's nn module (make_loss): `output` (B, C) from
// the model, `labels` (B) i64. Losses on one-hot targets (mse, l1, ...) get
// one_hot(labels, C) in the output's dtype. ValueError "unknown loss '<name>'".
Tensor compute_loss(const std::string& loss, const Tensor& output, const Tensor& labels);

struct Predictions {
  metrics::Labels y_true, y_pred;
  std::vector<std::vector<double>> proba;  // (N, C): softmax of the model's output
  double loss = 0.0;                       // mean over the samples
  double accuracy = 0.0;
};

// Runs the model (in eval mode, without a graph) over `ds` in batches. Throws ValueError
// when the data's features or labels do not fit the model.
Predictions predict(nn::Sequential& model, const ModelSpec& spec, const data::Dataset& ds,
                    std::int64_t batch_size = 1000);

struct Evaluation {
  metrics::ClassificationReport report;
  std::vector<std::string> class_names;  // one per class (names or "0", "1", ...)
  // One-vs-rest ROC of each class (NaN AUC and an empty curve for a class that is absent
  // from the data, or is the only one present).
  std::vector<metrics::RocCurve> roc;
  std::vector<double> auc;
  double auc_macro = 0.0;  // mean of the defined per-class AUCs (NaN if none)
  double loss = 0.0;
};

Evaluation evaluate(const Predictions& p, std::int64_t num_classes,
                    const std::vector<std::string>& class_names);

// Accuracy, the classification report, the confusion matrix and the AUCs, for a terminal.
std::string format_evaluation(const Evaluation& e);
// The report's JSON with "loss", "roc_auc" {"macro", "per_class"} and the given context
// ({"model": ..., "data": ...}) added; `context_json` is a JSON object text or "".
std::string evaluation_json(const Evaluation& e, const std::string& context_json);

}  // namespace xg::cli
