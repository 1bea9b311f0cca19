// Tests of how `xgrad` reads data: CSV classes fixed by the training file (and by the
// model at eval), the bound on the number of classes, and eval reading only the data its
// command line names.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "data/idx_bytes.hpp"  // TempDir
#include "support/check.hpp"
#include "tools/xgrad/commands.hpp"
#include "tools/xgrad/data_source.hpp"
#include "tools/xgrad/model_spec.hpp"
#include "xgrad/data/datasets.hpp"
#include "xgrad/nn/serialize.hpp"

using namespace xg;
using namespace xg::cli;
using xg::test::TempDir;

namespace {

std::vector<std::int64_t> labels_of(const data::Dataset& ds) {
  return ds.targets().to_vector<std::int64_t>();
}

}  // namespace

TEST_CASE("cli: a CSV test file is read with its training file's classes") {
  TempDir dir("classes");
  const std::string train = dir.write_text("train.csv", "x,y,label\n0,0,a\n1,0,b\n2,0,c\n3,0,a\n");
  const std::string test = dir.write_text("test.csv", "x,y,label\n1,0,b\n2,0,c\n");
  const LoadedData d = load_data(parse_data_spec("csv:" + train + "," + test), {});
  CHECK(d.class_names == std::vector<std::string>{"a", "b", "c"});
  CHECK(d.num_classes == 3);
  CHECK(labels_of(d.test) == std::vector<std::int64_t>{1, 2});  // not 0, 1

  // A label the training file does not have: the test file, its line and the label.
  const std::string unseen = dir.write_text("unseen.csv", "x,y,label\n1,0,b\n2,0,d\n");
  test::check_throws<FormatError>(
      [&] { load_data(parse_data_spec("csv:" + train + "," + unseen), {}); },
      {unseen + ": line 3, column 3:", "label \"d\""});
  // Class indices for training, names for testing, and the other way round.
  const std::string numeric = dir.write_text("numeric.csv", "0,0,0\n1,0,1\n2,0,2\n3,0,1\n");
  test::check_throws<FormatError>(
      [&] { load_data(parse_data_spec("csv:" + numeric + "," + test), {}); },
      {test + ": line 2, column 3:", "label \"b\"", "class index"});
  test::check_throws<FormatError>(
      [&] { load_data(parse_data_spec("csv:" + train + "," + numeric), {}); },
      {numeric + ": line 1, column 3:", "label \"0\"", "named"});
  // Class indices: the test file may not go beyond the training file's.
  const std::string numeric_test = dir.write_text("numeric_test.csv", "0,0,2\n1,0,3\n");
  test::check_throws<FormatError>(
      [&] { load_data(parse_data_spec("csv:" + numeric + "," + numeric_test), {}); },
      {numeric_test + ": line 2, column 3:", "label \"3\"", "0..2"});

  // A model's classes (xgrad eval): both files are read with them.
  const LoadedData e = load_data(parse_data_spec("csv:" + test + "," + test), {},
                                 ModelClasses{.names = {"a", "b", "c"}, .count = 3});
  CHECK(labels_of(e.train) == std::vector<std::int64_t>{1, 2});
  CHECK(labels_of(e.test) == std::vector<std::int64_t>{1, 2});
  CHECK(e.num_classes == 3);
  const std::string one_class = dir.write_text("one_class.csv", "0,0,1\n1,0,1\n");
  const LoadedData f = load_data(parse_data_spec("csv:" + one_class + "," + one_class), {},
                                 ModelClasses{.count = 3});
  CHECK(labels_of(f.test) == std::vector<std::int64_t>{1, 1});
  CHECK(f.num_classes == 3);
  test::check_throws<FormatError>(
      [&] {
        load_data(parse_data_spec("csv:" + numeric_test + "," + numeric_test), {},
                  ModelClasses{.count = 3});
      },
      {numeric_test + ": line 2, column 3:", "label \"3\""});
}

TEST_CASE("cli: the number of classes is bounded") {
  TempDir dir("bound");
  // One stray label of 100000: refused while reading, naming the line.
  const std::string huge = dir.write_text("huge.csv", "0,0,0\n1,0,1\n2,0,100000\n3,0,1\n");
  test::check_throws<FormatError>([&] { load_data(parse_data_spec("csv:" + huge), {}); },
                                  {huge + ": line 3, column 3:", "\"100000\"", "1000"});
  test::check_throws<ValueError>(
      [&] { load_data(parse_data_spec("blobs"), {.samples = 100, .centers = 1001}); },
      {"--centers", "[2, 1000]", "got 1001"});
  CHECK(load_data(parse_data_spec("blobs"), {.samples = 100, .centers = 1000}).num_classes == 1000);
  ModelSpec spec{.inputs = 2, .hidden = {}, .outputs = 1001};
  test::check_throws<ValueError>([&] { spec.validate(); }, {"1001 classes", "at most 1000"});
  // A model file claiming 100000 outputs is refused before anything is sized by them.
  spec.outputs = 100000;
  const std::string claimed = spec_to_json(spec);
  test::check_throws<FormatError>([&] { spec_from_json(claimed, "big.safetensors"); },
                                  {"big.safetensors", "100000 classes", "at most 1000"});
  spec.outputs = 1000;
  spec.validate();
}

TEST_CASE("cli: eval reads only the data its command line names") {
  TempDir dir("eval_data");
  // A valid CSV file that a model file's metadata names.
  const std::string secret = dir.write_text("secret.csv", "0,0,0\n1,1,1\n0,1,1\n1,0,0\n2,2,0\n");
  const ModelSpec spec{.inputs = 2, .hidden = {}, .outputs = 2};
  const std::string model = dir.write_text("model.safetensors", "");
  auto save_with_data = [&](const std::string& data_text) {
    nn::save(*build_model(spec), model,
             {{kModelKey, spec_to_json(spec)},
              {kDataKey, data_to_json(parse_data_spec(data_text), {})}});
  };
  const std::vector<std::string> file_data = {"csv:" + secret, "csv:/etc/passwd",
                                              "idx:" + secret + "," + secret};
  for (const std::string& data_text : file_data) {
    CAPTURE(data_text);
    save_with_data(data_text);
    test::check_throws<UsageError>(
        [&] { run_eval({.model = model}); },
        {"--data is required", model, data_text, "only data named on its command line"});
  }
  // Named on the command line, the same file is read.
  save_with_data("csv:" + secret);
  CHECK(run_eval({.model = model, .data = "csv:" + secret, .split = "all"}) == 0);
  // Built-in data sets are still the default.
  save_with_data("xor");
  CHECK(run_eval({.model = model, .samples = 20}) == 0);
}
