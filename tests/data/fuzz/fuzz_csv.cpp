// libFuzzer target for the CSV reader (data/datasets.hpp, csv): any text, read with a few
// option sets (default, label first without a header, regression, against given class
// names or a count of class indices, a small class bound), must either give a data set
// that keeps the reader's promises or throw xg::FormatError (ValueError only for a
// label column the file does not have) -- never crash, hang, read out of bounds or
// allocate without bound. Built only with clang (XGRAD_BUILD_FUZZERS=ON); run by
// scripts/fuzz.sh.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include "xgrad/data/datasets.hpp"

namespace {

void check(bool ok) {
  if (!ok) std::abort();  // an invariant broke: libFuzzer reports it as a crash
}

void check_dataset(const xg::data::Dataset& ds, const xg::data::CsvOptions& opts) {
  const xg::Tensor& x = ds.features();
  check(x.dim() == 2 && x.shape()[0] >= 1 && x.shape()[1] >= 1);
  check(x.dtype() == xg::f32);
  for (float v : x.data<float>()) check(std::isfinite(v));
  const xg::Tensor& y = ds.targets();
  check(y.dim() == 1 && y.shape()[0] == x.shape()[0]);
  if (opts.regression) {
    check(y.dtype() == xg::f32);
    for (float v : y.data<float>()) check(std::isfinite(v));
    return;
  }
  check(y.dtype() == xg::i64);
  const std::int64_t classes = ds.num_classes();
  check(classes >= 1 && classes <= opts.max_classes);
  if (!opts.class_names.empty()) check(ds.class_names() == opts.class_names);
  if (opts.num_classes > 0) check(ds.class_names().empty() && classes <= opts.num_classes);
  for (std::int64_t v : y.data<std::int64_t>()) {
    check(v >= 0 && v < classes);
    if (opts.num_classes > 0) check(v < opts.num_classes);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace xg::data;
  const std::string text(reinterpret_cast<const char*>(data), size);
  const std::vector<CsvOptions> option_sets = {
      {},
      {.label_column = 0, .header = CsvHeader::absent},
      {.header = CsvHeader::present, .delimiter = ';', .regression = true},
      {.class_names = {"a", "b", "c"}},
      {.num_classes = 3},
      {.label_column = 1, .max_classes = 4},
  };
  for (const CsvOptions& opts : option_sets) {
    std::istringstream in(text);
    try {
      check_dataset(csv(in, "fuzz", opts), opts);
    } catch (const xg::FormatError&) {
    } catch (const xg::ValueError& e) {  // only a label column the file does not have
      check(opts.label_column > 0 &&
            std::string(e.what()).find("label_column") != std::string::npos);
    }
  }
  return 0;
}
