// ROC and precision-recall curves, AUC and average precision against scikit-learn 1.2.1
// (see metrics_test_util.hpp).
#include <doctest/doctest.h>

#include <limits>

#include "metrics_test_util.hpp"
#include "xgrad/metrics/curves.hpp"

using namespace xg;
using namespace xg::metrics;
using xg::test::check_close;
using xg::test::check_throws;

namespace {

// Binary scores with ties (0.35 three times, 0.4 twice, across both classes):
//   from sklearn.metrics import *
//   yt = [0,0,1,1,0,1,0,1,1,0,1,0]
//   ys = [0.1,0.4,0.35,0.8,0.4,0.9,0.2,0.35,0.6,0.7,0.35,0.05]
const Labels kTrue = {0, 0, 1, 1, 0, 1, 0, 1, 1, 0, 1, 0};
const std::vector<double> kScore = {0.1, 0.4, 0.35, 0.8, 0.4, 0.9, 0.2, 0.35, 0.6, 0.7, 0.35, 0.05};

}  // namespace

TEST_CASE("roc_curve: points and thresholds with tied scores") {
  // roc_curve(yt, ys, drop_intermediate=True)
  const RocCurve r = roc_curve(kTrue, kScore);
  check_close(r.fpr, {0.0, 0.0, 0.0, 0.16666666666666666, 0.16666666666666666, 0.5, 0.5, 1.0});
  check_close(r.tpr, {0.0, 0.16666666666666666, 0.3333333333333333, 0.3333333333333333, 0.5, 0.5,
                      1.0, 1.0});
  check_close(r.thresholds, {1.9, 0.9, 0.8, 0.7, 0.6, 0.4, 0.35, 0.05});
  // roc_curve(yt, ys, drop_intermediate=False)
  const RocCurve all = roc_curve(kTrue, kScore, {.drop_intermediate = false});
  check_close(all.fpr, {0.0, 0.0, 0.0, 0.16666666666666666, 0.16666666666666666, 0.5, 0.5,
                        0.6666666666666666, 0.8333333333333334, 1.0});
  check_close(all.tpr, {0.0, 0.16666666666666666, 0.3333333333333333, 0.3333333333333333, 0.5, 0.5,
                        1.0, 1.0, 1.0, 1.0});
  check_close(all.thresholds, {1.9, 0.9, 0.8, 0.7, 0.6, 0.4, 0.35, 0.2, 0.1, 0.05});
  // The tensor form (f32 scores, (N, 1) labels) gives the same points (thresholds in f32).
  const RocCurve rt = roc_curve(tensor_i64(kTrue, {12, 1}), tensor(kScore));
  check_close(rt.tpr, r.tpr);
  check_close(rt.fpr, r.fpr);
  check_close(rt.thresholds, r.thresholds, 1e-7);
}

TEST_CASE("roc_curve: collinear points are dropped, the area stays") {
  // yt2 = [1,1,1,0,0,0,1,0]; ys2 = [8,7,6,5,4,3,2,1]
  // roc_curve(yt2, ys2, drop_intermediate=True / False); roc_auc_score -> 0.8125
  const Labels y = {1, 1, 1, 0, 0, 0, 1, 0};
  const std::vector<double> s = {8, 7, 6, 5, 4, 3, 2, 1};
  const RocCurve kept = roc_curve(y, s);
  check_close(kept.fpr, {0.0, 0.0, 0.0, 0.75, 0.75, 1.0});
  check_close(kept.tpr, {0.0, 0.25, 0.75, 0.75, 1.0, 1.0});
  check_close(kept.thresholds, {9.0, 8.0, 6.0, 3.0, 2.0, 1.0});
  const RocCurve all = roc_curve(y, s, {.drop_intermediate = false});
  check_close(all.fpr, {0.0, 0.0, 0.0, 0.0, 0.25, 0.5, 0.75, 0.75, 1.0});
  check_close(all.tpr, {0.0, 0.25, 0.5, 0.75, 0.75, 0.75, 0.75, 1.0, 1.0});
  check_close(all.thresholds, {9.0, 8.0, 7.0, 6.0, 5.0, 4.0, 3.0, 2.0, 1.0});
  check_close(auc(kept.fpr, kept.tpr), 0.8125);
  check_close(auc(all.fpr, all.tpr), 0.8125);
  check_close(roc_auc_score(y, s), 0.8125);
}

