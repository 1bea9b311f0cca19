// Inputs found by the CSV fuzzer (scripts/fuzz.sh, tests/data/fuzz/fuzz_csv.cpp), kept as
// regression tests: each once escaped the reader's contract (FormatError or a data set
// of finite values and classes in range).
#include <doctest/doctest.h>

#include <cmath>
#include <sstream>
#include <string>

#include "support/check.hpp"
#include "xgrad/data/datasets.hpp"

using namespace xg::data;

namespace {

xg::data::Dataset read(const std::string& text, const CsvOptions& opts = {}) {
  std::istringstream in(text);
  return csv(in, "crash.csv", opts);
}

}  // namespace

// fuzz_csv-crash-4cf014fe00b2b9f52c5504f4f8cd80aae9a9b348 (58 bytes), read with the label
// first: "0,1555...69" (a 56-digit feature). The value is a finite double but beyond the
// largest float (3.4e38); stored as f32 it became inf, which the reader refuses to return.
TEST_CASE("csv fuzz regression: a feature or target beyond the float range") {
  const std::string big = "15555555555515555552776777775555555155555527767777777769";
  xg::test::check_throws<xg::FormatError>(
      [&] { (void)read("0," + big + "\n", {.label_column = 0}); },
      {"crash.csv: line 1, column 2:", "1555555555551555555277677777555555515555", "float"});
  xg::test::check_throws<xg::FormatError>(
      [&] { (void)read("1,2\n3,-4e39\n", {.regression = true}); },
      {"crash.csv: line 2, column 2:", "\"-4e39\"", "float"});
  // The largest float and values that round to it or underflow to 0 are kept.
  const Dataset ok = read("3.4028234e38,1e-50,0\n-3.4028234e38,0,1\n");
  for (float v : ok.features().data<float>()) CHECK(std::isfinite(v));
  CHECK(ok.features().data<float>()[0] == doctest::Approx(3.4028234e38f));
}
