// The IDX reader: every validation rule on hand-made bytes, gzip framing, and the real
// Fashion-MNIST files when Debian's dataset-fashion-mnist is installed.
#include <doctest/doctest.h>

#include <bit>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <system_error>

#include "idx_bytes.hpp"
#include "support/check.hpp"
#include "xgrad/data/idx.hpp"

using namespace xg;
using namespace xg::data;
using xg::test::Bytes;
using xg::test::check_throws;
using xg::test::check_values;
using xg::test::gzip_stored;
using xg::test::idx_header;
using xg::test::idx_u8;

namespace {

constexpr const char* kFashionDir = "/usr/share/datasets/fashion-mnist";

bool have_fashion() {
  return std::filesystem::exists(std::string(kFashionDir) + "/train-images-idx3-ubyte.gz");
}

}  // namespace

TEST_CASE("idx: decodes u8 data with its shape, scaled on request") {
  const Bytes b = idx_u8({2, 3}, {0, 1, 2, 3, 128, 255});
  IdxArray a = decode_idx(b, "m.idx");
  CHECK(a.type == IdxType::u8);
  CHECK(a.shape == Shape{2, 3});
  CHECK(a.values.shape() == Shape{2, 3});
  CHECK(a.values.dtype() == f32);
  check_values(a.values, {0, 1, 2, 3, 128, 255});

  IdxArray s = decode_idx(b, "m.idx", {.scale = true});
  check_values(s.values, {0, 1 / 255.0, 2 / 255.0, 3 / 255.0, 128 / 255.0, 1.0});

  IdxArray l = decode_idx(b, "m.idx", {.dtype = i64});
  CHECK(l.values.dtype() == i64);
  CHECK(l.values.to_vector<std::int64_t>() == std::vector<std::int64_t>{0, 1, 2, 3, 128, 255});
}

TEST_CASE("idx: decodes every IDX element type big-endian") {
  // Expected values written by hand from the big-endian byte patterns.
  SUBCASE("i8") {
    Bytes b = idx_header(0x09, {3});
    b.insert(b.end(), {0x7f, 0x80, 0xff});
    auto a = decode_idx(b, "x", {.dtype = i64});
    CHECK(a.type == IdxType::i8);
    CHECK(a.values.to_vector<std::int64_t>() == std::vector<std::int64_t>{127, -128, -1});
  }
  SUBCASE("i16") {
    Bytes b = idx_header(0x0B, {2});
    b.insert(b.end(), {0x01, 0x02, 0xff, 0xfe});
    auto a = decode_idx(b, "x", {.dtype = i64});
    CHECK(a.values.to_vector<std::int64_t>() == std::vector<std::int64_t>{258, -2});
  }
  SUBCASE("i32") {
    Bytes b = idx_header(0x0C, {2});
    b.insert(b.end(), {0x00, 0x01, 0x00, 0x00, 0x80, 0x00, 0x00, 0x00});
    auto a = decode_idx(b, "x", {.dtype = i64});
    CHECK(a.values.to_vector<std::int64_t>() == std::vector<std::int64_t>{65536, -2147483648LL});
  }
  SUBCASE("f32") {
    Bytes b = idx_header(0x0D, {2});
    b.insert(b.end(), {0x3f, 0xc0, 0x00, 0x00, 0xc1, 0x20, 0x00, 0x00});  // 1.5, -10
    auto a = decode_idx(b, "x");
    check_values(a.values, {1.5, -10.0});
  }
  SUBCASE("f64") {
    Bytes b = idx_header(0x0E, {1, 1});
    b.insert(b.end(), {0x40, 0x09, 0x21, 0xfb, 0x54, 0x44, 0x2d, 0x18});  // pi
    auto a = decode_idx(b, "x", {.dtype = f64});
    CHECK(a.shape == Shape{1, 1});
    CHECK(a.values.to_vector<double>()[0] == 3.141592653589793);
  }
}

