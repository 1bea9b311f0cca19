// Probabilistic and regression losses as evaluation metrics: log loss (cross-entropy of
// predicted probabilities), mean squared error, mean absolute error and R^2, as
// scikit-learn 1.2 defines them (log_loss, mean_squared_error, mean_absolute_error,
// r2_score). They return plain doubles and record no graph; for training losses with
// gradients use xg::nn::functional.
//
// Errors: ShapeError for inputs of different lengths or shapes, ValueError for empty
// input, labels outside the classes, probabilities outside [0, 1] or non-finite values.
// Every message starts with the metric's name.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "xgrad/autograd/tensor.hpp"

namespace xg::metrics {

// Mean negative log-likelihood of the true classes, -mean(log p[i, y_true[i]]).
// Probabilities are clipped to [eps, 1 - eps] and each row is renormalised to sum to 1,
// as scikit-learn does; eps defaults to the machine epsilon of the input (2.2e-16 for
// double, 1.19e-7 for an f32 tensor; scikit-learn's eps="auto").
//   binary:      p_positive[i] is the probability of class 1; y_true in {0, 1}.
//   multi-class: y_proba rows of C probabilities; y_true in 0..C-1 (scikit-learn's
//                log_loss with labels=range(C)).
//   Tensor:      y_proba of shape (N) or (N, 1) is binary, (N, C) multi-class.
double log_loss(const std::vector<std::int64_t>& y_true, const std::vector<double>& p_positive,
                std::optional<double> eps = std::nullopt);
double log_loss(const std::vector<std::int64_t>& y_true,
                const std::vector<std::vector<double>>& y_proba,
                std::optional<double> eps = std::nullopt);
double log_loss(const Tensor& y_true, const Tensor& y_proba,
                std::optional<double> eps = std::nullopt);

// mean((y_true - y_pred)^2) and mean(|y_true - y_pred|). Tensors must have equal shapes
// (any, with at least one element); the mean runs over all elements, which equals
// scikit-learn's uniform average over the columns of (N, K) targets.
double mean_squared_error(const std::vector<double>& y_true, const std::vector<double>& y_pred);
double mean_squared_error(const Tensor& y_true, const Tensor& y_pred);
double mean_absolute_error(const std::vector<double>& y_true, const std::vector<double>& y_pred);
double mean_absolute_error(const Tensor& y_true, const Tensor& y_pred);

// Coefficient of determination 1 - SS_res / SS_tot. As in scikit-learn (force_finite):
// a constant y_true gives 1 for a perfect prediction and 0 otherwise. Needs at least 2
// samples (ValueError). Tensors: (N) or (N, K); for K outputs the mean of the K scores
// (scikit-learn's multioutput="uniform_average").
double r2_score(const std::vector<double>& y_true, const std::vector<double>& y_pred);
double r2_score(const Tensor& y_true, const Tensor& y_pred);

}  // namespace xg::metrics