TEST_CASE("roc_auc_score and auc: binary, -1/1 labels, perfect and reversed") {
  // roc_auc_score(yt, ys) -> 0.7222222222222222 (= auc(*roc_curve(yt, ys)[:2]))
  check_close(roc_auc_score(kTrue, kScore), 0.7222222222222222);
  check_close(roc_auc_score(tensor_i64(kTrue), tensor(kScore, {12}, {.dtype = f64})),
              0.7222222222222222);
  // Logits and -1/1 labels: yt3 = [-1,1,1,-1,1,-1]; ys3 = [-2.0,1.5,-0.5,0.3,2.0,-1.0]
  //   roc_auc_score(yt3, ys3) -> 0.888888888888889
  //   roc_curve(yt3, ys3, pos_label=-1) -> fpr [0, 1/3, 2/3, 2/3, 1, 1],
  //   tpr [0, 0, 0, 1/3, 1/3, 1], thresholds [3.0, 2.0, 1.5, 0.3, -0.5, -2.0]
  const Labels pm = {-1, 1, 1, -1, 1, -1};
  const std::vector<double> logits = {-2.0, 1.5, -0.5, 0.3, 2.0, -1.0};
  check_close(roc_auc_score(pm, logits), 0.888888888888889);
  const RocCurve neg = roc_curve(pm, logits, {.pos_label = -1});
  check_close(neg.fpr, {0.0, 0.3333333333333333, 0.6666666666666666, 0.6666666666666666, 1.0, 1.0});
  check_close(neg.tpr, {0.0, 0.0, 0.0, 0.3333333333333333, 0.3333333333333333, 1.0});
  check_close(neg.thresholds, {3.0, 2.0, 1.5, 0.3, -0.5, -2.0});
  // roc_auc_score([0,0,1,1],[0.1,0.2,0.8,0.9]) -> 1.0; reversed scores -> 0.0
  CHECK(roc_auc_score(Labels{0, 0, 1, 1}, {0.1, 0.2, 0.8, 0.9}) == 1.0);
  CHECK(roc_auc_score(Labels{0, 0, 1, 1}, {0.9, 0.8, 0.2, 0.1}) == 0.0);
  // Every score tied: roc_auc_score([0,1,0,1], [0.3]*4) -> 0.5 (the diagonal)
  CHECK(roc_auc_score(Labels{0, 1, 0, 1}, {0.3, 0.3, 0.3, 0.3}) == 0.5);
  // auc([1.0,0.5,0.2,0.0],[1.0,0.8,0.3,0.0]) -> 0.645 (decreasing x);
  // auc([0.0,0.2,0.5,1.0],[0.0,0.3,0.8,1.0]) -> 0.645
  check_close(auc({1.0, 0.5, 0.2, 0.0}, {1.0, 0.8, 0.3, 0.0}), 0.645);
  check_close(auc({0.0, 0.2, 0.5, 1.0}, {0.0, 0.3, 0.8, 1.0}), 0.645);
}

