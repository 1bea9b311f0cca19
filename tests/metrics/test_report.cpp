// The classification report against sklearn.metrics.classification_report 1.2.1 (see
// metrics_test_util.hpp), its text table and its JSON.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "metrics_test_util.hpp"
#include "xgrad/metrics/report.hpp"

using namespace xg;
using namespace xg::metrics;
using xg::test::check_close;
using xg::test::check_throws;

namespace {

// yt = [0,1,2,2,1,0,2,1,0,2,1,2,3,3]; yp = [0,2,2,2,1,0,1,1,0,0,1,2,3,1]
const Labels kTrue = {0, 1, 2, 2, 1, 0, 2, 1, 0, 2, 1, 2, 3, 3};
const Labels kPred = {0, 2, 2, 2, 1, 0, 1, 1, 0, 0, 1, 2, 3, 1};
const std::vector<std::string> kNames = {"cat", "dog", "bird", "fish"};

}  // namespace

TEST_CASE("classification_report: values match scikit-learn's report") {
  // classification_report(yt, yp, output_dict=True) ->
  //   '0': precision 0.75, recall 1.0, f1 0.8571428571428571, support 3
  //   '1': 0.6, 0.75, 0.6666666666666665, 4;  '2': 0.75, 0.6, 0.6666666666666665, 5
  //   '3': 1.0, 0.5, 0.6666666666666666, 2;   accuracy 0.7142857142857143
  //   macro avg: 0.775, 0.7125, 0.7142857142857142, 14
  //   weighted avg: 0.7428571428571429, 0.7142857142857143, 0.7074829931972788, 14
  // specificity (not in scikit-learn's report) from multilabel_confusion_matrix(yt, yp):
  //   [0.9090909090909091, 0.8, 0.8888888888888888, 1.0]; macro 0.8994949494949495,
  //   micro 0.9047619047619048, weighted 0.8836940836940838
  const ClassificationReport r = classification_report(kTrue, kPred, {.class_names = kNames});
  CHECK(r.confusion.labels == Labels{0, 1, 2, 3});
  check_close(r.per_class.precision, {0.75, 0.6, 0.75, 1.0});
  check_close(r.per_class.recall, {1.0, 0.75, 0.6, 0.5});
  check_close(r.per_class.f_score,
              {0.8571428571428571, 0.6666666666666665, 0.6666666666666665, 0.6666666666666666});
  check_close(r.per_class.specificity, {0.9090909090909091, 0.8, 0.8888888888888888, 1.0});
  CHECK(r.per_class.support == std::vector<std::int64_t>{3, 4, 5, 2});
  check_close(r.accuracy, 0.7142857142857143);
  check_close(r.macro.precision, 0.775);
  check_close(r.macro.recall, 0.7125);
  check_close(r.macro.f_score, 0.7142857142857142);
  check_close(r.macro.specificity, 0.8994949494949495);
  check_close(r.micro.f_score, 0.7142857142857143);
  check_close(r.micro.specificity, 0.9047619047619048);
  check_close(r.weighted.precision, 0.7428571428571429);
  check_close(r.weighted.recall, 0.7142857142857143);
  check_close(r.weighted.f_score, 0.7074829931972788);
  check_close(r.weighted.specificity, 0.8836940836940838);
  CHECK(r.macro.support == 14);
  CHECK(r.notes.empty());

  // The Tensor form (logits whose argmax is kPred) gives the same report.
  std::vector<double> logits(kPred.size() * 4, 0.0);
  for (std::size_t i = 0; i < kPred.size(); ++i) logits[i * 4 + kPred[i]] = 2.5;
  const ClassificationReport rt = classification_report(
      tensor_i64(kTrue), tensor(logits, {static_cast<std::int64_t>(kPred.size()), 4}));
  check_close(rt.weighted.f_score, 0.7074829931972788);
}

TEST_CASE("classification_report: the text table") {
  // The rows of classification_report(yt, yp, digits=4, target_names=[...]):
  //          cat     0.7500    1.0000    0.8571         3
  //     accuracy                         0.7143        14
  //    macro avg     0.7750    0.7125    0.7143        14
  // ours adds a specificity column (before f1-score) and a micro avg row.
  const std::string text = classification_report(kTrue, kPred, {.class_names = kNames}).to_string();
  const auto has = [&](const std::string& s) {
    INFO("table:\n" << text << "missing: " << s);
    CHECK(text.find(s) != std::string::npos);
  };
  has("  precision       recall  specificity     f1-score      support\n");
  has("         cat       0.7500       1.0000       0.9091       0.8571            3\n");
  has("        fish       1.0000       0.5000       1.0000       0.6667            2\n");
  has("    accuracy                                              0.7143           14\n");
  has("   macro avg       0.7750       0.7125       0.8995       0.7143           14\n");
  has("   micro avg       0.7143       0.7143       0.9048       0.7143           14\n");
  has("weighted avg       0.7429       0.7143       0.8837       0.7075           14\n");
  CHECK(text.find("note:") == std::string::npos);
  // Two digits, label values as names.
  const std::string short_text = classification_report(kTrue, kPred).to_string(2);
  CHECK(short_text.find(
            "           0         0.75         1.00         0.91         0.86            3\n") !=
        std::string::npos);
}

