// The classification report (see report.hpp).
#include "metrics/report.hpp"

#include <algorithm>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "metrics/detail/confusion.hpp"
#include "metrics/detail/input.hpp"

namespace xg::metrics {

namespace {

std::string fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

std::string pad_left(const std::string& s, std::size_t w) {
  return std::string(w > s.size() ? w - s.size() : 0, ' ') + s;
}

nlohmann::ordered_json averaged_json(const AveragedScores& a) {
  return {{"precision", a.precision},
          {"recall", a.recall},
          {"specificity", a.specificity},
          {"f1", a.f_score},
          {"support", a.support}};
}

}  // namespace

ClassificationReport classification_report(const Labels& y_true, const Labels& y_pred,
                                           const ReportOptions& options) {
  ClassificationReport r;
  r.confusion = detail::build_confusion("classification_report", y_true, y_pred, options.labels);
  if (!options.class_names.empty() && options.class_names.size() != r.confusion.num_classes()) {
    throw ValueError("classification_report: " + std::to_string(options.class_names.size()) +
                     " class names given for " + std::to_string(r.confusion.num_classes()) +
                     " labels (" + detail::join(r.confusion.labels) + ")");
  }
  r.class_names = options.class_names;
  ScoreOptions so{.labels = r.confusion.labels, .zero_division = options.zero_division};
  r.per_class = per_class_scores(r.confusion, so);
  so.average = Average::macro;
  r.macro = averaged_scores(r.confusion, so);
  so.average = Average::micro;
  r.micro = averaged_scores(r.confusion, so);
  so.average = Average::weighted;
  r.weighted = averaged_scores(r.confusion, so);
  std::int64_t correct = 0;
  for (std::size_t k = 0; k < r.confusion.num_classes(); ++k) correct += r.confusion.counts[k][k];
  r.accuracy = static_cast<double>(correct) / static_cast<double>(r.confusion.total());
  r.notes = r.per_class.notes;
  return r;
}

ClassificationReport classification_report(const Tensor& y_true, const Tensor& y_pred,
                                           const ReportOptions& options) {
  return classification_report(
      detail::labels_of(y_true, "classification_report", "y_true"),
      detail::predicted_labels_of(y_pred, "classification_report", "y_pred"), options);
}

std::string ClassificationReport::to_string(int digits) const {
  digits = std::clamp(digits, 0, 12);
  const auto& labels = confusion.labels;
  std::vector<std::string> names;
  for (std::size_t k = 0; k < labels.size(); ++k) {
    names.push_back(class_names.empty() ? std::to_string(labels[k]) : class_names[k]);
  }
  std::size_t first = std::string("weighted avg").size();
  for (const auto& n : names) first = std::max(first, n.size());
  const std::vector<std::string> headers = {"precision", "recall", "specificity", "f1-score",
                                            "support"};
  const std::size_t width = std::max<std::size_t>(11, static_cast<std::size_t>(digits) + 3);
  std::string out = std::string(first, ' ');
  for (const auto& h : headers) out += "  " + pad_left(h, width);
  out += "\n\n";
  auto row = [&](const std::string& name, const std::vector<std::string>& cells) {
    out += pad_left(name, first);
    for (const auto& c : cells) out += "  " + pad_left(c, width);
    out += '\n';
  };
  for (std::size_t k = 0; k < labels.size(); ++k) {
    row(names[k], {fixed(per_class.precision[k], digits), fixed(per_class.recall[k], digits),
                   fixed(per_class.specificity[k], digits), fixed(per_class.f_score[k], digits),
                   std::to_string(per_class.support[k])});
  }
  out += '\n';
  row("accuracy", {"", "", "", fixed(accuracy, digits), std::to_string(confusion.total())});
  const std::pair<const char*, const AveragedScores*> averages[] = {
      {"macro avg", &macro}, {"micro avg", &micro}, {"weighted avg", &weighted}};
  for (const auto& [name, a] : averages) {
    row(name, {fixed(a->precision, digits), fixed(a->recall, digits), fixed(a->specificity, digits),
               fixed(a->f_score, digits), std::to_string(a->support)});
  }
  for (const auto& n : notes) out += "\nnote: " + n;
  if (!notes.empty()) out += '\n';
  return out;
}

std::string ClassificationReport::to_json(int indent) const {
  nlohmann::ordered_json j;
  j["labels"] = confusion.labels;
  if (!class_names.empty()) j["class_names"] = class_names;
  nlohmann::ordered_json classes = nlohmann::ordered_json::array();
  for (std::size_t k = 0; k < confusion.labels.size(); ++k) {
    nlohmann::ordered_json c = {{"label", confusion.labels[k]}};
    if (!class_names.empty()) c["name"] = class_names[k];
    c["precision"] = per_class.precision[k];
    c["recall"] = per_class.recall[k];
    c["specificity"] = per_class.specificity[k];
    c["f1"] = per_class.f_score[k];
    c["support"] = per_class.support[k];
    classes.push_back(std::move(c));
  }
  j["classes"] = std::move(classes);
  j["accuracy"] = accuracy;
  j["total"] = confusion.total();
  j["macro avg"] = averaged_json(macro);
  j["micro avg"] = averaged_json(micro);
  j["weighted avg"] = averaged_json(weighted);
  j["confusion_matrix"] = confusion.counts;
  j["notes"] = notes;
  return j.dump(indent);
}

}  // namespace xg::metrics