TEST_CASE("idx: a wrong magic number names the file and offset") {
  check_throws<FormatError>(
      [] {
        decode_idx(Bytes{1, 0, 8, 1, 0, 0, 0, 0}, "a.idx");
      },
      {"a.idx: offset 0:", "not an IDX file", "0x01"});
  check_throws<FormatError>(
      [] {
        decode_idx(Bytes{0, 7, 8, 1, 0, 0, 0, 0}, "a.idx");
      },
      {"a.idx: offset 1:", "two zero bytes"});
  check_throws<FormatError>([] { decode_idx(Bytes{}, "empty.idx"); },
                            {"empty.idx: offset 0:", "magic number"});
  check_throws<FormatError>(
      [] {
        decode_idx(Bytes{0, 0, 8}, "short.idx");
      },
      {"short.idx: offset 3:", "magic number"});
}

TEST_CASE("idx: an unknown type byte is rejected") {
  for (std::uint8_t t : {0x00, 0x07, 0x0A, 0x0F, 0xFF}) {
    Bytes b = idx_header(t, {1});
    b.push_back(0);
    char hex[8];
    std::snprintf(hex, sizeof hex, "0x%02X", t);
    check_throws<FormatError>(
        [&] { decode_idx(b, "train-images-idx3-ubyte.gz"); },
        {"train-images-idx3-ubyte.gz: offset 2:", "unknown IDX type byte " + std::string(hex)});
  }
}

TEST_CASE("idx: the dimension count must be 1..4") {
  check_throws<FormatError>(
      [] {
        decode_idx(Bytes{0, 0, 8, 0}, "d.idx");
      },
      {"d.idx: offset 3:", "dimension count 0"});
  Bytes five = idx_header(0x08, {1, 1, 1, 1, 1});
  five.push_back(9);
  check_throws<FormatError>([&] { decode_idx(five, "d.idx"); },
                            {"d.idx: offset 3:", "dimension count 5"});
  Bytes four = idx_header(0x08, {1, 1, 1, 2});
  four.insert(four.end(), {4, 5});
  CHECK(decode_idx(four, "d.idx").shape == Shape{1, 1, 1, 2});
}

TEST_CASE("idx: a truncated header or truncated data is an error at the end offset") {
  Bytes h = idx_header(0x08, {2, 2, 2});
  h.resize(10);  // 3 dimensions need 16 header bytes
  check_throws<FormatError>([&] { decode_idx(h, "h.idx"); },
                            {"h.idx: offset 10:", "header truncated", "need 16"});
  Bytes d = idx_u8({2, 3}, {1, 2, 3, 4, 5});  // one element short
  check_throws<FormatError>([&] { decode_idx(d, "d.idx"); },
                            {"d.idx: offset 17:", "data truncated", "(2, 3)", "need 6", "has 5"});
  Bytes w = idx_header(0x0C, {2});
  w.insert(w.end(), {0, 0, 0, 1, 0, 0});  // i32 needs 8 bytes
  check_throws<FormatError>([&] { decode_idx(w, "w.idx"); },
                            {"w.idx: offset 14:", "need 8 bytes", "i32"});
}

TEST_CASE("idx: trailing bytes after the data are an error at their offset") {
  Bytes b = idx_u8({2}, {1, 2, 3, 4});
  check_throws<FormatError>([&] { decode_idx(b, "t.idx"); },
                            {"t.idx: offset 10:", "2 trailing bytes", "(2)"});
}

TEST_CASE("idx: huge dimensions neither overflow nor allocate") {
  // 2^32-1 to the 4th power overflows 64 bits; (65536, 65536, 65536) does not, but is
  // far above the limit. Both must be refused before any allocation.
  Bytes b = idx_header(0x08, {0xFFFFFFFFu, 0xFFFFFFFFu, 0xFFFFFFFFu, 0xFFFFFFFFu});
  check_throws<FormatError>([&] { decode_idx(b, "big.idx"); }, {"big.idx: offset 4:", "the limit"});
  Bytes c = idx_header(0x0E, {65536, 65536, 65536});
  check_throws<FormatError>([&] { decode_idx(c, "big.idx"); },
                            {"big.idx: offset 4:", "(65536, 65536, 65536)", "f64"});
  // A size that fits the default limit but not a lower one.
  Bytes d = idx_u8({8}, {1, 2, 3, 4, 5, 6, 7, 8});
  check_throws<FormatError>([&] { decode_idx(d, "d.idx", {.max_bytes = 7}); },
                            {"d.idx: offset", "limit"});
  CHECK_NOTHROW(decode_idx(d, "d.idx", {.max_bytes = 16}));
}

