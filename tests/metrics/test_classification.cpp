// Accuracy, confusion matrix and the precision/recall/specificity/F family against
// scikit-learn 1.2.1 (see metrics_test_util.hpp for how the numbers were produced).
#include <doctest/doctest.h>

#include <cmath>
#include <limits>

#include "metrics_test_util.hpp"
#include "xgrad/metrics/classification.hpp"

using namespace xg;
using namespace xg::metrics;
using xg::test::check_close;
using xg::test::check_throws;

namespace {

// The binary example.
//   from sklearn.metrics import *
//   yt = [0,1,1,0,1,1,0,0,1,0]; yp = [0,1,0,0,1,1,1,0,1,1]
const Labels kBinTrue = {0, 1, 1, 0, 1, 1, 0, 0, 1, 0};
const Labels kBinPred = {0, 1, 0, 0, 1, 1, 1, 0, 1, 1};

// The multi-class example (4 classes, every kind of error).
//   yt = [0,1,2,2,1,0,2,1,0,2,1,2,3,3]; yp = [0,2,2,2,1,0,1,1,0,0,1,2,3,1]
const Labels kMcTrue = {0, 1, 2, 2, 1, 0, 2, 1, 0, 2, 1, 2, 3, 3};
const Labels kMcPred = {0, 2, 2, 2, 1, 0, 1, 1, 0, 0, 1, 2, 3, 1};

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

}  // namespace

TEST_CASE("accuracy_score: binary and multi-class, vectors and tensors") {
  // accuracy_score(yt, yp) -> 0.7 (binary), 0.7142857142857143 (multi-class)
  check_close(accuracy_score(kBinTrue, kBinPred), 0.7);
  check_close(accuracy_score(kMcTrue, kMcPred), 0.7142857142857143);
  check_close(accuracy_score(tensor_i64(kMcTrue), tensor_i64(kMcPred)), 0.7142857142857143);
  // (N, 1) labels are taken as (N).
  check_close(accuracy_score(tensor_i64(kBinTrue, {10, 1}), tensor_i64(kBinPred, {10, 1})), 0.7);
  // All correct and all wrong.
  check_close(accuracy_score(kMcTrue, kMcTrue), 1.0);
  check_close(accuracy_score(Labels{0, 1, 0, 1}, Labels{1, 0, 1, 0}), 0.0);
}

TEST_CASE("accuracy_score: float predictions are class scores or probabilities") {
  const Tensor y = tensor_i64({0, 2, 1, 1});
  // (N, C) scores: the row-wise argmax (0, 2, 2, 1), the first maximum on ties (row 3).
  const Tensor logits = tensor({2.0, 1.0, -1.0,  //
                                0.1, 0.2, 0.3,   //
                                -5.0, 0.0, 4.0,  //
                                1.0, 3.0, 3.0},
                               {4, 3});
  check_close(accuracy_score(y, logits), 0.75);
  // (N) probabilities of class 1: class 1 where p > 0.5 (0.5 itself is class 0).
  const Tensor yb = tensor_i64({0, 1, 1, 0, 1});
  const Tensor p = tensor({0.2, 0.9, 0.5, 0.5, 0.51}, {5}, {.dtype = f64});
  check_close(accuracy_score(yb, p), 0.8);
  check_close(accuracy_score(yb, p.reshape({5, 1})), 0.8);
  check_throws<ValueError>(
      [&] {
        accuracy_score(yb, tensor({0.2, 1.5, 0.5, 0.5, 0.5}));
      },
      {"accuracy_score", "y_pred[1] = 1.5", "[0, 1]"});
}

