// Input checks and Tensor -> std::vector conversions shared by the metrics/ sources.
// Not installed. Every function takes the metric's name (e.g. "roc_curve") and the
// argument's name (e.g. "y_score") so that messages name both.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "autograd/tensor.hpp"

namespace xg::metrics::detail {

// A dense row-major matrix of doubles (probabilities, one row per sample).
struct Matrix {
  std::vector<double> values;
  std::int64_t rows = 0;
  std::int64_t cols = 0;
  double at(std::int64_t r, std::int64_t c) const {
    return values[static_cast<std::size_t>(r * cols + c)];
  }
};

// i64 tensor of shape (N) or (N, 1). DtypeError for a float tensor, ShapeError otherwise.
std::vector<std::int64_t> labels_of(const Tensor& t, std::string_view metric, std::string_view arg);
// Predicted classes from a tensor: i64 (N) or (N, 1) as they are; float (N, C) with C >= 2
// by argmax over each row; float (N) or (N, 1) as positive-class probabilities in [0, 1],
// class 1 where p > 0.5 (ValueError for values outside [0, 1]).
std::vector<std::int64_t> predicted_labels_of(const Tensor& t, std::string_view metric,
                                              std::string_view arg);
// Values of a tensor of shape (N) or (N, 1), any dtype, as doubles.
std::vector<double> values_of(const Tensor& t, std::string_view metric, std::string_view arg);
// A float tensor of shape (N, C) as a Matrix.
Matrix matrix_of(const Tensor& t, std::string_view metric, std::string_view arg);
// Rows of equal length as a Matrix (ShapeError for ragged rows).
Matrix matrix_of(const std::vector<std::vector<double>>& rows, std::string_view metric,
                 std::string_view arg);

// ShapeError "metric: a has 5 samples but b has 4" unless na == nb.
void check_same_length(std::string_view metric, std::string_view a, std::size_t na,
                       std::string_view b, std::size_t nb);
// ValueError "metric: empty input (0 samples)" if n == 0.
void check_nonempty(std::string_view metric, std::size_t n);
// ValueError naming the first value that is NaN or infinite.
void check_finite(std::string_view metric, std::string_view arg, std::span<const double> v);
// ValueError naming the first value outside [0, 1] (or NaN).
void check_probabilities(std::string_view metric, std::string_view arg, std::span<const double> v);

// "0, 1, 2" (at most `max_items` values, then "...").
std::string join(std::span<const std::int64_t> values, std::size_t max_items = 10);
// Shortest round-trip text of a double ("0.5", "1e-15", "nan").
std::string number_str(double v);

}  // namespace xg::metrics::detail
