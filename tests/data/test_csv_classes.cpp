// CSV class labels: the classes a training file fixes, other files read with them, and
// the bound on the number of classes.
#include <doctest/doctest.h>

#include <sstream>
#include <string>
#include <vector>

#include "idx_bytes.hpp"
#include "support/check.hpp"
#include "xgrad/data/datasets.hpp"

using namespace xg;
using namespace xg::data;
using xg::test::check_throws;
using xg::test::TempDir;

namespace {

std::vector<std::int64_t> labels_of(const Dataset& ds) {
  return ds.targets().to_vector<std::int64_t>();
}

}  // namespace

TEST_CASE("csv: a file read with another file's classes keeps their numbering") {
  TempDir dir("csv_classes");
  const std::string train = dir.write_text("train.csv", "x,y\n1,a\n2,b\n3,c\n4,a\n");
  const std::string test = dir.write_text("test.csv", "x,y\n2,b\n3,c\n2,b\n");
  const Dataset fit = csv(train);
  REQUIRE(fit.class_names() == std::vector<std::string>{"a", "b", "c"});

  // Alone, the test file numbers its own two classes from 0: b -> 0, c -> 1.
  CHECK(labels_of(csv(test)) == std::vector<std::int64_t>{0, 1, 0});
  // With the training file's classes: b -> 1, c -> 2, and all three classes are kept.
  const Dataset held = csv(test, {.class_names = fit.class_names()});
  CHECK(labels_of(held) == std::vector<std::int64_t>{1, 2, 1});
  CHECK(held.class_names() == fit.class_names());
  CHECK(held.num_classes() == 3);

  // A label the classes do not have: the file, line, column and label.
  const std::string unseen = dir.write_text("unseen.csv", "x,y\n2,b\n\n3,d\n");
  check_throws<FormatError>([&] { csv(unseen, {.class_names = fit.class_names()}); },
                            {unseen + ": line 4, column 2:", "label \"d\"", "a, b, c"});
  // Numbers against named classes: the same error, which says the classes are named.
  const std::string numbers = dir.write_text("numbers.csv", "2,0\n3,1\n");
  check_throws<FormatError>([&] { csv(numbers, {.class_names = fit.class_names()}); },
                            {numbers + ": line 1, column 2:", "label \"0\"", "named"});

  // Class indices: a count of classes instead of names.
  const std::string indices = dir.write_text("indices.csv", "1,2\n2,0\n");
  const Dataset counted = csv(indices, {.num_classes = 3});
  CHECK(labels_of(counted) == std::vector<std::int64_t>{2, 0});
  CHECK(counted.class_names().empty());
  check_throws<FormatError>([&] { csv(indices, {.num_classes = 2}); },
                            {indices + ": line 1, column 2:", "label \"2\"", "0..1"});
  // Names against class indices.
  check_throws<FormatError>([&] { csv(test, {.num_classes = 3}); },
                            {test + ": line 2, column 2:", "label \"b\"", "class ind"});

  // Options that contradict each other.
  check_throws<ValueError>(
      [&] {
        csv(test, {.class_names = {"a", "b", "a"}});
      },
      {"csv", "\"a\"", "twice"});
  check_throws<ValueError>(
      [&] {
        csv(test, {.class_names = {"a", "b"}, .num_classes = 3});
      },
      {"csv", "2 class names", "3"});
  check_throws<ValueError>([&] { csv(test, {.num_classes = -1}); }, {"csv", "num_classes"});
}

TEST_CASE("csv: the number of classes is bounded by CsvOptions::max_classes") {
  TempDir dir("csv_max_classes");
  CHECK(CsvOptions{}.max_classes == kMaxClasses);
  CHECK(kMaxClasses == 1000);
  // One huge label would make 100001 classes (and a 100001 x 100001 confusion matrix).
  const std::string huge = dir.write_text("huge.csv", "x,y\n1,0\n2,1\n3,100000\n");
  check_throws<FormatError>([&] { csv(huge); },
                            {huge + ": line 4, column 2:", "label \"100000\"", "1000"});
  // The largest label the bound allows, and one more.
  const std::string top = dir.write_text("top.csv", "1,0\n2,999\n");
  CHECK(csv(top).num_classes() == 1000);
  const std::string over = dir.write_text("over.csv", "1,0\n2,1000\n");
  check_throws<FormatError>([&] { csv(over); }, {over + ": line 2, column 2:", "\"1000\""});
  // A smaller bound of one's own.
  const std::string three = dir.write_text("three.csv", "1,0\n2,1\n3,2\n");
  check_throws<FormatError>([&] { csv(three, {.max_classes = 2}); },
                            {three + ": line 3, column 2:", "\"2\"", "at most 2"});
  // Named classes: the line of the first name beyond the bound.
  std::string text;
  for (int i = 0; i < 4; ++i) text += std::to_string(i) + ",name" + std::to_string(i % 3) + "\n";
  const std::string names = dir.write_text("names.csv", text);
  CHECK(csv(names, {.max_classes = 3}).num_classes() == 3);
  text += "9,other\n";
  const std::string more = dir.write_text("more.csv", text);
  check_throws<FormatError>([&] { csv(more, {.max_classes = 3}); },
                            {more + ": line 5, column 2:", "\"other\"", "at most 3"});
  // Given classes beyond the bound.
  check_throws<ValueError>([&] { csv(three, {.num_classes = 5, .max_classes = 4}); },
                           {"csv", "5 classes given", "max_classes 4"});
  check_throws<ValueError>(
      [&] {
        csv(three, {.class_names = {"a", "b", "c"}, .max_classes = 2});
      },
      {"csv", "3 classes given", "max_classes 2"});
  check_throws<ValueError>([&] { csv(three, {.max_classes = 0}); }, {"csv", "max_classes"});
}

TEST_CASE("csv: from a stream, named in its errors") {
  std::istringstream in("x,y\n1,a\n2,b\n");
  const Dataset ds = csv(in, "<memory>");
  CHECK(ds.size() == 2);
  CHECK(ds.class_names() == std::vector<std::string>{"a", "b"});
  std::istringstream bad("1,a\n2,x,3\n");
  check_throws<FormatError>([&] { csv(bad, "<memory>"); }, {"<memory>: line 2:", "3 fields"});
}