TEST_CASE("confusion_matrix: counts, labels, one-vs-rest counts") {
  // confusion_matrix(yt, yp) -> [[3, 0, 0, 0], [0, 3, 1, 0], [1, 1, 3, 0], [0, 1, 0, 1]]
  const ConfusionMatrix cm = confusion_matrix(kMcTrue, kMcPred);
  CHECK(cm.labels == Labels{0, 1, 2, 3});
  CHECK(cm.counts == std::vector<std::vector<std::int64_t>>{
                         {3, 0, 0, 0}, {0, 3, 1, 0}, {1, 1, 3, 0}, {0, 1, 0, 1}});
  CHECK(cm.total() == 14);
  // Class 2: tp 3, fp 1 (column), fn 2 (row), tn 14 - 3 - 1 - 2.
  CHECK(cm.true_positives(2) == 3);
  CHECK(cm.false_positives(2) == 1);
  CHECK(cm.false_negatives(2) == 2);
  CHECK(cm.true_negatives(2) == 8);
  CHECK(cm.support(2) == 5);
  CHECK(cm.predicted(1) == 5);
  // The tensor form agrees.
  CHECK(confusion_matrix(tensor_i64(kMcTrue), tensor_i64(kMcPred)).counts == cm.counts);

  // confusion_matrix([0,1,2,2,1,0], [0,0,0,0,1,0], labels=[0,1,2,3])
  //   -> [[2, 0, 0, 0], [1, 1, 0, 0], [2, 0, 0, 0], [0, 0, 0, 0]]
  const ConfusionMatrix cm4 =
      confusion_matrix(Labels{0, 1, 2, 2, 1, 0}, Labels{0, 0, 0, 0, 1, 0}, class_range(4));
  CHECK(cm4.counts == std::vector<std::vector<std::int64_t>>{
                          {2, 0, 0, 0}, {1, 1, 0, 0}, {2, 0, 0, 0}, {0, 0, 0, 0}});

  // Labels need not be 0..C-1; an explicit order is kept.
  //   confusion_matrix([-1,1,1,-1,1], [-1,1,-1,-1,1]) -> [[2, 0], [1, 2]]
  const ConfusionMatrix pm = confusion_matrix(Labels{-1, 1, 1, -1, 1}, Labels{-1, 1, -1, -1, 1});
  CHECK(pm.labels == Labels{-1, 1});
  CHECK(pm.counts == std::vector<std::vector<std::int64_t>>{{2, 0}, {1, 2}});
  const ConfusionMatrix pm_rev =
      confusion_matrix(Labels{-1, 1, 1, -1, 1}, Labels{-1, 1, -1, -1, 1}, Labels{1, -1});
  CHECK(pm_rev.counts == std::vector<std::vector<std::int64_t>>{{2, 1}, {0, 2}});
}

TEST_CASE("confusion_matrix: to_string and to_json") {
  const ConfusionMatrix cm = confusion_matrix(Labels{0, 1, 1, 2}, Labels{0, 1, 2, 2});
  const std::string text = cm.to_string();
  CHECK(text ==
        "true \\ pred  0  1  2\n"
        "          0  1  0  0\n"
        "          1  0  1  1\n"
        "          2  0  0  1\n");
  const std::string named = cm.to_string({"cat", "dog", "bird"});
  CHECK(named ==
        "true \\ pred   cat   dog  bird\n"
        "        cat     1     0     0\n"
        "        dog     0     1     1\n"
        "       bird     0     0     1\n");
  CHECK(cm.to_json({}, -1) == R"({"labels":[0,1,2],"counts":[[1,0,0],[0,1,1],[0,0,1]]})");
  check_throws<ValueError>(
      [&] {
        (void)cm.to_string({"a", "b"});
      },
      {"ConfusionMatrix::to_string", "2 class names", "3 labels"});
}

