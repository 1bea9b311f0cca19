// Accuracy, the confusion matrix and the precision/recall family (see classification.hpp).
//
// Every score is computed from the confusion matrix, so the vector, Tensor and
// ConfusionMatrix entry points agree by construction.
#include "metrics/classification.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <set>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "metrics/detail/confusion.hpp"
#include "metrics/detail/input.hpp"

namespace xg::metrics {

using detail::build_confusion;
using detail::join;

namespace {

std::string label_name(const Labels& labels, const std::vector<std::string>& names, std::size_t k) {
  return names.empty() ? std::to_string(labels[k]) : names[k];
}

void check_names(std::string_view what, const Labels& labels,
                 const std::vector<std::string>& names) {
  if (!names.empty() && names.size() != labels.size()) {
    throw ValueError(std::string(what) + ": " + std::to_string(names.size()) +
                     " class names given for " + std::to_string(labels.size()) + " labels");
  }
}

// The sorted distinct values of y_true and y_pred.
Labels present_labels(const Labels& y_true, const Labels& y_pred) {
  std::set<std::int64_t> s(y_true.begin(), y_true.end());
  s.insert(y_pred.begin(), y_pred.end());
  return {s.begin(), s.end()};
}

void check_options(std::string_view metric, const ScoreOptions& o) {
  if (!(o.beta >= 0.0)) {
    throw ValueError(std::string(metric) + ": beta must be >= 0, got " +
                     detail::number_str(o.beta));
  }
  if (!(o.zero_division == 0.0 || o.zero_division == 1.0 || std::isnan(o.zero_division))) {
    throw ValueError(std::string(metric) + ": zero_division must be 0, 1 or NaN, got " +
                     detail::number_str(o.zero_division));
  }
}

// num / den, or zero_division when den == 0 (the label is then added to `undefined`).
double ratio(std::int64_t num, std::int64_t den, double zero_division, std::int64_t label,
             Labels& undefined) {
  if (den == 0) {
    undefined.push_back(label);
    return zero_division;
  }
  return static_cast<double>(num) / static_cast<double>(den);
}

// F-beta from precision and recall as scikit-learn 1.2 computes it: after the zero
// division substitution, with a zero denominator giving 0.
double f_beta(double precision, double recall, double beta) {
  if (std::isinf(beta)) return recall;
  const double b2 = beta * beta;
  double denom = b2 * precision + recall;
  if (denom == 0.0) denom = 1.0;
  return (1.0 + b2) * precision * recall / denom;
}

void add_note(std::vector<std::string>& notes, std::string_view score, const Labels& labels,
              double zero_division, std::string_view reason) {
  if (labels.empty()) return;
  notes.push_back(std::string(score) + " is ill-defined and set to " +
                  detail::number_str(zero_division) + " for label" +
                  (labels.size() > 1 ? "s " : " ") + join(labels) + " (" + std::string(reason) +
                  ")");
}

struct Counts {
  std::int64_t tp = 0, fp = 0, fn = 0, tn = 0;
};

// One-vs-rest counts of every class in one pass over the matrix (the ConfusionMatrix
// accessors recompute row, column and total sums on each call).
std::vector<Counts> all_counts(const ConfusionMatrix& cm) {
  const std::size_t k = cm.num_classes();
  std::vector<std::int64_t> row(k, 0), col(k, 0);
  std::int64_t total = 0;
  for (std::size_t i = 0; i < k; ++i) {
    for (std::size_t j = 0; j < k; ++j) {
      row[i] += cm.counts[i][j];
      col[j] += cm.counts[i][j];
    }
    total += row[i];
  }
  std::vector<Counts> out(k);
  for (std::size_t i = 0; i < k; ++i) {
    const std::int64_t tp = cm.counts[i][i];
    out[i] = {tp, col[i] - tp, row[i] - tp, total - row[i] - col[i] + tp};
  }
  return out;
}

// Scores of one set of counts; `label` names it in the notes' label lists.
struct Scores {
  double precision, recall, specificity, f_score;
};

struct Undefined {
  Labels precision, recall, specificity;
};

Scores scores_of(const Counts& c, const ScoreOptions& o, std::int64_t label, Undefined& u) {
  Scores s{};
  s.precision = ratio(c.tp, c.tp + c.fp, o.zero_division, label, u.precision);
  s.recall = ratio(c.tp, c.tp + c.fn, o.zero_division, label, u.recall);
  s.specificity = ratio(c.tn, c.tn + c.fp, o.zero_division, label, u.specificity);
  s.f_score = f_beta(s.precision, s.recall, o.beta);
  return s;
}

std::vector<std::string> notes_of(const Undefined& u, double zero_division) {
  std::vector<std::string> notes;
  add_note(notes, "precision", u.precision, zero_division, "no predicted samples");
  add_note(notes, "recall", u.recall, zero_division, "no true samples");
  add_note(notes, "specificity", u.specificity, zero_division, "no negative samples");
  return notes;
}

std::size_t index_of(const ConfusionMatrix& cm, std::int64_t label) {
  const auto it = std::find(cm.labels.begin(), cm.labels.end(), label);
  return static_cast<std::size_t>(it - cm.labels.begin());
}

}  // namespace

ConfusionMatrix detail::build_confusion(std::string_view metric, const Labels& y_true,
                                        const Labels& y_pred, const Labels& labels_in) {
  detail::check_same_length(metric, "y_true", y_true.size(), "y_pred", y_pred.size());
  detail::check_nonempty(metric, y_true.size());
  ConfusionMatrix cm;
  cm.labels = labels_in.empty() ? present_labels(y_true, y_pred) : labels_in;
  std::unordered_map<std::int64_t, std::size_t> index;
  for (std::size_t k = 0; k < cm.labels.size(); ++k) {
    if (!index.emplace(cm.labels[k], k).second) {
      throw ValueError(std::string(metric) + ": label " + std::to_string(cm.labels[k]) +
                       " appears twice in labels (" + join(cm.labels) + ")");
    }
  }
  // Unlike scikit-learn, which silently drops samples outside an explicit label list, a
  // value outside it is an error: with class indices it is almost always a bug.
  auto find = [&](const Labels& y, std::string_view arg, std::size_t i) {
    const auto it = index.find(y[i]);
    if (it == index.end()) {
      throw ValueError(std::string(metric) + ": " + std::string(arg) + "[" + std::to_string(i) +
                       "] = " + std::to_string(y[i]) + " is not one of the labels (" +
                       join(cm.labels) + ")");
    }
    return it->second;
  };
  const std::size_t k = cm.labels.size();
  cm.counts.assign(k, std::vector<std::int64_t>(k, 0));
  for (std::size_t i = 0; i < y_true.size(); ++i) {
    ++cm.counts[find(y_true, "y_true", i)][find(y_pred, "y_pred", i)];
  }
  return cm;
}

Labels class_range(std::int64_t n) {
  if (n < 0) throw ValueError("class_range: n must be >= 0, got " + std::to_string(n));
  Labels out(static_cast<std::size_t>(n));
  std::iota(out.begin(), out.end(), std::int64_t{0});
  return out;
}

double accuracy_score(const Labels& y_true, const Labels& y_pred) {
  detail::check_same_length("accuracy_score", "y_true", y_true.size(), "y_pred", y_pred.size());
  detail::check_nonempty("accuracy_score", y_true.size());
  std::size_t correct = 0;
  for (std::size_t i = 0; i < y_true.size(); ++i) correct += y_true[i] == y_pred[i];
  return static_cast<double>(correct) / static_cast<double>(y_true.size());
}

double accuracy_score(const Tensor& y_true, const Tensor& y_pred) {
  return accuracy_score(detail::labels_of(y_true, "accuracy_score", "y_true"),
                        detail::predicted_labels_of(y_pred, "accuracy_score", "y_pred"));
}

// --- ConfusionMatrix -------------------------------------------------------------------

std::int64_t ConfusionMatrix::total() const {
  std::int64_t t = 0;
  for (const auto& row : counts) t = std::accumulate(row.begin(), row.end(), t);
  return t;
}

std::int64_t ConfusionMatrix::true_positives(std::size_t k) const { return counts.at(k).at(k); }

std::int64_t ConfusionMatrix::support(std::size_t k) const {
  const auto& row = counts.at(k);
  return std::accumulate(row.begin(), row.end(), std::int64_t{0});
}

std::int64_t ConfusionMatrix::predicted(std::size_t k) const {
  std::int64_t s = 0;
  for (const auto& row : counts) s += row.at(k);
  return s;
}

std::int64_t ConfusionMatrix::false_positives(std::size_t k) const {
  return predicted(k) - true_positives(k);
}

std::int64_t ConfusionMatrix::false_negatives(std::size_t k) const {
  return support(k) - true_positives(k);
}

std::int64_t ConfusionMatrix::true_negatives(std::size_t k) const {
  return total() - support(k) - predicted(k) + true_positives(k);
}

std::string ConfusionMatrix::to_string(const std::vector<std::string>& class_names) const {
  check_names("ConfusionMatrix::to_string", labels, class_names);
  const std::string corner = "true \\ pred";
  std::size_t width = 1, first = corner.size();
  for (std::size_t k = 0; k < labels.size(); ++k) {
    const std::size_t len = label_name(labels, class_names, k).size();
    width = std::max(width, len);
    first = std::max(first, len);
    for (std::int64_t c : counts[k]) width = std::max(width, std::to_string(c).size());
  }
  auto pad = [](const std::string& s, std::size_t w) {
    return std::string(w > s.size() ? w - s.size() : 0, ' ') + s;
  };
  std::string out = pad(corner, first);
  for (std::size_t k = 0; k < labels.size(); ++k) {
    out += "  " + pad(label_name(labels, class_names, k), width);
  }
  out += '\n';
  for (std::size_t i = 0; i < labels.size(); ++i) {
    out += pad(label_name(labels, class_names, i), first);
    for (std::int64_t c : counts[i]) out += "  " + pad(std::to_string(c), width);
    out += '\n';
  }
  return out;
}

std::string ConfusionMatrix::to_json(const std::vector<std::string>& class_names,
                                     int indent) const {
  check_names("ConfusionMatrix::to_json", labels, class_names);
  nlohmann::ordered_json j;
  j["labels"] = labels;
  if (!class_names.empty()) j["class_names"] = class_names;
  j["counts"] = counts;
  return j.dump(indent);
}

ConfusionMatrix confusion_matrix(const Labels& y_true, const Labels& y_pred, const Labels& labels) {
  return build_confusion("confusion_matrix", y_true, y_pred, labels);
}

ConfusionMatrix confusion_matrix(const Tensor& y_true, const Tensor& y_pred, const Labels& labels) {
  return confusion_matrix(detail::labels_of(y_true, "confusion_matrix", "y_true"),
                          detail::predicted_labels_of(y_pred, "confusion_matrix", "y_pred"),
                          labels);
}

// --- scores ------------------------------------------------------------------------------

std::string_view average_name(Average a) {
  switch (a) {
    case Average::binary: return "binary";
    case Average::micro: return "micro";
    case Average::macro: return "macro";
    case Average::weighted: return "weighted";
  }
  return "?";
}

ClassScores per_class_scores(const ConfusionMatrix& cm, const ScoreOptions& o) {
  check_options("per_class_scores", o);
  ClassScores out;
  out.labels = cm.labels;
  Undefined u;
  const std::vector<Counts> counts = all_counts(cm);
  for (std::size_t k = 0; k < cm.num_classes(); ++k) {
    const Scores s = scores_of(counts[k], o, cm.labels[k], u);
    out.precision.push_back(s.precision);
    out.recall.push_back(s.recall);
    out.specificity.push_back(s.specificity);
    out.f_score.push_back(s.f_score);
    out.support.push_back(cm.support(k));
  }
  out.notes = notes_of(u, o.zero_division);
  return out;
}

ClassScores per_class_scores(const Labels& y_true, const Labels& y_pred, const ScoreOptions& o) {
  return per_class_scores(build_confusion("per_class_scores", y_true, y_pred, o.labels), o);
}

ClassScores per_class_scores(const Tensor& y_true, const Tensor& y_pred, const ScoreOptions& o) {
  return per_class_scores(detail::labels_of(y_true, "per_class_scores", "y_true"),
                          detail::predicted_labels_of(y_pred, "per_class_scores", "y_pred"), o);
}

namespace {

AveragedScores average_of(std::string_view metric, const ConfusionMatrix& cm,
                          const ScoreOptions& o) {
  check_options(metric, o);
  AveragedScores out;
  Undefined u;
  switch (o.average) {
    case Average::binary: {
      const std::size_t k = index_of(cm, o.pos_label);
      if (k == cm.num_classes()) {
        throw ValueError(std::string(metric) + ": pos_label " + std::to_string(o.pos_label) +
                         " is not one of the labels (" + join(cm.labels) + ")");
      }
      const Scores s = scores_of(all_counts(cm)[k], o, o.pos_label, u);
      out = {s.precision, s.recall, s.specificity, s.f_score, cm.support(k), {}};
      break;
    }
    case Average::micro: {
      Counts sum;
      const std::vector<Counts> counts = all_counts(cm);
      for (std::size_t k = 0; k < cm.num_classes(); ++k) {
        const Counts& c = counts[k];
        sum.tp += c.tp, sum.fp += c.fp, sum.fn += c.fn, sum.tn += c.tn;
      }
      Undefined ignored;  // the summed counts are 0 only for an empty matrix
      const Scores s = scores_of(sum, o, 0, ignored);
      out = {s.precision, s.recall, s.specificity, s.f_score, cm.total(), {}};
      break;
    }
    case Average::macro:
    case Average::weighted: {
      const ClassScores pc = per_class_scores(cm, o);
      const bool weighted = o.average == Average::weighted;
      double wsum = 0.0;
      for (std::size_t k = 0; k < pc.labels.size(); ++k) {
        const double w = weighted ? static_cast<double>(pc.support[k]) : 1.0;
        out.precision += w * pc.precision[k];
        out.recall += w * pc.recall[k];
        out.specificity += w * pc.specificity[k];
        out.f_score += w * pc.f_score[k];
        wsum += w;
      }
      if (wsum == 0.0) {
        // No true samples of any label (an explicit label list that misses y_true):
        // scikit-learn returns zero_division for every score.
        out.precision = out.recall = out.specificity = out.f_score = o.zero_division;
        out.notes.push_back("all scores are ill-defined (no true samples) and set to " +
                            detail::number_str(o.zero_division));
      } else {
        out.precision /= wsum, out.recall /= wsum, out.specificity /= wsum, out.f_score /= wsum;
      }
      out.support = cm.total();
      out.notes.insert(out.notes.end(), pc.notes.begin(), pc.notes.end());
      return out;
    }
  }
  out.notes = notes_of(u, o.zero_division);
  return out;
}

AveragedScores averaged_from_labels(std::string_view metric, const Labels& y_true,
                                    const Labels& y_pred, const ScoreOptions& o) {
  if (o.average == Average::binary) {
    // The binary average needs binary data: like scikit-learn, refuse more than two
    // labels, and a pos_label that is not one of two present labels.
    detail::check_same_length(metric, "y_true", y_true.size(), "y_pred", y_pred.size());
    const Labels present = present_labels(y_true, y_pred);
    if (present.size() > 2) {
      throw ValueError(std::string(metric) +
                       ": average=binary needs at most two labels, but y_true and y_pred "
                       "hold " +
                       std::to_string(present.size()) + " (" + join(present) +
                       "); choose average micro, macro or weighted");
    }
    const bool has_pos = std::find(present.begin(), present.end(), o.pos_label) != present.end();
    if (!has_pos && present.size() == 2) {
      throw ValueError(std::string(metric) + ": pos_label " + std::to_string(o.pos_label) +
                       " is not one of the labels (" + join(present) + ")");
    }
    Labels labels = o.labels;
    if (labels.empty()) {
      labels = present;
      if (!has_pos) labels.push_back(o.pos_label);
    }
    return average_of(metric, build_confusion(metric, y_true, y_pred, labels), o);
  }
  return average_of(metric, build_confusion(metric, y_true, y_pred, o.labels), o);
}

}  // namespace

AveragedScores averaged_scores(const ConfusionMatrix& cm, const ScoreOptions& o) {
  return average_of("averaged_scores", cm, o);
}

AveragedScores averaged_scores(const Labels& y_true, const Labels& y_pred, const ScoreOptions& o) {
  return averaged_from_labels("averaged_scores", y_true, y_pred, o);
}

AveragedScores averaged_scores(const Tensor& y_true, const Tensor& y_pred, const ScoreOptions& o) {
  return averaged_scores(detail::labels_of(y_true, "averaged_scores", "y_true"),
                         detail::predicted_labels_of(y_pred, "averaged_scores", "y_pred"), o);
}

namespace {

// One field of the averaged scores, the metric's name in every message.
double one_score(const char* metric, double AveragedScores::*field, const Labels& y_true,
                 const Labels& y_pred, ScoreOptions o, double beta) {
  o.beta = beta;
  return averaged_from_labels(metric, y_true, y_pred, o).*field;
}

double one_score(const char* metric, double AveragedScores::*field, const Tensor& y_true,
                 const Tensor& y_pred, const ScoreOptions& o, double beta) {
  return one_score(metric, field, detail::labels_of(y_true, metric, "y_true"),
                   detail::predicted_labels_of(y_pred, metric, "y_pred"), o, beta);
}

}  // namespace

double precision_score(const Labels& y_true, const Labels& y_pred, const ScoreOptions& o) {
  return one_score("precision_score", &AveragedScores::precision, y_true, y_pred, o, o.beta);
}
double precision_score(const Tensor& y_true, const Tensor& y_pred, const ScoreOptions& o) {
  return one_score("precision_score", &AveragedScores::precision, y_true, y_pred, o, o.beta);
}
double recall_score(const Labels& y_true, const Labels& y_pred, const ScoreOptions& o) {
  return one_score("recall_score", &AveragedScores::recall, y_true, y_pred, o, o.beta);
}
double recall_score(const Tensor& y_true, const Tensor& y_pred, const ScoreOptions& o) {
  return one_score("recall_score", &AveragedScores::recall, y_true, y_pred, o, o.beta);
}
double sensitivity_score(const Labels& y_true, const Labels& y_pred, const ScoreOptions& o) {
  return one_score("sensitivity_score", &AveragedScores::recall, y_true, y_pred, o, o.beta);
}
double sensitivity_score(const Tensor& y_true, const Tensor& y_pred, const ScoreOptions& o) {
  return one_score("sensitivity_score", &AveragedScores::recall, y_true, y_pred, o, o.beta);
}
double specificity_score(const Labels& y_true, const Labels& y_pred, const ScoreOptions& o) {
  return one_score("specificity_score", &AveragedScores::specificity, y_true, y_pred, o, o.beta);
}
double specificity_score(const Tensor& y_true, const Tensor& y_pred, const ScoreOptions& o) {
  return one_score("specificity_score", &AveragedScores::specificity, y_true, y_pred, o, o.beta);
}
double f1_score(const Labels& y_true, const Labels& y_pred, const ScoreOptions& o) {
  return one_score("f1_score", &AveragedScores::f_score, y_true, y_pred, o, 1.0);
}
double f1_score(const Tensor& y_true, const Tensor& y_pred, const ScoreOptions& o) {
  return one_score("f1_score", &AveragedScores::f_score, y_true, y_pred, o, 1.0);
}

double fbeta_score(const Labels& y_true, const Labels& y_pred, double beta, const ScoreOptions& o) {
  return one_score("fbeta_score", &AveragedScores::f_score, y_true, y_pred, o, beta);
}
double fbeta_score(const Tensor& y_true, const Tensor& y_pred, double beta, const ScoreOptions& o) {
  return one_score("fbeta_score", &AveragedScores::f_score, y_true, y_pred, o, beta);
}

}  // namespace xg::metrics