TEST_CASE("roc_auc_score: multi-class one-vs-rest, macro and weighted") {
  // P = [[0.7,0.2,0.1],[0.3,0.4,0.3],[0.1,0.2,0.7],[0.5,0.3,0.2],[0.2,0.5,0.3],
  //      [0.1,0.1,0.8],[0.4,0.4,0.2],[0.25,0.25,0.5]];  y = [0,1,2,1,1,2,0,0]
  // roc_auc_score(y, P, multi_class="ovr", average="macro") -> 0.9
  // roc_auc_score(y, P, multi_class="ovr", average="weighted") -> 0.8875000000000001
  const std::vector<std::vector<double>> p = {{0.7, 0.2, 0.1}, {0.3, 0.4, 0.3},  {0.1, 0.2, 0.7},
                                              {0.5, 0.3, 0.2}, {0.2, 0.5, 0.3},  {0.1, 0.1, 0.8},
                                              {0.4, 0.4, 0.2}, {0.25, 0.25, 0.5}};
  const Labels y = {0, 1, 2, 1, 1, 2, 0, 0};
  check_close(roc_auc_score(y, p), 0.9);
  check_close(roc_auc_score(y, p, Average::weighted), 0.8875000000000001);
  std::vector<double> flat;
  for (const auto& row : p) flat.insert(flat.end(), row.begin(), row.end());
  // f32 probabilities pass the sum-to-one check and rank the same.
  check_close(roc_auc_score(tensor_i64(y), tensor(flat, {8, 3})), 0.9);
  check_close(roc_auc_score(tensor_i64(y), tensor(flat, {8, 3}, {.dtype = f64}), Average::weighted),
              0.8875000000000001);
  check_throws<ValueError>([&] { roc_auc_score(y, p, Average::micro); },
                           {"roc_auc_score", "macro and weighted", "micro"});
  check_throws<ValueError>(
      [&] {
        roc_auc_score(Labels{0, 1, 0, 1, 1, 0, 0, 1}, p);
      },
      {"roc_auc_score", "class 2 does not occur in y_true", "8 samples"});
  auto bad = p;
  bad[4] = {0.2, 0.5, 0.5};
  check_throws<ValueError>([&] { roc_auc_score(y, bad); },
                           {"roc_auc_score", "row 4", "(8, 3)", "sums to 1.2"});
  check_throws<ValueError>(
      [&] {
        roc_auc_score(Labels{0, 1, 2, 1, 1, 3, 0, 0}, p);
      },
      {"roc_auc_score", "y_true[5] = 3", "(8, 3)", "0..2"});
  check_throws<ShapeError>(
      [&] {
        roc_auc_score(Labels{0, 1}, p);
      },
      {"roc_auc_score", "y_true has 2 samples", "y_proba has 8"});
  check_throws<ShapeError>(
      [&] {
        roc_auc_score(y, {{0.5, 0.5}, {1.0}});
      },
      {"roc_auc_score", "row 0 has 2 values but row 1 has 1"});
}

TEST_CASE("precision_recall_curve and average_precision_score") {
  // precision_recall_curve(yt, ys) ->
  //   precision [0.5, 0.5454545454545454, 0.6, 0.6666666666666666, 0.5, 0.75,
  //              0.6666666666666666, 1.0, 1.0, 1.0]
  //   recall [1.0, 1.0, 1.0, 1.0, 0.5, 0.5, 0.3333333333333333, 0.3333333333333333,
  //           0.16666666666666666, 0.0]
  //   thresholds [0.05, 0.1, 0.2, 0.35, 0.4, 0.6, 0.7, 0.8, 0.9]
  // average_precision_score(yt, ys) -> 0.7916666666666666
  const PrecisionRecallCurve c = precision_recall_curve(kTrue, kScore);
  check_close(c.precision, {0.5, 0.5454545454545454, 0.6, 0.6666666666666666, 0.5, 0.75,
                            0.6666666666666666, 1.0, 1.0, 1.0});
  check_close(c.recall, {1.0, 1.0, 1.0, 1.0, 0.5, 0.5, 0.3333333333333333, 0.3333333333333333,
                         0.16666666666666666, 0.0});
  check_close(c.thresholds, {0.05, 0.1, 0.2, 0.35, 0.4, 0.6, 0.7, 0.8, 0.9});
  check_close(average_precision_score(kTrue, kScore), 0.7916666666666666);
  check_close(average_precision_score(tensor_i64(kTrue), tensor(kScore, {12}, {.dtype = f64})),
              0.7916666666666666);
  // yt3/ys3 above: average_precision_score(yt3, ys3) -> 0.9166666666666665
  check_close(
      average_precision_score(Labels{-1, 1, 1, -1, 1, -1}, {-2.0, 1.5, -0.5, 0.3, 2.0, -1.0}),
      0.9166666666666665);
  // Worst ranking: average_precision_score([0,0,1,1],[0.9,0.8,0.2,0.1]) -> 0.41666666666666663
  check_close(average_precision_score(Labels{0, 0, 1, 1}, {0.9, 0.8, 0.2, 0.1}),
              0.41666666666666663);
  // All positive, tied scores: precision_recall_curve([1,1,1],[0.2,0.5,0.5]) ->
  //   [1.0, 1.0, 1.0], [1.0, 0.6666666666666666, 0.0], [0.2, 0.5]; AP 1.0
  const PrecisionRecallCurve all = precision_recall_curve(Labels{1, 1, 1}, {0.2, 0.5, 0.5});
  check_close(all.precision, {1.0, 1.0, 1.0});
  check_close(all.recall, {1.0, 0.6666666666666666, 0.0});
  check_close(all.thresholds, {0.2, 0.5});
  CHECK(average_precision_score(Labels{1, 1, 1}, {0.2, 0.5, 0.5}) == 1.0);
}