TEST_CASE("binary precision, recall, specificity, F1 and F-beta") {
  // precision_score(yt, yp), recall_score(yt, yp), f1_score(yt, yp),
  // fbeta_score(yt, yp, beta=0.5), fbeta_score(yt, yp, beta=2)
  //   -> 0.6666666666666666 0.8 0.7272727272727272 0.689655172413793 0.7692307692307692
  // specificity = recall of the negative class: recall_score(yt, yp, pos_label=0) -> 0.6
  check_close(precision_score(kBinTrue, kBinPred), 0.6666666666666666);
  check_close(recall_score(kBinTrue, kBinPred), 0.8);
  check_close(sensitivity_score(kBinTrue, kBinPred), 0.8);
  check_close(specificity_score(kBinTrue, kBinPred), 0.6);
  check_close(f1_score(kBinTrue, kBinPred), 0.7272727272727272);
  check_close(fbeta_score(kBinTrue, kBinPred, 0.5), 0.689655172413793);
  check_close(fbeta_score(kBinTrue, kBinPred, 2.0), 0.7692307692307692);
  // pos_label=0: precision_score(yt, yp, pos_label=0), f1_score(.., pos_label=0)
  //   -> 0.75 0.6666666666666665; its specificity is the recall of class 1.
  check_close(precision_score(kBinTrue, kBinPred, {.pos_label = 0}), 0.75);
  check_close(f1_score(kBinTrue, kBinPred, {.pos_label = 0}), 0.6666666666666665);
  check_close(specificity_score(kBinTrue, kBinPred, {.pos_label = 0}), 0.8);
  // Tensors: float probabilities thresholded at 0.5 give kBinPred.
  const Tensor p = tensor({0.1, 0.9, 0.4, 0.2, 0.7, 0.8, 0.6, 0.3, 0.99, 0.51});
  check_close(f1_score(tensor_i64(kBinTrue), p), 0.7272727272727272);

  // -1/1 labels (a perceptron's):
  //   yt = [-1,1,1,-1,1]; yp = [-1,1,-1,-1,1]
  //   precision_score, recall_score, f1_score, recall_score(pos_label=-1)
  //   -> 1.0 0.6666666666666666 0.8 1.0
  const Labels pt = {-1, 1, 1, -1, 1}, pp = {-1, 1, -1, -1, 1};
  check_close(precision_score(pt, pp), 1.0);
  check_close(recall_score(pt, pp), 0.6666666666666666);
  check_close(f1_score(pt, pp), 0.8);
  check_close(specificity_score(pt, pp), 1.0);
}

TEST_CASE("multi-class per-class scores and their averages") {
  // for avg in [None, "micro", "macro", "weighted"]: for beta in [1.0, 0.5, 2.0]:
  //   precision_recall_fscore_support(yt, yp, average=avg, beta=beta)
  const ClassScores pc = per_class_scores(kMcTrue, kMcPred);
  CHECK(pc.labels == Labels{0, 1, 2, 3});
  check_close(pc.precision, {0.75, 0.6, 0.75, 1.0});
  check_close(pc.recall, {1.0, 0.75, 0.6, 0.5});
  check_close(pc.f_score,
              {0.8571428571428571, 0.6666666666666665, 0.6666666666666665, 0.6666666666666666});
  CHECK(pc.support == std::vector<std::int64_t>{3, 4, 5, 2});
  CHECK(pc.notes.empty());
  // specificity from multilabel_confusion_matrix(yt, yp): tn / (tn + fp) per class
  //   -> [0.9090909090909091, 0.8, 0.8888888888888888, 1.0], macro 0.8994949494949495,
  //   weighted (by support) 0.8836940836940838, micro sum(tn)/sum(tn+fp) 0.9047619047619048
  check_close(pc.specificity, {0.9090909090909091, 0.8, 0.8888888888888888, 1.0});
  check_close(per_class_scores(kMcTrue, kMcPred, {.beta = 0.5}).f_score,
              {0.7894736842105263, 0.625, 0.7142857142857143, 0.8333333333333334});
  check_close(per_class_scores(kMcTrue, kMcPred, {.beta = 2.0}).f_score,
              {0.9375, 0.7142857142857143, 0.625, 0.5555555555555556});

  const AveragedScores macro = averaged_scores(kMcTrue, kMcPred, {.average = Average::macro});
  check_close(macro.precision, 0.775);
  check_close(macro.recall, 0.7125);
  check_close(macro.f_score, 0.7142857142857142);
  check_close(macro.specificity, 0.8994949494949495);
  CHECK(macro.support == 14);
  const AveragedScores micro = averaged_scores(kMcTrue, kMcPred, {.average = Average::micro});
  check_close(micro.precision, 0.7142857142857143);
  check_close(micro.recall, 0.7142857142857143);
  check_close(micro.f_score, 0.7142857142857143);
  check_close(micro.specificity, 0.9047619047619048);
  const AveragedScores weighted = averaged_scores(kMcTrue, kMcPred, {.average = Average::weighted});
  check_close(weighted.precision, 0.7428571428571429);
  check_close(weighted.recall, 0.7142857142857143);
  check_close(weighted.f_score, 0.7074829931972788);
  check_close(weighted.specificity, 0.8836940836940838);

  // The single-score functions and F-beta averages:
  //   macro F0.5 0.7405231829573935, macro F2 0.7080853174603174,
  //   weighted F0.5 0.7218940207662011, weighted F2 0.7075538548752834
  check_close(precision_score(kMcTrue, kMcPred, {.average = Average::macro}), 0.775);
  check_close(recall_score(kMcTrue, kMcPred, {.average = Average::weighted}), 0.7142857142857143);
  check_close(f1_score(kMcTrue, kMcPred, {.average = Average::micro}), 0.7142857142857143);
  check_close(specificity_score(kMcTrue, kMcPred, {.average = Average::macro}), 0.8994949494949495);
  check_close(fbeta_score(kMcTrue, kMcPred, 0.5, {.average = Average::macro}), 0.7405231829573935);
  check_close(fbeta_score(kMcTrue, kMcPred, 2.0, {.average = Average::macro}), 0.7080853174603174);
  check_close(fbeta_score(kMcTrue, kMcPred, 0.5, {.average = Average::weighted}),
              0.7218940207662011);
  check_close(fbeta_score(kMcTrue, kMcPred, 2.0, {.average = Average::weighted}),
              0.7075538548752834);
  // f1_score ignores options.beta.
  check_close(f1_score(kMcTrue, kMcPred, {.average = Average::macro, .beta = 2.0}),
              0.7142857142857142);
  // Tensors, and scores from a ConfusionMatrix, agree.
  check_close(f1_score(tensor_i64(kMcTrue), tensor_i64(kMcPred), {.average = Average::macro}),
              0.7142857142857142);
  check_close(
      averaged_scores(confusion_matrix(kMcTrue, kMcPred), {.average = Average::weighted}).f_score,
      0.7074829931972788);
}