TEST_CASE("idx: zero images of a size past 64 bits are refused, not wrapped around") {
  // (0, 2^32-1, 2^32-1) holds no element, but 2^32-1 squared overflows an i64 (it gave
  // "-8589934591 features").
  const Bytes b = idx_header(0x08, {0, 0xFFFFFFFFu, 0xFFFFFFFFu});
  check_throws<FormatError>([&] { decode_idx(b, "z.idx"); },
                            {"z.idx: offset 4:", "(0, 4294967295, 4294967295)"});
  xg::test::TempDir dir("zero_images");
  const std::string images = dir.write("img", b);
  const std::string labels = dir.write("lab", idx_u8({0}, {}));
  check_throws<FormatError>([&] { xg::data::mnist_idx(images, labels, true); },
                            {images + ": offset 4:", "(0, 4294967295, 4294967295)"});
}

TEST_CASE("idx: zero-sized dimensions give an empty tensor") {
  IdxArray a = decode_idx(idx_header(0x08, {0, 28, 28}), "z.idx");
  CHECK(a.shape == Shape{0, 28, 28});
  CHECK(a.values.numel() == 0);
}

TEST_CASE("idx: gzip'd data is detected by its magic and inflated") {
  const Bytes plain = idx_u8({2, 2}, {10, 20, 30, 40});
  IdxArray a = decode_idx(gzip_stored(plain), "g.idx.gz");
  CHECK(a.shape == Shape{2, 2});
  check_values(a.values, {10, 20, 30, 40});

  // Two members back to back inflate as one stream (as gunzip does).
  Bytes first(plain.begin(), plain.begin() + 7), rest(plain.begin() + 7, plain.end());
  Bytes two = gzip_stored(first);
  const Bytes second = gzip_stored(rest);
  two.insert(two.end(), second.begin(), second.end());
  check_values(decode_idx(two, "two.gz").values, {10, 20, 30, 40});

  // Validation offsets count decompressed bytes.
  Bytes bad = plain;
  bad[2] = 0x07;
  check_throws<FormatError>([&] { decode_idx(gzip_stored(bad), "g.gz"); },
                            {"g.gz: offset 2:", "unknown IDX type byte 0x07"});
}

TEST_CASE("idx: corrupt, truncated or padded gzip data is a FormatError") {
  const Bytes gz = gzip_stored(idx_u8({4}, {1, 2, 3, 4}));
  SUBCASE("bad CRC") {
    Bytes b = gz;
    b[b.size() - 8] ^= 0xff;
    check_throws<FormatError>([&] { decode_idx(b, "c.gz"); },
                              {"c.gz: offset", "gzip data corrupt", "incorrect data check"});
  }
  SUBCASE("bad block type") {
    Bytes b = gz;
    b[10] = 0x07;  // BFINAL=1, BTYPE=11 (reserved)
    check_throws<FormatError>([&] { decode_idx(b, "c.gz"); },
                              {"c.gz: offset", "gzip data corrupt", "block type"});
  }
  SUBCASE("truncated") {
    for (std::size_t keep : {std::size_t{3}, std::size_t{12}, gz.size() - 1}) {
      Bytes b(gz.begin(), gz.begin() + static_cast<std::ptrdiff_t>(keep));
      check_throws<FormatError>([&] { decode_idx(b, "t.gz"); }, {"t.gz: offset", "truncated"});
    }
  }
  SUBCASE("trailing garbage") {
    Bytes b = gz;
    b.insert(b.end(), {0, 0, 0});
    check_throws<FormatError>(
        [&] { decode_idx(b, "p.gz"); },
        {"p.gz: offset " + std::to_string(gz.size()), "3 trailing bytes", "gzip"});
  }
  SUBCASE("decompressed size cap") {
    const Bytes big = gzip_stored(idx_u8({100000}, Bytes(100000, 7)));
    check_throws<FormatError>([&] { decode_idx(big, "bomb.gz", {.max_bytes = 50000}); },
                              {"bomb.gz: offset 50000:", "more than 50000 bytes"});
    CHECK(decode_idx(big, "bomb.gz", {.max_bytes = 200000}).values.numel() == 100000);
  }
}