TEST_CASE("curves: bad inputs") {
  check_throws<ValueError>(
      [] {
        roc_curve(Labels{1, 1, 1}, {0.1, 0.2, 0.3});
      },
      {"roc_curve", "only positive samples", "3 samples", "both classes"});
  check_throws<ValueError>(
      [] {
        roc_auc_score(Labels{0, 0}, {0.1, 0.2});
      },
      {"roc_auc_score", "only negative samples"});
  check_throws<ValueError>(
      [] {
        roc_auc_score(tensor_i64({0, 0, 0}), tensor({0.1, 0.2, 0.3}));
      },
      {"roc_auc_score", "only negative samples"});
  check_throws<ShapeError>(
      [] {
        roc_curve(Labels{0, 1, 1}, {0.1, 0.2});
      },
      {"roc_curve", "y_true has 3 samples", "y_score has 2"});
  check_throws<ValueError>([] { roc_curve(Labels{}, {}); }, {"roc_curve", "empty input"});
  check_throws<ValueError>(
      [] {
        roc_curve(Labels{0, 1, 1}, {0.1, std::numeric_limits<double>::quiet_NaN(), 0.3});
      },
      {"roc_curve", "y_score[1] is nan", "finite"});
  check_throws<ValueError>(
      [] {
        roc_curve(Labels{0, 1, 2}, {0.1, 0.2, 0.3});
      },
      {"roc_curve", "two labels", "(0, 1, 2)"});
  check_throws<ValueError>(
      [] {
        roc_curve(Labels{0, 2, 2}, {0.1, 0.2, 0.3});
      },
      {"roc_curve", "pos_label 1", "(0, 2)"});
  check_throws<ValueError>(
      [] {
        precision_recall_curve(Labels{0, 0, 0}, {0.1, 0.2, 0.3});
      },
      {"precision_recall_curve", "no positive samples", "3 samples"});
  check_throws<ValueError>(
      [] {
        average_precision_score(Labels{-1, -1}, {0.1, 0.2});
      },
      {"average_precision_score", "no positive samples"});
  check_throws<ValueError>(
      [] {
        auc({0.0, 0.5, 0.3}, {0.0, 1.0, 1.0});
      },
      {"auc", "neither increasing nor decreasing", "3 points"});
  check_throws<ValueError>([] { auc({0.0}, {1.0}); }, {"auc", "at least 2 points, got 1"});
  check_throws<ShapeError>([] { auc({0.0, 1.0}, {1.0}); }, {"auc", "x has 2", "y has 1"});
  check_throws<ShapeError>(
      [] {
        roc_curve(tensor_i64({0, 1}), zeros({2, 2, 2}));
      },
      {"roc_curve", "y_score", "(2, 2, 2)"});
  check_throws<DtypeError>(
      [] {
        roc_curve(tensor({0.0, 1.0}), tensor({0.1, 0.2}));
      },
      {"roc_curve", "y_true", "i64"});
}