TEST_CASE("zero division: 0 (or the value asked for) with a note") {
  // yt = [0,1,2,2,1,0]; yp = [0,0,0,0,1,0]; labels = [0,1,2,3]: class 2 is never
  // predicted, class 3 never occurs.
  //   precision_recall_fscore_support(yt, yp, labels=[0,1,2,3], average=None, zero_division=zd)
  //   zd 0: P [0.4, 1.0, 0.0, 0.0] R [1.0, 0.5, 0.0, 0.0]
  //         F [0.5714285714285715, 0.6666666666666666, 0.0, 0.0] support [2, 2, 2, 0]
  //   zd 1: P [0.4, 1.0, 1.0, 1.0] R [1.0, 0.5, 0.0, 1.0]
  //         F [0.5714285714285715, 0.6666666666666666, 0.0, 1.0]
  //   macro (P, R, F)    zd 0: (0.35, 0.375, 0.30952380952380953)
  //                      zd 1: (0.85, 0.625, 0.5595238095238095)
  //   weighted (P, R, F) zd 0: (0.4666666666666666, 0.5, 0.41269841269841273)
  //                      zd 1: (0.7999999999999999, 0.5, 0.41269841269841273)
  //   micro              (0.5, 0.5, 0.5) for both
  //   specificity from multilabel_confusion_matrix(.., labels=[0,1,2,3]):
  //   [0.25, 1.0, 1.0, 1.0]
  const Labels yt = {0, 1, 2, 2, 1, 0}, yp = {0, 0, 0, 0, 1, 0};
  const Labels labels = class_range(4);
  const ClassScores z0 = per_class_scores(yt, yp, {.labels = labels});
  check_close(z0.precision, {0.4, 1.0, 0.0, 0.0});
  check_close(z0.recall, {1.0, 0.5, 0.0, 0.0});
  check_close(z0.f_score, {0.5714285714285715, 0.6666666666666666, 0.0, 0.0});
  check_close(z0.specificity, {0.25, 1.0, 1.0, 1.0});
  CHECK(z0.support == std::vector<std::int64_t>{2, 2, 2, 0});
  REQUIRE(z0.notes.size() == 2);
  CHECK(z0.notes[0] ==
        "precision is ill-defined and set to 0 for labels 2, 3 (no predicted samples)");
  CHECK(z0.notes[1] == "recall is ill-defined and set to 0 for label 3 (no true samples)");

  const ClassScores z1 = per_class_scores(yt, yp, {.labels = labels, .zero_division = 1.0});
  check_close(z1.precision, {0.4, 1.0, 1.0, 1.0});
  check_close(z1.recall, {1.0, 0.5, 0.0, 1.0});
  check_close(z1.f_score, {0.5714285714285715, 0.6666666666666666, 0.0, 1.0});
  CHECK(z1.notes[0].find("set to 1 for labels 2, 3") != std::string::npos);

  const AveragedScores m0 = averaged_scores(yt, yp, {.average = Average::macro, .labels = labels});
  check_close(m0.precision, 0.35);
  check_close(m0.recall, 0.375);
  check_close(m0.f_score, 0.30952380952380953);
  CHECK(m0.notes.size() == 2);
  const AveragedScores m1 =
      averaged_scores(yt, yp, {.average = Average::macro, .labels = labels, .zero_division = 1.0});
  check_close(m1.precision, 0.85);
  check_close(m1.recall, 0.625);
  check_close(m1.f_score, 0.5595238095238095);
  const AveragedScores w0 =
      averaged_scores(yt, yp, {.average = Average::weighted, .labels = labels});
  check_close(w0.precision, 0.4666666666666666);
  check_close(w0.recall, 0.5);
  check_close(w0.f_score, 0.41269841269841273);
  const AveragedScores w1 = averaged_scores(
      yt, yp, {.average = Average::weighted, .labels = labels, .zero_division = 1.0});
  check_close(w1.precision, 0.7999999999999999);
  check_close(w1.f_score, 0.41269841269841273);
  const AveragedScores mi = averaged_scores(yt, yp, {.average = Average::micro, .labels = labels});
  check_close(mi.precision, 0.5);
  check_close(mi.recall, 0.5);
  check_close(mi.f_score, 0.5);
  CHECK(mi.notes.empty());

  // NaN as zero_division propagates into the scores it replaces.
  const ClassScores zn = per_class_scores(yt, yp, {.labels = labels, .zero_division = kNaN});
  CHECK(std::isnan(zn.precision[2]));
  CHECK(zn.notes[0].find("set to nan") != std::string::npos);
}

