// Log loss, MSE, MAE and R^2 against scikit-learn 1.2.1 (see metrics_test_util.hpp).
#include <doctest/doctest.h>

#include <limits>

#include "metrics_test_util.hpp"
#include "xgrad/metrics/regression.hpp"

using namespace xg;
using namespace xg::metrics;
using xg::test::check_close;
using xg::test::check_throws;

TEST_CASE("log_loss: binary and multi-class probabilities") {
  // from sklearn.metrics import log_loss
  // log_loss([0,1,1,0,1], [0.1,0.8,0.6,0.3,0.95]) -> 0.24945958581286196
  const std::vector<std::int64_t> yb = {0, 1, 1, 0, 1};
  const std::vector<double> pb = {0.1, 0.8, 0.6, 0.3, 0.95};
  check_close(log_loss(yb, pb), 0.24945958581286196);
  check_close(log_loss(tensor_i64(yb), tensor(pb, {5}, {.dtype = f64})), 0.24945958581286196);
  check_close(log_loss(tensor_i64(yb), tensor(pb, {5, 1}, {.dtype = f64})), 0.24945958581286196);
  // P = [[0.7,0.2,0.1],[0.1,0.6,0.3],[0.2,0.2,0.6],[0.5,0.4,0.1],[0.3,0.3,0.4]]
  // log_loss([0,1,2,1,0], P) -> 0.6997179455341609
  const std::vector<std::vector<double>> p = {
      {0.7, 0.2, 0.1}, {0.1, 0.6, 0.3}, {0.2, 0.2, 0.6}, {0.5, 0.4, 0.1}, {0.3, 0.3, 0.4}};
  const std::vector<std::int64_t> y = {0, 1, 2, 1, 0};
  check_close(log_loss(y, p), 0.6997179455341609);
  std::vector<double> flat;
  for (const auto& row : p) flat.insert(flat.end(), row.begin(), row.end());
  check_close(log_loss(tensor_i64(y), tensor(flat, {5, 3}, {.dtype = f64})), 0.6997179455341609);
  // A class absent from y_true is still a column:
  // log_loss([0,1,1,0], [[0.6,0.3,0.1],[0.2,0.7,0.1],[0.1,0.8,0.1],[0.5,0.25,0.25]],
  //          labels=[0,1,2]) -> 0.4459478248947194
  check_close(log_loss(std::vector<std::int64_t>{0, 1, 1, 0},
                       {{0.6, 0.3, 0.1}, {0.2, 0.7, 0.1}, {0.1, 0.8, 0.1}, {0.5, 0.25, 0.25}}),
              0.4459478248947194);
  // Rows that do not sum to 1 are renormalised:
  // log_loss([0,1], [[0.5,0.3,0.1],[0.2,0.2,0.2]], labels=[0,1,2]) -> 0.8431994767851143
  check_close(log_loss(std::vector<std::int64_t>{0, 1}, {{0.5, 0.3, 0.1}, {0.2, 0.2, 0.2}}),
              0.8431994767851143);
}

TEST_CASE("log_loss: clipping of 0 and 1 by eps") {
  // log_loss([0,1,1,0], [0.0,1.0,0.0,0.2]) -> 9.06669923510784 (eps = 2.22e-16)
  check_close(log_loss(std::vector<std::int64_t>{0, 1, 1, 0}, std::vector<double>{0, 1, 0, 0.2}),
              9.06669923510784);
  // log_loss([0,1,2], [[1,0,0],[0,1,0],[1,0,0]]) -> 12.014551129705717 (eps auto, float64)
  // ... eps=1e-15 -> 11.51292546497023
  // ... as np.float32 (eps auto = 1.19e-7) -> 5.314128582975084
  const std::vector<std::vector<double>> hard = {{1, 0, 0}, {0, 1, 0}, {1, 0, 0}};
  const std::vector<std::int64_t> y = {0, 1, 2};
  check_close(log_loss(y, hard), 12.014551129705717);
  check_close(log_loss(y, hard, 1e-15), 11.51292546497023);
  // scikit-learn computes the f32 case in float32 arithmetic; we compute in double.
  check_close(log_loss(tensor_i64(y), tensor({1, 0, 0, 0, 1, 0, 1, 0, 0}, {3, 3})),
              5.314128582975084, 1e-6);
  check_close(log_loss(tensor_i64(y), tensor({1, 0, 0, 0, 1, 0, 1, 0, 0}, {3, 3}, {.dtype = f64})),
              12.014551129705717);
  // Perfect predictions: only the clipping is left, -log(1 - eps) ~ eps.
  CHECK(log_loss(std::vector<std::int64_t>{0, 1}, std::vector<double>{0.0, 1.0}) < 1e-15);
}

