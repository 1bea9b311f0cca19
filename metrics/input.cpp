// Input checks and conversions for metrics/ (see metrics/detail/input.hpp).
#include "metrics/detail/input.hpp"

#include <charconv>
#include <cmath>
#include <string>

namespace xg::metrics::detail {

namespace {

std::string prefix(std::string_view metric) { return std::string(metric) + ": "; }

// (N) or (N, 1): the number of samples N; ShapeError otherwise.
std::int64_t column_length(const Tensor& t, std::string_view metric, std::string_view arg,
                           std::string_view expected) {
  if (!t.defined()) throw ValueError(prefix(metric) + std::string(arg) + " is undefined");
  const Shape& s = t.shape();
  if (s.size() == 1) return s[0];
  if (s.size() == 2 && s[1] == 1) return s[0];
  throw ShapeError(prefix(metric) + std::string(arg) + " must have shape " + std::string(expected) +
                   ", got " + shape_str(s));
}

}  // namespace

std::vector<std::int64_t> labels_of(const Tensor& t, std::string_view metric,
                                    std::string_view arg) {
  column_length(t, metric, arg, "(N) or (N, 1) of i64 class indices");
  if (t.dtype() != Dtype::i64) {
    throw DtypeError(prefix(metric) + std::string(arg) + " must hold i64 class indices, got " +
                     std::string(dtype_name(t.dtype())) + " of shape " + shape_str(t.shape()));
  }
  const auto d = t.data<std::int64_t>();
  return {d.begin(), d.end()};
}

std::vector<std::int64_t> predicted_labels_of(const Tensor& t, std::string_view metric,
                                              std::string_view arg) {
  if (!t.defined()) throw ValueError(prefix(metric) + std::string(arg) + " is undefined");
  if (t.dtype() == Dtype::i64) return labels_of(t, metric, arg);
  const Shape& s = t.shape();
  const std::vector<double> v = t.to_vector<double>();
  std::vector<std::int64_t> out;
  if (s.size() == 2 && s[1] >= 2) {
    // Scores per class: the predicted class is the first maximum of each row, as
    // torch.argmax / numpy.argmax pick it.
    const std::int64_t n = s[0], c = s[1];
    out.resize(static_cast<std::size_t>(n));
    for (std::int64_t i = 0; i < n; ++i) {
      const double* row = v.data() + i * c;
      std::int64_t best = 0;
      for (std::int64_t j = 1; j < c; ++j) {
        if (std::isnan(row[best])) break;  // a NaN is the maximum, as in argmax
        if (std::isnan(row[j]) || row[j] > row[best]) best = j;
      }
      out[static_cast<std::size_t>(i)] = best;
    }
    return out;
  }
  column_length(t, metric, arg,
                "(N) of i64 class indices, (N) of probabilities or (N, C) of class scores");
  check_probabilities(metric, arg, v);
  out.reserve(v.size());
  for (double p : v) out.push_back(p > 0.5 ? 1 : 0);
  return out;
}

std::vector<double> values_of(const Tensor& t, std::string_view metric, std::string_view arg) {
  column_length(t, metric, arg, "(N) or (N, 1)");
  return t.to_vector<double>();
}

Matrix matrix_of(const Tensor& t, std::string_view metric, std::string_view arg) {
  if (!t.defined()) throw ValueError(prefix(metric) + std::string(arg) + " is undefined");
  if (t.dim() != 2) {
    throw ShapeError(prefix(metric) + std::string(arg) + " must have shape (N, C), got " +
                     shape_str(t.shape()));
  }
  if (!is_floating(t.dtype())) {
    throw DtypeError(prefix(metric) + std::string(arg) +
                     " must hold probabilities (f32 or f64), got " +
                     std::string(dtype_name(t.dtype())) + " of shape " + shape_str(t.shape()));
  }
  return Matrix{t.to_vector<double>(), t.shape()[0], t.shape()[1]};
}

Matrix matrix_of(const std::vector<std::vector<double>>& rows, std::string_view metric,
                 std::string_view arg) {
  Matrix m;
  m.rows = static_cast<std::int64_t>(rows.size());
  m.cols = rows.empty() ? 0 : static_cast<std::int64_t>(rows[0].size());
  m.values.reserve(rows.size() * static_cast<std::size_t>(m.cols));
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (static_cast<std::int64_t>(rows[i].size()) != m.cols) {
      throw ShapeError(prefix(metric) + std::string(arg) + " rows differ in length: row 0 has " +
                       std::to_string(m.cols) + " values but row " + std::to_string(i) + " has " +
                       std::to_string(rows[i].size()));
    }
    m.values.insert(m.values.end(), rows[i].begin(), rows[i].end());
  }
  return m;
}

void check_same_length(std::string_view metric, std::string_view a, std::size_t na,
                       std::string_view b, std::size_t nb) {
  if (na != nb) {
    throw ShapeError(prefix(metric) + std::string(a) + " has " + std::to_string(na) +
                     " samples but " + std::string(b) + " has " + std::to_string(nb));
  }
}

void check_nonempty(std::string_view metric, std::size_t n) {
  if (n == 0) throw ValueError(prefix(metric) + "empty input (0 samples)");
}

void check_finite(std::string_view metric, std::string_view arg, std::span<const double> v) {
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (!std::isfinite(v[i])) {
      throw ValueError(prefix(metric) + std::string(arg) + "[" + std::to_string(i) + "] is " +
                       number_str(v[i]) + "; values must be finite");
    }
  }
}

void check_probabilities(std::string_view metric, std::string_view arg, std::span<const double> v) {
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (!(v[i] >= 0.0 && v[i] <= 1.0)) {
      throw ValueError(prefix(metric) + std::string(arg) + "[" + std::to_string(i) +
                       "] = " + number_str(v[i]) + " is not a probability in [0, 1]");
    }
  }
}

std::string join(std::span<const std::int64_t> values, std::size_t max_items) {
  std::string out;
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i == max_items) return out + ", ...";
    if (i > 0) out += ", ";
    out += std::to_string(values[i]);
  }
  return out;
}

std::string number_str(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

}  // namespace xg::metrics::detail