TEST_CASE("binary edge cases: all wrong, no positive predictions, one class only") {
  // precision_score, recall_score, f1_score of [0,1,0,1] vs [1,0,1,0] -> 0.0 0.0 0.0
  CHECK(precision_score(Labels{0, 1, 0, 1}, Labels{1, 0, 1, 0}) == 0.0);
  CHECK(recall_score(Labels{0, 1, 0, 1}, Labels{1, 0, 1, 0}) == 0.0);
  CHECK(f1_score(Labels{0, 1, 0, 1}, Labels{1, 0, 1, 0}) == 0.0);
  // No positive prediction: precision_score([0,1,1,0],[0,0,0,0]) -> 0.0 (warns);
  // with zero_division=1: precision 1.0, f1 0.0
  const Labels t = {0, 1, 1, 0}, none = {0, 0, 0, 0};
  CHECK(precision_score(t, none) == 0.0);
  CHECK(recall_score(t, none) == 0.0);
  CHECK(f1_score(t, none) == 0.0);
  const AveragedScores s = averaged_scores(t, none);
  REQUIRE(s.notes.size() == 1);
  CHECK(s.notes[0] == "precision is ill-defined and set to 0 for label 1 (no predicted samples)");
  CHECK(precision_score(t, none, {.zero_division = 1.0}) == 1.0);
  CHECK(f1_score(t, none, {.zero_division = 1.0}) == 0.0);
  // Only negatives: precision/recall/f1 of [0,0,0] vs [0,0,0] -> 0.0 0.0 0.0 (zero_division
  // 0), 1.0 1.0 1.0 (zero_division=1)
  const Labels zeros3 = {0, 0, 0};
  CHECK(precision_score(zeros3, zeros3) == 0.0);
  CHECK(recall_score(zeros3, zeros3) == 0.0);
  CHECK(f1_score(zeros3, zeros3) == 0.0);
  CHECK(precision_score(zeros3, zeros3, {.zero_division = 1.0}) == 1.0);
  CHECK(recall_score(zeros3, zeros3, {.zero_division = 1.0}) == 1.0);
  CHECK(f1_score(zeros3, zeros3, {.zero_division = 1.0}) == 1.0);
  // Only positives: no negatives, so specificity is undefined:
  // recall_score([1,1,1],[1,1,1], pos_label=0, zero_division=zd) -> 0.0 / 1.0
  const Labels ones3 = {1, 1, 1};
  CHECK(specificity_score(ones3, ones3) == 0.0);
  CHECK(specificity_score(ones3, ones3, {.zero_division = 1.0}) == 1.0);
  CHECK(averaged_scores(ones3, ones3).notes.at(0) ==
        "specificity is ill-defined and set to 0 for label 1 (no negative samples)");
  // All correct, multi-class.
  const AveragedScores perfect = averaged_scores(kMcTrue, kMcTrue, {.average = Average::macro});
  CHECK(perfect.precision == 1.0);
  CHECK(perfect.recall == 1.0);
  CHECK(perfect.specificity == 1.0);
  CHECK(perfect.f_score == 1.0);
}

