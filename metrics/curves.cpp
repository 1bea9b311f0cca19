// ROC and precision-recall curves (see curves.hpp). The code follows scikit-learn 1.2's
// _binary_clf_curve / roc_curve / precision_recall_curve step by step, so that the
// points, not only the areas, are the same.
#include "metrics/curves.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <set>
#include <string>

#include "metrics/detail/input.hpp"

namespace xg::metrics {

namespace {

using detail::join;

// is_positive[i] = (y_true[i] == pos_label), after checking that y_true holds at most two
// labels and that pos_label is one of them when there are two.
std::vector<char> binarize(std::string_view metric, const Labels& y_true, std::int64_t pos_label) {
  std::set<std::int64_t> seen;
  for (std::int64_t v : y_true) {
    seen.insert(v);
    if (seen.size() > 2) break;
  }
  const Labels values(seen.begin(), seen.end());
  if (values.size() > 2) {
    throw ValueError(std::string(metric) +
                     ": y_true must hold two labels (binary), got at least 3 (" + join(values) +
                     "); for multi-class probabilities use the (N, C) form of roc_auc_score");
  }
  if (values.size() == 2 && !seen.contains(pos_label)) {
    throw ValueError(std::string(metric) + ": pos_label " + std::to_string(pos_label) +
                     " is not one of the labels in y_true (" + join(values) + ")");
  }
  std::vector<char> out(y_true.size());
  for (std::size_t i = 0; i < y_true.size(); ++i) out[i] = y_true[i] == pos_label;
  return out;
}

// Cumulative counts at each distinct score, highest score first: at thresholds[i],
// tps[i] positives and fps[i] negatives have a score >= thresholds[i].
struct ClfCurve {
  std::vector<double> fps, tps, thresholds;
};

ClfCurve binary_clf_curve(const std::vector<char>& is_positive, const std::vector<double>& score) {
  std::vector<std::size_t> order(score.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return score[a] > score[b]; });
  ClfCurve c;
  double tp = 0, fp = 0;
  for (std::size_t r = 0; r < order.size(); ++r) {
    const std::size_t i = order[r];
    (is_positive[i] ? tp : fp) += 1;
    // Ties share one threshold: emit a point only after the last sample of a score.
    if (r + 1 == order.size() || score[order[r + 1]] != score[i]) {
      c.tps.push_back(tp);
      c.fps.push_back(fp);
      c.thresholds.push_back(score[i]);
    }
  }
  return c;
}

void check_scores(std::string_view metric, const Labels& y_true,
                  const std::vector<double>& y_score) {
  detail::check_same_length(metric, "y_true", y_true.size(), "y_score", y_score.size());
  detail::check_nonempty(metric, y_true.size());
  detail::check_finite(metric, "y_score", y_score);
}

RocCurve roc_from(std::string_view metric, const Labels& y_true, const std::vector<double>& y_score,
                  const RocOptions& o) {
  check_scores(metric, y_true, y_score);
  const std::vector<char> pos = binarize(metric, y_true, o.pos_label);
  ClfCurve c = binary_clf_curve(pos, y_score);
  if (c.tps.back() == 0 || c.fps.back() == 0) {
    throw ValueError(std::string(metric) + ": y_true holds only " +
                     (c.tps.back() == 0 ? "negative samples" : "positive samples") +
                     " (pos_label " + std::to_string(o.pos_label) + ", " +
                     std::to_string(y_true.size()) + " samples); the ROC curve needs both classes");
  }
  if (o.drop_intermediate && c.fps.size() > 2) {
    // Keep the end points and every point where the curve bends (a non-zero second
    // difference of fps or tps): collinear points change neither the curve nor its area.
    ClfCurve kept;
    const std::size_t m = c.fps.size();
    for (std::size_t i = 0; i < m; ++i) {
      const bool bend = i == 0 || i + 1 == m || c.fps[i + 1] - 2 * c.fps[i] + c.fps[i - 1] != 0 ||
                        c.tps[i + 1] - 2 * c.tps[i] + c.tps[i - 1] != 0;
      if (bend) {
        kept.fps.push_back(c.fps[i]);
        kept.tps.push_back(c.tps[i]);
        kept.thresholds.push_back(c.thresholds[i]);
      }
    }
    c = std::move(kept);
  }
  RocCurve r;
  const double neg = c.fps.back(), posn = c.tps.back();
  r.fpr.push_back(0.0);
  r.tpr.push_back(0.0);
  r.thresholds.push_back(c.thresholds.front() + 1.0);
  for (std::size_t i = 0; i < c.fps.size(); ++i) {
    r.fpr.push_back(c.fps[i] / neg);
    r.tpr.push_back(c.tps[i] / posn);
    r.thresholds.push_back(c.thresholds[i]);
  }
  return r;
}

double trapezoid(const std::vector<double>& x, const std::vector<double>& y) {
  double area = 0.0;
  for (std::size_t i = 0; i + 1 < x.size(); ++i)
    area += (x[i + 1] - x[i]) * (y[i + 1] + y[i]) / 2.0;
  return area;
}

double binary_auc(std::string_view metric, const Labels& y_true, const std::vector<double>& y_score,
                  std::int64_t pos_label) {
  const RocCurve r = roc_from(metric, y_true, y_score, {.pos_label = pos_label});
  return trapezoid(r.fpr, r.tpr);
}

double multiclass_auc(const Labels& y_true, const detail::Matrix& p, Average average) {
  constexpr std::string_view metric = "roc_auc_score";
  detail::check_same_length(metric, "y_true", y_true.size(), "y_proba",
                            static_cast<std::size_t>(p.rows));
  detail::check_nonempty(metric, y_true.size());
  if (p.cols < 2) {
    throw ShapeError(std::string(metric) +
                     ": y_proba must have at least 2 columns (classes), got " +
                     shape_str({p.rows, p.cols}));
  }
  if (average != Average::macro && average != Average::weighted) {
    throw ValueError(std::string(metric) + ": one-vs-rest averages are macro and weighted, got " +
                     std::string(average_name(average)));
  }
  detail::check_probabilities(metric, "y_proba", p.values);
  for (std::int64_t i = 0; i < p.rows; ++i) {
    double s = 0.0;
    for (std::int64_t j = 0; j < p.cols; ++j) s += p.at(i, j);
    // numpy.allclose(1, s): the tolerance scikit-learn uses for this check.
    if (!(std::abs(s - 1.0) <= 1e-8 + 1e-5 * std::abs(s))) {
      throw ValueError(std::string(metric) + ": row " + std::to_string(i) + " of y_proba " +
                       shape_str({p.rows, p.cols}) + " sums to " + detail::number_str(s) +
                       "; one-vs-rest ROC AUC needs probabilities that sum to 1 over classes");
    }
  }
  std::vector<std::int64_t> count(static_cast<std::size_t>(p.cols), 0);
  for (std::size_t i = 0; i < y_true.size(); ++i) {
    if (y_true[i] < 0 || y_true[i] >= p.cols) {
      throw ValueError(std::string(metric) + ": y_true[" + std::to_string(i) +
                       "] = " + std::to_string(y_true[i]) + " is not a class of y_proba " +
                       shape_str({p.rows, p.cols}) + " (0.." + std::to_string(p.cols - 1) + ")");
    }
    ++count[static_cast<std::size_t>(y_true[i])];
  }
  for (std::int64_t c = 0; c < p.cols; ++c) {
    if (count[static_cast<std::size_t>(c)] == 0) {
      throw ValueError(std::string(metric) + ": class " + std::to_string(c) +
                       " does not occur in y_true (" + std::to_string(y_true.size()) +
                       " samples, " + std::to_string(p.cols) +
                       " classes); its one-vs-rest ROC AUC is undefined");
    }
  }
  double sum = 0.0, wsum = 0.0;
  std::vector<double> column(y_true.size());
  Labels is_class(y_true.size());
  for (std::int64_t c = 0; c < p.cols; ++c) {
    for (std::size_t i = 0; i < y_true.size(); ++i) {
      column[i] = p.at(static_cast<std::int64_t>(i), c);
      is_class[i] = y_true[i] == c;
    }
    const double w = average == Average::weighted
                         ? static_cast<double>(count[static_cast<std::size_t>(c)])
                         : 1.0;
    sum += w * binary_auc(metric, is_class, column, 1);
    wsum += w;
  }
  return sum / wsum;
}

PrecisionRecallCurve pr_from(std::string_view metric, const Labels& y_true,
                             const std::vector<double>& y_score, std::int64_t pos_label) {
  check_scores(metric, y_true, y_score);
  const std::vector<char> pos = binarize(metric, y_true, pos_label);
  const ClfCurve c = binary_clf_curve(pos, y_score);
  if (c.tps.back() == 0) {
    throw ValueError(std::string(metric) + ": y_true has no positive samples (pos_label " +
                     std::to_string(pos_label) + ", " + std::to_string(y_true.size()) +
                     " samples); recall is undefined");
  }
  PrecisionRecallCurve r;
  // Reversed so that recall decreases; thresholds then increase.
  for (std::size_t k = c.tps.size(); k-- > 0;) {
    r.precision.push_back(c.tps[k] / (c.tps[k] + c.fps[k]));
    r.recall.push_back(c.tps[k] / c.tps.back());
    r.thresholds.push_back(c.thresholds[k]);
  }
  r.precision.push_back(1.0);
  r.recall.push_back(0.0);
  return r;
}

}  // namespace

