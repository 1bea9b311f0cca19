// Log loss, MSE, MAE and R^2 (see regression.hpp).
#include "metrics/regression.hpp"

#include <cmath>
#include <limits>
#include <string>

#include "metrics/detail/input.hpp"

namespace xg::metrics {

namespace {

// The mean of -log(p[i, y[i]]) over rows, after scikit-learn's clipping and row
// renormalisation. Labels are checked against the number of columns first.
double log_loss_of(const std::vector<std::int64_t>& y_true, const detail::Matrix& p, double eps,
                   std::string_view arg) {
  constexpr std::string_view metric = "log_loss";
  detail::check_same_length(metric, "y_true", y_true.size(), arg, static_cast<std::size_t>(p.rows));
  detail::check_nonempty(metric, y_true.size());
  detail::check_probabilities(metric, arg, p.values);
  if (!(eps >= 0.0 && eps < 0.5)) {
    throw ValueError("log_loss: eps must be in [0, 0.5), got " + detail::number_str(eps));
  }
  const bool binary = p.cols == 1;
  const std::int64_t classes = binary ? 2 : p.cols;
  for (std::size_t i = 0; i < y_true.size(); ++i) {
    if (y_true[i] < 0 || y_true[i] >= classes) {
      throw ValueError("log_loss: y_true[" + std::to_string(i) + "] = " +
                       std::to_string(y_true[i]) + " is not a class of " + std::string(arg) + " " +
                       shape_str({p.rows, p.cols}) + " (0.." + std::to_string(classes - 1) + ")");
    }
  }
  auto clip = [eps](double v) { return std::min(std::max(v, eps), 1.0 - eps); };
  double total = 0.0;
  for (std::int64_t i = 0; i < p.rows; ++i) {
    const auto y = y_true[static_cast<std::size_t>(i)];
    double row_sum = 0.0, p_true = 0.0;
    if (binary) {
      // scikit-learn clips p first, then forms the row [1 - p, p].
      const double q = clip(p.at(i, 0));
      row_sum = (1.0 - q) + q;
      p_true = y == 1 ? q : 1.0 - q;
    } else {
      for (std::int64_t c = 0; c < p.cols; ++c) row_sum += clip(p.at(i, c));
      p_true = clip(p.at(i, y));
    }
    total += -std::log(p_true / row_sum);
  }
  return total / static_cast<double>(p.rows);
}

constexpr double kDoubleEps = std::numeric_limits<double>::epsilon();

// Equal lengths, not empty, finite.
void check_pair(std::string_view metric, const std::vector<double>& a,
                const std::vector<double>& b) {
  detail::check_same_length(metric, "y_true", a.size(), "y_pred", b.size());
  detail::check_nonempty(metric, a.size());
  detail::check_finite(metric, "y_true", a);
  detail::check_finite(metric, "y_pred", b);
}

// Both tensors defined with the same shape and at least one element; their values.
std::pair<std::vector<double>, std::vector<double>> tensor_pair(std::string_view metric,
                                                                const Tensor& a, const Tensor& b) {
  if (!a.defined() || !b.defined()) {
    throw ValueError(std::string(metric) + ": " + (a.defined() ? "y_pred" : "y_true") +
                     " is undefined");
  }
  if (a.shape() != b.shape()) {
    throw ShapeError(std::string(metric) + ": y_true " + shape_str(a.shape()) + " and y_pred " +
                     shape_str(b.shape()) + " differ in shape");
  }
  return {a.to_vector<double>(), b.to_vector<double>()};
}

// R^2 of column `col` of two (n, k) row-major arrays.
double r2_column(const std::vector<double>& t, const std::vector<double>& p, std::size_t n,
                 std::size_t k, std::size_t col) {
  double mean = 0.0;
  for (std::size_t i = 0; i < n; ++i) mean += t[i * k + col];
  mean /= static_cast<double>(n);
  double ss_res = 0.0, ss_tot = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    const double r = t[i * k + col] - p[i * k + col];
    const double d = t[i * k + col] - mean;
    ss_res += r * r;
    ss_tot += d * d;
  }
  if (ss_res == 0.0) return 1.0;  // perfect, even for a constant y_true
  if (ss_tot == 0.0) return 0.0;  // scikit-learn's force_finite instead of -inf
  return 1.0 - ss_res / ss_tot;
}

double r2_of(const std::vector<double>& t, const std::vector<double>& p, std::size_t n,
             std::size_t k) {
  if (n < 2) {
    throw ValueError("r2_score: needs at least 2 samples, got " + std::to_string(n));
  }
  double sum = 0.0;
  for (std::size_t c = 0; c < k; ++c) sum += r2_column(t, p, n, k, c);
  return sum / static_cast<double>(k);
}

}  // namespace