TEST_CASE("classification metrics: bad inputs name the metric and the sizes") {
  check_throws<ShapeError>(
      [] {
        accuracy_score(Labels{0, 1, 1}, Labels{0, 1});
      },
      {"accuracy_score", "y_true has 3 samples", "y_pred has 2"});
  check_throws<ValueError>([] { accuracy_score(Labels{}, Labels{}); },
                           {"accuracy_score", "empty input (0 samples)"});
  check_throws<ShapeError>(
      [] {
        f1_score(tensor_i64({0, 1, 1}), tensor_i64({0, 1}));
      },
      {"f1_score", "3 samples", "2"});
  check_throws<ValueError>([] { precision_score(kMcTrue, kMcPred); },
                           {"precision_score", "average=binary", "4 (0, 1, 2, 3)", "macro"});
  check_throws<ValueError>(
      [] {
        recall_score(Labels{0, 2, 2}, Labels{0, 2, 0});
      },
      {"recall_score", "pos_label 1", "(0, 2)"});
  check_throws<ValueError>(
      [] {
        confusion_matrix(Labels{0, 1, 5}, Labels{0, 1, 1}, class_range(3));
      },
      {"confusion_matrix", "y_true[2] = 5", "not one of the labels (0, 1, 2)"});
  check_throws<ValueError>(
      [] {
        confusion_matrix(Labels{0, 1}, Labels{0, 1}, Labels{0, 1, 0});
      },
      {"confusion_matrix", "label 0 appears twice"});
  check_throws<ValueError>([] { fbeta_score(kBinTrue, kBinPred, -1.0); },
                           {"fbeta_score", "beta must be >= 0", "-1"});
  check_throws<ValueError>([] { f1_score(kBinTrue, kBinPred, {.zero_division = 0.5}); },
                           {"f1_score", "zero_division must be 0, 1 or NaN", "0.5"});
  // Tensors: float targets, 3-D predictions.
  check_throws<DtypeError>(
      [] {
        accuracy_score(tensor({0.0, 1.0}), tensor_i64({0, 1}));
      },
      {"accuracy_score", "y_true", "i64", "f32", "(2)"});
  check_throws<ShapeError>(
      [] {
        accuracy_score(tensor_i64({0, 1}), zeros({2, 3, 1}));
      },
      {"accuracy_score", "y_pred", "(2, 3, 1)"});
  check_throws<ShapeError>(
      [] {
        confusion_matrix(tensor_i64({0, 1, 0, 1}, {2, 2}), tensor_i64({0, 1, 0, 1}));
      },
      {"confusion_matrix", "y_true", "(2, 2)"});
}