TEST_CASE("idx: options that do not fit the data are rejected") {
  Bytes f = idx_header(0x0D, {1});
  f.insert(f.end(), {0x3f, 0x80, 0, 0});
  check_throws<DtypeError>([&] { decode_idx(f, "f.idx", {.dtype = i64}); },
                           {"decode_idx", "f.idx", "f32", "i64"});
  check_throws<ValueError>([&] { decode_idx(f, "f.idx", {.scale = true}); },
                           {"decode_idx", "f.idx", "u8"});
  check_throws<ValueError>(
      [&] { decode_idx(idx_u8({1}, {1}), "u.idx", {.dtype = i64, .scale = true}); },
      {"decode_idx", "scale", "i64"});
}

TEST_CASE("idx: read_idx reads files and names a missing one") {
  xg::test::TempDir dir("idx");
  const std::string plain = dir.write("a-idx1-ubyte", idx_u8({3}, {5, 6, 7}));
  const std::string gz = dir.write("a-idx1-ubyte.gz", gzip_stored(idx_u8({3}, {5, 6, 7})));
  check_values(read_idx(plain).values, {5, 6, 7});
  check_values(read_idx(gz).values, {5, 6, 7});
  check_throws<std::system_error>([&] { read_idx(dir.file("missing.gz")); },
                                  {"read_idx", "missing.gz"});
  const std::string bad = dir.write("bad", Bytes{0, 0, 8, 9});
  check_throws<FormatError>([&] { read_idx(bad); }, {bad + ": offset 3:"});
}

TEST_CASE("idx: load_mnist_pair checks counts, ranks and label values") {
  xg::test::TempDir dir("pair");
  const Bytes pixels(2 * 2 * 3, 51);
  const std::string images = dir.write("img", idx_u8({2, 2, 3}, pixels));
  const std::string labels = dir.write("lab", idx_u8({2}, {3, 9}));

  MnistPair p = load_mnist_pair(images, labels);
  CHECK(p.images.shape() == Shape{2, 2, 3});
  CHECK(p.images.dtype() == f32);
  CHECK(p.images.to_vector<float>()[0] == doctest::Approx(0.2));  // 51 / 255
  CHECK(p.labels.dtype() == i64);
  CHECK(p.labels.to_vector<std::int64_t>() == std::vector<std::int64_t>{3, 9});

  const std::string three = dir.write("lab3", idx_u8({3}, {1, 2, 3}));
  check_throws<FormatError>([&] { load_mnist_pair(images, three); },
                            {images, "2 images", three, "3 labels"});
  const std::string big = dir.write("lab_big", idx_u8({2}, {3, 10}));
  check_throws<FormatError>([&] { load_mnist_pair(images, big); },
                            {big + ": offset 9:", "label 10", "sample 1", "[0, 10)"});
  CHECK_NOTHROW(load_mnist_pair(images, big, {.num_classes = 11}));
  const std::string flat = dir.write("img_flat", idx_u8({2, 6}, pixels));
  check_throws<FormatError>([&] { load_mnist_pair(flat, labels); },
                            {flat + ": offset 3:", "3 dimensions", "(2, 6)"});
  check_throws<FormatError>([&] { load_mnist_pair(images, images); },
                            {images + ": offset 3:", "1 dimension"});
  Bytes fl = idx_header(0x0D, {2});
  fl.insert(fl.end(), {0x3f, 0x80, 0, 0, 0x3f, 0x80, 0, 0});
  const std::string float_labels = dir.write("lab_f32", fl);
  check_throws<FormatError>([&] { load_mnist_pair(images, float_labels); },
                            {float_labels + ": offset 2:", "integers", "f32"});
  Bytes neg = idx_header(0x09, {2});
  neg.insert(neg.end(), {0x01, 0xff});
  const std::string neg_labels = dir.write("lab_neg", neg);
  check_throws<FormatError>([&] { load_mnist_pair(images, neg_labels); },
                            {neg_labels + ": offset 9:", "label -1"});
}