RocCurve roc_curve(const Labels& y_true, const std::vector<double>& y_score,
                   const RocOptions& options) {
  return roc_from("roc_curve", y_true, y_score, options);
}

RocCurve roc_curve(const Tensor& y_true, const Tensor& y_score, const RocOptions& options) {
  return roc_curve(detail::labels_of(y_true, "roc_curve", "y_true"),
                   detail::values_of(y_score, "roc_curve", "y_score"), options);
}

double auc(const std::vector<double>& x, const std::vector<double>& y) {
  detail::check_same_length("auc", "x", x.size(), "y", y.size());
  if (x.size() < 2) {
    throw ValueError("auc: needs at least 2 points, got " + std::to_string(x.size()));
  }
  detail::check_finite("auc", "x", x);
  detail::check_finite("auc", "y", y);
  bool increasing = true, decreasing = true;
  for (std::size_t i = 0; i + 1 < x.size(); ++i) {
    increasing = increasing && x[i + 1] >= x[i];
    decreasing = decreasing && x[i + 1] <= x[i];
  }
  if (!increasing && !decreasing) {
    throw ValueError("auc: x is neither increasing nor decreasing (" + std::to_string(x.size()) +
                     " points)");
  }
  // A decreasing x gives a negative trapezoid sum; the area is its absolute value.
  return (increasing ? 1.0 : -1.0) * trapezoid(x, y);
}