double log_loss(const std::vector<std::int64_t>& y_true, const std::vector<double>& p_positive,
                std::optional<double> eps) {
  const detail::Matrix m{p_positive, static_cast<std::int64_t>(p_positive.size()), 1};
  return log_loss_of(y_true, m, eps.value_or(kDoubleEps), "p_positive");
}

double log_loss(const std::vector<std::int64_t>& y_true,
                const std::vector<std::vector<double>>& y_proba, std::optional<double> eps) {
  const detail::Matrix m = detail::matrix_of(y_proba, "log_loss", "y_proba");
  if (m.cols < 2 && m.rows > 0) {
    throw ShapeError("log_loss: y_proba rows need at least 2 classes, got " +
                     shape_str({m.rows, m.cols}) + "; pass a vector of p(class 1) for binary");
  }
  return log_loss_of(y_true, m, eps.value_or(kDoubleEps), "y_proba");
}

double log_loss(const Tensor& y_true, const Tensor& y_proba, std::optional<double> eps) {
  const auto y = detail::labels_of(y_true, "log_loss", "y_true");
  detail::Matrix m;
  if (y_proba.defined() && y_proba.dim() == 2 && y_proba.shape()[1] >= 2) {
    m = detail::matrix_of(y_proba, "log_loss", "y_proba");
  } else {
    m.values = detail::values_of(y_proba, "log_loss", "y_proba");
    m.rows = static_cast<std::int64_t>(m.values.size());
    m.cols = 1;
    if (!is_floating(y_proba.dtype())) {
      throw DtypeError("log_loss: y_proba must hold probabilities (f32 or f64), got i64 of shape " +
                       shape_str(y_proba.shape()));
    }
  }
  const double default_eps = y_proba.dtype() == Dtype::f32
                                 ? static_cast<double>(std::numeric_limits<float>::epsilon())
                                 : kDoubleEps;
  return log_loss_of(y, m, eps.value_or(default_eps), "y_proba");
}

double mean_squared_error(const std::vector<double>& y_true, const std::vector<double>& y_pred) {
  check_pair("mean_squared_error", y_true, y_pred);
  double s = 0.0;
  for (std::size_t i = 0; i < y_true.size(); ++i) {
    const double d = y_true[i] - y_pred[i];
    s += d * d;
  }
  return s / static_cast<double>(y_true.size());
}

double mean_squared_error(const Tensor& y_true, const Tensor& y_pred) {
  const auto [t, p] = tensor_pair("mean_squared_error", y_true, y_pred);
  return mean_squared_error(t, p);
}

double mean_absolute_error(const std::vector<double>& y_true, const std::vector<double>& y_pred) {
  check_pair("mean_absolute_error", y_true, y_pred);
  double s = 0.0;
  for (std::size_t i = 0; i < y_true.size(); ++i) s += std::abs(y_true[i] - y_pred[i]);
  return s / static_cast<double>(y_true.size());
}

double mean_absolute_error(const Tensor& y_true, const Tensor& y_pred) {
  const auto [t, p] = tensor_pair("mean_absolute_error", y_true, y_pred);
  return mean_absolute_error(t, p);
}

double r2_score(const std::vector<double>& y_true, const std::vector<double>& y_pred) {
  check_pair("r2_score", y_true, y_pred);
  return r2_of(y_true, y_pred, y_true.size(), 1);
}

double r2_score(const Tensor& y_true, const Tensor& y_pred) {
  const auto [t, p] = tensor_pair("r2_score", y_true, y_pred);
  if (y_true.dim() != 1 && y_true.dim() != 2) {
    throw ShapeError("r2_score: y_true and y_pred must have shape (N) or (N, K), got " +
                     shape_str(y_true.shape()));
  }
  check_pair("r2_score", t, p);
  const auto n = static_cast<std::size_t>(y_true.shape()[0]);
  const std::size_t k = y_true.dim() == 2 ? static_cast<std::size_t>(y_true.shape()[1]) : 1;
  return r2_of(t, p, n, k);
}

}  // namespace xg::metrics