TEST_CASE("idx: real Fashion-MNIST training and test files") {
  if (!have_fashion()) {
    MESSAGE("skipped: " << kFashionDir << " absent (apt-get install dataset-fashion-mnist)");
    return;
  }
  const std::string d = kFashionDir;
  // Expected numbers from Python's gzip module reading the same files:
  //   labels[:10], per-class counts, sum of image 0's bytes, image 0's pixel (14, 14).
  MnistPair train = load_mnist_pair(d + "/train-images-idx3-ubyte.gz",
                                    d + "/train-labels-idx1-ubyte.gz", {.scale = false});
  CHECK(train.images.shape() == Shape{60000, 28, 28});
  CHECK(train.labels.shape() == Shape{60000});
  const auto labels = train.labels.to_vector<std::int64_t>();
  CHECK(std::vector<std::int64_t>(labels.begin(), labels.begin() + 10) ==
        std::vector<std::int64_t>{9, 0, 0, 3, 0, 2, 7, 2, 5, 5});
  std::vector<int> counts(10, 0);
  int outside = 0;
  for (auto l : labels) {
    if (l < 0 || l >= 10) {
      ++outside;
    } else {
      ++counts[static_cast<std::size_t>(l)];
    }
  }
  CHECK(outside == 0);
  CHECK(counts == std::vector<int>(10, 6000));
  const auto px = train.images.data<float>();
  double sum0 = 0;
  for (int i = 0; i < 784; ++i) sum0 += px[static_cast<std::size_t>(i)];
  CHECK(sum0 == 76247.0);
  CHECK(px[14 * 28 + 14] == 217.0f);

  MnistPair test =
      load_mnist_pair(d + "/t10k-images-idx3-ubyte.gz", d + "/t10k-labels-idx1-ubyte.gz");
  CHECK(test.images.shape() == Shape{10000, 28, 28});
  const auto tp = test.images.data<float>();
  CHECK(tp[14 * 28 + 14] == doctest::Approx(110.0 / 255.0));
  float lo = 1, hi = 0;
  for (float v : tp) {
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  CHECK(lo == 0.0f);
  CHECK(hi == 1.0f);
}

TEST_CASE("idx: a real deflate stream, corrupted or cut short") {
  const std::string path = std::string(kFashionDir) + "/t10k-labels-idx1-ubyte.gz";
  if (!std::filesystem::exists(path)) {
    MESSAGE("skipped: " << path << " absent (apt-get install dataset-fashion-mnist)");
    return;
  }
  std::ifstream in(path, std::ios::binary);
  const Bytes gz((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  REQUIRE(gz.size() > 1000);
  CHECK(decode_idx(gz, "t10k-labels").values.numel() == 10000);
  for (std::size_t at : {gz.size() / 3, gz.size() / 2, gz.size() - 6}) {
    Bytes bad = gz;
    bad[at] ^= 0x5a;
    check_throws<FormatError>([&] { decode_idx(bad, "t10k-labels"); },
                              {"t10k-labels: offset", "gzip data corrupt"});
  }
  Bytes cut(gz.begin(), gz.begin() + static_cast<std::ptrdiff_t>(gz.size() / 2));
  check_throws<FormatError>([&] { decode_idx(cut, "t10k-labels"); },
                            {"t10k-labels: offset", "truncated"});
}