double roc_auc_score(const Labels& y_true, const std::vector<double>& y_score,
                     std::int64_t pos_label) {
  return binary_auc("roc_auc_score", y_true, y_score, pos_label);
}

double roc_auc_score(const Labels& y_true, const std::vector<std::vector<double>>& y_proba,
                     Average average) {
  return multiclass_auc(y_true, detail::matrix_of(y_proba, "roc_auc_score", "y_proba"), average);
}

double roc_auc_score(const Tensor& y_true, const Tensor& y_score, Average average,
                     std::int64_t pos_label) {
  const Labels y = detail::labels_of(y_true, "roc_auc_score", "y_true");
  if (y_score.defined() && y_score.dim() == 2 && y_score.shape()[1] >= 2) {
    return multiclass_auc(y, detail::matrix_of(y_score, "roc_auc_score", "y_score"), average);
  }
  return binary_auc("roc_auc_score", y, detail::values_of(y_score, "roc_auc_score", "y_score"),
                    pos_label);
}

PrecisionRecallCurve precision_recall_curve(const Labels& y_true,
                                            const std::vector<double>& y_score,
                                            std::int64_t pos_label) {
  return pr_from("precision_recall_curve", y_true, y_score, pos_label);
}

PrecisionRecallCurve precision_recall_curve(const Tensor& y_true, const Tensor& y_score,
                                            std::int64_t pos_label) {
  return precision_recall_curve(detail::labels_of(y_true, "precision_recall_curve", "y_true"),
                                detail::values_of(y_score, "precision_recall_curve", "y_score"),
                                pos_label);
}

double average_precision_score(const Labels& y_true, const std::vector<double>& y_score,
                               std::int64_t pos_label) {
  const PrecisionRecallCurve c = pr_from("average_precision_score", y_true, y_score, pos_label);
  double ap = 0.0;
  for (std::size_t i = 0; i + 1 < c.recall.size(); ++i) {
    ap += (c.recall[i] - c.recall[i + 1]) * c.precision[i];
  }
  return ap;
}

double average_precision_score(const Tensor& y_true, const Tensor& y_score,
                               std::int64_t pos_label) {
  return average_precision_score(detail::labels_of(y_true, "average_precision_score", "y_true"),
                                 detail::values_of(y_score, "average_precision_score", "y_score"),
                                 pos_label);
}

}  // namespace xg::metrics
