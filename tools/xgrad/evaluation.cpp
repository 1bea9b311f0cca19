#include "tools/xgrad/evaluation.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <sstream>

#include "xgrad/autograd/ops/shape.hpp"
#include "xgrad/autograd/ops/softmax.hpp"

namespace xg::cli {

Tensor compute_loss(const std::string& loss, const Tensor& output, const Tensor& labels) {
  // make_loss throws "unknown loss '<name>'" before a target is made for a bad name.
  const nn::ModulePtr module = make_loss(loss);
  if (loss_uses_class_indices(loss)) return (*module)(output, labels);
  return (*module)(output, one_hot(labels, output.shape().back()).to(output.dtype()));
}

Predictions predict(nn::Sequential& model, const ModelSpec& spec, const data::Dataset& ds,
                    std::int64_t batch_size) {
  const Tensor& x = ds.features();
  if (x.dim() != 2 || x.shape()[1] != spec.inputs) {
    throw ValueError("the model takes " + std::to_string(spec.inputs) +
                     " features per sample, the data has " +
                     (x.dim() == 2 ? std::to_string(x.shape()[1]) : shape_str(x.shape())));
  }
  const auto labels = ds.targets().to_vector<std::int64_t>();
  for (auto y : labels) {
    if (y < 0 || y >= spec.outputs) {
      throw ValueError("the data has label " + std::to_string(y) + " but the model knows " +
                       std::to_string(spec.outputs) + " classes (0.." +
                       std::to_string(spec.outputs - 1) + ")");
    }
  }
  const bool was_training = model.is_training();
  model.eval();
  NoGradGuard no_grad;
  Predictions p;
  p.y_true = labels;
  const std::int64_t n = ds.size();
  double loss_sum = 0.0;
  std::int64_t correct = 0;
  for (std::int64_t start = 0; start < n; start += batch_size) {
    const auto batch = ds.range(start, std::min(n, start + batch_size));
    const Tensor out = model(batch.x);
    loss_sum += compute_loss(spec.loss, out, batch.y).item() * batch.x.shape()[0];
    // softmax of log-probabilities (nll) gives the probabilities back, so one rule fits all.
    const auto probs = softmax(out, 1).to_vector<double>();
    const std::int64_t c = out.shape()[1];
    for (std::int64_t i = 0; i < batch.x.shape()[0]; ++i) {
      std::vector<double> row(probs.begin() + i * c, probs.begin() + (i + 1) * c);
      // Rows are renormalised in double: the AUC code demands sums within 1e-5.
      double total = 0.0;
      for (double v : row) total += v;
      for (double& v : row) v /= total;
      const auto best = std::max_element(row.begin(), row.end()) - row.begin();
      p.y_pred.push_back(best);
      correct += best == labels[start + i] ? 1 : 0;
      p.proba.push_back(std::move(row));
    }
  }
  model.train(was_training);
  p.loss = n > 0 ? loss_sum / n : std::numeric_limits<double>::quiet_NaN();
  p.accuracy = n > 0 ? static_cast<double>(correct) / n : 0.0;
  return p;
}

Evaluation evaluate(const Predictions& p, std::int64_t num_classes,
                    const std::vector<std::string>& class_names) {
  Evaluation e;
  e.loss = p.loss;
  for (std::int64_t c = 0; c < num_classes; ++c) {
    e.class_names.push_back(static_cast<std::size_t>(c) < class_names.size() ? class_names[c]
                                                                             : std::to_string(c));
  }
  e.report = metrics::classification_report(
      p.y_true, p.y_pred,
      {.labels = metrics::class_range(num_classes), .class_names = e.class_names});
  double sum = 0.0;
  int defined = 0;
  for (std::int64_t c = 0; c < num_classes; ++c) {
    metrics::Labels binary(p.y_true.size());
    std::vector<double> score(p.y_true.size());
    std::int64_t positives = 0;
    for (std::size_t i = 0; i < p.y_true.size(); ++i) {
      binary[i] = p.y_true[i] == c ? 1 : 0;
      positives += binary[i];
      score[i] = p.proba[i][c];
    }
    const bool both = positives > 0 && positives < static_cast<std::int64_t>(binary.size());
    if (!both) {
      e.roc.emplace_back();
      e.auc.push_back(std::numeric_limits<double>::quiet_NaN());
      continue;
    }
    e.roc.push_back(metrics::roc_curve(binary, score));
    e.auc.push_back(metrics::auc(e.roc.back().fpr, e.roc.back().tpr));
    sum += e.auc.back();
    ++defined;
  }
  e.auc_macro = defined > 0 ? sum / defined : std::numeric_limits<double>::quiet_NaN();
  return e;
}

namespace {

std::string fixed(double v, int digits) {
  if (!std::isfinite(v)) return "n/a";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

}  // namespace

std::string format_evaluation(const Evaluation& e) {
  std::ostringstream os;
  os << "accuracy " << fixed(100.0 * e.report.accuracy, 2) << "% (" << e.report.confusion.total()
     << " samples), loss " << fixed(e.loss, 4) << "\n\n";
  os << e.report.to_string(4) << "\n";
  os << "confusion matrix (rows: true class, columns: predicted class)\n"
     << e.report.confusion.to_string(e.class_names) << "\n";
  os << "ROC AUC (one-vs-rest): macro " << fixed(e.auc_macro, 4) << "\n";
  std::size_t width = 0;
  for (const auto& n : e.class_names) width = std::max(width, n.size());
  for (std::size_t c = 0; c < e.auc.size(); ++c) {
    os << "  " << e.class_names[c] << std::string(width - e.class_names[c].size(), ' ') << "  "
       << fixed(e.auc[c], 4) << "\n";
  }
  return os.str();
}

std::string evaluation_json(const Evaluation& e, const std::string& context_json) {
  auto j = nlohmann::ordered_json::parse(e.report.to_json(-1));
  auto number = [](double v) -> nlohmann::ordered_json {
    if (std::isfinite(v)) return v;
    return nullptr;
  };
  j["loss"] = number(e.loss);
  nlohmann::ordered_json auc;
  auc["macro"] = number(e.auc_macro);
  auc["per_class"] = nlohmann::ordered_json::array();
  for (double a : e.auc) auc["per_class"].push_back(number(a));
  j["roc_auc"] = auc;
  if (!context_json.empty()) {
    // A named object: items() of a temporary would dangle in the range-for.
    const auto context = nlohmann::ordered_json::parse(context_json);
    for (const auto& [k, v] : context.items()) j[k] = v;
  }
  return j.dump(2) + "\n";
}

}  // namespace xg::cli