TEST_CASE("classification_report: JSON and zero-division notes") {
  // yt = [0,1,2,2,1,0]; yp = [0,0,0,0,1,0]
  // classification_report(yt, yp, labels=[0,1,2,3], output_dict=True, zero_division=0) ->
  //   '2': precision 0.0 recall 0.0 f1 0.0 support 2; '3': 0.0 0.0 0.0 0
  //   macro avg: 0.35 0.375 0.30952380952380953; weighted avg: 0.4666666666666666 0.5
  //   0.41269841269841273; (micro avg 0.5 0.5 0.5 with labels given)
  const ClassificationReport r = classification_report(
      Labels{0, 1, 2, 2, 1, 0}, Labels{0, 0, 0, 0, 1, 0}, {.labels = class_range(4)});
  REQUIRE(r.notes.size() == 2);
  CHECK(r.to_string().find("note: precision is ill-defined and set to 0 for labels 2, 3") !=
        std::string::npos);
  const auto j = nlohmann::json::parse(r.to_json());
  CHECK(j["labels"] == nlohmann::json::array({0, 1, 2, 3}));
  CHECK(!j.contains("class_names"));
  REQUIRE(j["classes"].size() == 4);
  CHECK(j["classes"][3]["label"] == 3);
  CHECK(j["classes"][3]["support"] == 0);
  CHECK(j["classes"][2]["precision"] == 0.0);
  check_close(j["classes"][0]["f1"].get<double>(), 0.5714285714285715);
  check_close(j["macro avg"]["precision"].get<double>(), 0.35);
  check_close(j["macro avg"]["recall"].get<double>(), 0.375);
  check_close(j["macro avg"]["f1"].get<double>(), 0.30952380952380953);
  check_close(j["weighted avg"]["f1"].get<double>(), 0.41269841269841273);
  check_close(j["micro avg"]["f1"].get<double>(), 0.5);
  check_close(j["accuracy"].get<double>(), 0.5);
  CHECK(j["total"] == 6);
  CHECK(j["confusion_matrix"] ==
        nlohmann::json::parse("[[2, 0, 0, 0], [1, 1, 0, 0], [2, 0, 0, 0], [0, 0, 0, 0]]"));
  CHECK(j["notes"].size() == 2);
  // Names appear next to the labels.
  const auto jn = nlohmann::json::parse(
      classification_report(kTrue, kPred, {.class_names = kNames}).to_json(-1));
  CHECK(jn["class_names"][2] == "bird");
  CHECK(jn["classes"][2]["name"] == "bird");
  // zero_division = NaN is written as null.
  const auto jz = nlohmann::json::parse(
      classification_report(
          Labels{0, 1, 2, 2, 1, 0}, Labels{0, 0, 0, 0, 1, 0},
          {.labels = class_range(4), .zero_division = std::numeric_limits<double>::quiet_NaN()})
          .to_json());
  CHECK(jz["classes"][3]["precision"].is_null());
}

TEST_CASE("classification_report: bad inputs") {
  check_throws<ShapeError>(
      [] {
        classification_report(Labels{0, 1}, Labels{0});
      },
      {"classification_report", "y_true has 2 samples", "y_pred has 1"});
  check_throws<ValueError>([] { classification_report(Labels{}, Labels{}); },
                           {"classification_report", "empty input"});
  check_throws<ValueError>(
      [] {
        classification_report(kTrue, kPred, {.class_names = {"a", "b"}});
      },
      {"classification_report", "2 class names", "4 labels (0, 1, 2, 3)"});
  check_throws<ValueError>(
      [] { classification_report(kTrue, kPred, {.labels = class_range(3)}); },
      {"classification_report", "y_true[12] = 3", "not one of the labels (0, 1, 2)"});
  check_throws<DtypeError>(
      [] {
        classification_report(tensor({0.0, 1.0}), tensor_i64({0, 1}));
      },
      {"classification_report", "y_true", "i64"});
}