TEST_CASE("log_loss: bad inputs") {
  const std::vector<std::int64_t> y = {0, 1, 2};
  check_throws<ValueError>(
      [&] {
        log_loss(y, {{0.5, 0.5, 0.0}, {0.2, 1.3, 0.0}, {0.0, 0.0, 1.0}});
      },
      {"log_loss", "y_proba[4] = 1.3", "not a probability in [0, 1]"});
  check_throws<ValueError>(
      [] {
        log_loss(std::vector<std::int64_t>{0, 2}, std::vector<double>{0.5, 0.5});
      },
      {"log_loss", "y_true[1] = 2", "(2, 1)", "0..1"});
  check_throws<ValueError>(
      [&] {
        log_loss(y, {{0.5, 0.5}, {0.5, 0.5}, {0.5, 0.5}});
      },
      {"log_loss", "y_true[2] = 2", "(3, 2)", "0..1"});
  check_throws<ShapeError>(
      [] {
        log_loss(std::vector<std::int64_t>{0, 1}, std::vector<double>{0.5});
      },
      {"log_loss", "y_true has 2 samples", "p_positive has 1"});
  check_throws<ValueError>([] { log_loss(std::vector<std::int64_t>{}, std::vector<double>{}); },
                           {"log_loss", "empty input"});
  check_throws<ValueError>(
      [] { log_loss(std::vector<std::int64_t>{0}, std::vector<double>{-0.1}); },
      {"log_loss", "p_positive[0] = -0.1"});
  check_throws<ValueError>(
      [] { log_loss(std::vector<std::int64_t>{0}, std::vector<double>{0.5}, 0.7); },
      {"log_loss", "eps must be in [0, 0.5)", "0.7"});
  check_throws<ShapeError>(
      [] {
        log_loss(tensor_i64({0, 1}), zeros({2, 3, 1}));
      },
      {"log_loss", "y_proba", "(2, 3, 1)"});
  check_throws<DtypeError>(
      [] {
        log_loss(tensor_i64({0, 1}), tensor_i64({0, 1}));
      },
      {"log_loss", "y_proba", "i64"});
  check_throws<DtypeError>(
      [] {
        log_loss(tensor({0.0, 1.0}), tensor({0.5, 0.5}));
      },
      {"log_loss", "y_true", "i64", "f32"});
}

TEST_CASE("mean_squared_error, mean_absolute_error, r2_score") {
  // yt = [3.0,-0.5,2.0,7.0,4.2]; yp = [2.5,0.0,2.0,8.0,3.9]
  // mean_squared_error -> 0.318, mean_absolute_error -> 0.4600000000000001,
  // r2_score -> 0.9480256276150627
  const std::vector<double> yt = {3.0, -0.5, 2.0, 7.0, 4.2}, yp = {2.5, 0.0, 2.0, 8.0, 3.9};
  check_close(mean_squared_error(yt, yp), 0.318);
  check_close(mean_absolute_error(yt, yp), 0.4600000000000001);
  check_close(r2_score(yt, yp), 0.9480256276150627);
  const Tensor tt = tensor(yt, {5}, {.dtype = f64}), tp = tensor(yp, {5}, {.dtype = f64});
  check_close(mean_squared_error(tt, tp), 0.318);
  check_close(mean_absolute_error(tt, tp), 0.4600000000000001);
  check_close(r2_score(tt, tp), 0.9480256276150627);
  // Two outputs: YT = [[0.5,1.0],[-1.0,1.0],[7.0,-6.0]]; YP = [[0.0,2.0],[-1.0,2.0],[8.0,-5.0]]
  // mean_squared_error -> 0.7083333333333334, mean_absolute_error -> 0.75,
  // r2_score (uniform_average) -> 0.9368005266622779
  const Tensor t2 = tensor({0.5, 1.0, -1.0, 1.0, 7.0, -6.0}, {3, 2}, {.dtype = f64});
  const Tensor p2 = tensor({0.0, 2.0, -1.0, 2.0, 8.0, -5.0}, {3, 2}, {.dtype = f64});
  check_close(mean_squared_error(t2, p2), 0.7083333333333334);
  check_close(mean_absolute_error(t2, p2), 0.75);
  check_close(r2_score(t2, p2), 0.9368005266622779);
  // r2_score([2,2,2],[2,2,2]) -> 1.0; r2_score([2,2,2],[2,2.1,2]) -> 0.0 (force_finite);
  // r2_score([1,2,3],[3,2,1]) -> -3.0
  CHECK(r2_score({2.0, 2.0, 2.0}, {2.0, 2.0, 2.0}) == 1.0);
  CHECK(r2_score({2.0, 2.0, 2.0}, {2.0, 2.1, 2.0}) == 0.0);
  check_close(r2_score({1.0, 2.0, 3.0}, {3.0, 2.0, 1.0}), -3.0);
  // An outlier: mean_squared_error([1,2,3,4],[1,2,3,14]) -> 25.0; MAE -> 2.5
  CHECK(mean_squared_error({1, 2, 3, 4}, {1, 2, 3, 14}) == 25.0);
  CHECK(mean_absolute_error({1, 2, 3, 4}, {1, 2, 3, 14}) == 2.5);
}

TEST_CASE("regression metrics: bad inputs") {
  check_throws<ShapeError>(
      [] {
        mean_squared_error({1.0, 2.0}, {1.0});
      },
      {"mean_squared_error", "y_true has 2 samples", "y_pred has 1"});
  check_throws<ValueError>(
      [] { mean_absolute_error(std::vector<double>{}, std::vector<double>{}); },
      {"mean_absolute_error", "empty input"});
  check_throws<ValueError>([] { r2_score({1.0}, {1.0}); },
                           {"r2_score", "at least 2 samples, got 1"});
  check_throws<ValueError>(
      [] {
        mean_squared_error({1.0, std::numeric_limits<double>::infinity()}, {1.0, 2.0});
      },
      {"mean_squared_error", "y_true[1] is inf"});
  check_throws<ShapeError>(
      [] {
        mean_squared_error(zeros({2, 3}), zeros({3, 2}));
      },
      {"mean_squared_error", "y_true (2, 3)", "y_pred (3, 2)"});
  check_throws<ShapeError>(
      [] {
        r2_score(zeros({2, 2, 2}), zeros({2, 2, 2}));
      },
      {"r2_score", "(N) or (N, K)", "(2, 2, 2)"});
  check_throws<ValueError>([] { mean_squared_error(zeros({0}), zeros({0})); },
                           {"mean_squared_error", "empty input"});
}
