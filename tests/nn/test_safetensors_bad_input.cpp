// The safetensors reader's validation, one rule at a time, on hand-crafted files; and the
// files from other writers it must accept. Every rejection is a FormatError that names the
// file, the tensor (where there is one) and the byte offset.
#include <cstdio>
#include <optional>
#include <system_error>
#include <vector>

#include "nn/serialize_util.hpp"
#include "support/many_tensors.hpp"

namespace fs = std::filesystem;
using xg::test::TempDir;

namespace {

// Writes [u64 length][header][data] (length = header.size() unless given) to a new file.
fs::path craft(const TempDir& dir, const std::string& header, const std::string& data = "",
               std::optional<std::uint64_t> length = std::nullopt) {
  static int counter = 0;
  const fs::path p = dir.path / ("crafted" + std::to_string(counter++) + ".safetensors");
  xg::test::write_file(p, xg::test::le64(length.value_or(header.size())) + header + data);
  return p;
}

// load_tensors(p) throws FormatError whose message names the file and every fragment.
void expect_rejected(const fs::path& p, std::vector<std::string> fragments) {
  fragments.push_back("load_tensors: \"" + p.string() + "\"");
  xg::test::check_throws<xg::FormatError>([&] { (void)xg::nn::load_tensors(p); }, fragments);
}

std::string at(std::uint64_t byte) { return "at byte " + std::to_string(byte); }

// The offset in the file of the data section of a file with this header.
std::uint64_t data_start(const std::string& header) { return 8 + header.size(); }

std::string entry(const std::string& name, const std::string& dtype, const std::string& shape,
                  std::uint64_t begin, std::uint64_t end) {
  return "\"" + name + "\":{\"dtype\":\"" + dtype + "\",\"shape\":" + shape +
         ",\"data_offsets\":[" + std::to_string(begin) + "," + std::to_string(end) + "]}";
}

// "{m1,m2,...}" (written out instead of "{" + m + "}", which trips GCC 12's -Wrestrict).
std::string object(const std::vector<std::string>& members) {
  std::string out = "{";
  for (std::size_t i = 0; i < members.size(); ++i) out.append(i ? "," : "").append(members[i]);
  return out.append("}");
}

// CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320: zlib's and Python's), bit by bit,
// independent of the zlib the library uses; as 8 lowercase hex digits.
std::string crc_hex(const std::string& bytes) {
  std::uint32_t crc = 0xFFFFFFFFu;
  for (unsigned char byte : bytes) {
    crc ^= byte;
    for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
  }
  char buf[9];
  std::snprintf(buf, sizeof buf, "%08x", crc ^ 0xFFFFFFFFu);
  return buf;
}

const std::string kEight(8, '\x01');  // 8 bytes of data: two F32 values

}  // namespace

TEST_CASE("safetensors: a bad header length is rejected") {
  TempDir dir;
  const fs::path empty = dir.path / "empty.safetensors";
  xg::test::write_file(empty, "");
  expect_rejected(empty, {"is 0 bytes long", at(0)});
  const fs::path short_file = dir.path / "short.safetensors";
  xg::test::write_file(short_file, std::string("\x02\0\0\0\0\0\0", 7));
  expect_rejected(short_file, {"is 7 bytes long", "8-byte header length", at(0)});

  expect_rejected(craft(dir, "{}", "", 100'000'001),
                  {"header length 100000001 exceeds the limit of 100000000 bytes", at(0)});
  expect_rejected(craft(dir, "{}", "", ~std::uint64_t{0}), {"exceeds the limit", at(0)});
  expect_rejected(craft(dir, "{}", "", 3),
                  {"header length 3 runs past the end of the 10-byte file", at(0)});
  // Exactly at the limit but past the end of a small file: no 100 MB allocation happens.
  expect_rejected(craft(dir, "{}", "", 100'000'000), {"runs past the end", at(0)});
  // Too short: the JSON is cut.
  expect_rejected(craft(dir, "{}", "", 1), {"not valid JSON", at(9)});  // at its end
  expect_rejected(craft(dir, "{}", "", 0), {"does not start with '{'", at(8)});
}

TEST_CASE(
    "safetensors: a header that is not valid JSON or not the format's structure is rejected") {
  TempDir dir;
  expect_rejected(craft(dir, "[1, 2]"), {"does not start with '{'", at(8)});
  expect_rejected(craft(dir, " {}"), {"does not start with '{'", at(8)});
  expect_rejected(craft(dir, "{"), {"not valid JSON", at(9)});
  // The offset points at the offending character: 'x' is header byte 8, file byte 16.
  expect_rejected(craft(dir, "{\"a\":1} x"), {"not valid JSON", at(16)});
  expect_rejected(craft(dir, "{\"a\xff\":1}"), {"not valid JSON", "UTF-8"});
  expect_rejected(craft(dir, std::string("{\"a\":\0}", 7)), {"contains a NUL byte", at(13)});
  // nlohmann alone stops at a NUL and would accept this header.
  expect_rejected(craft(dir, std::string("{}\0 x", 5)), {"contains a NUL byte", at(10)});
  expect_rejected(craft(dir, "{} \x01"), {"not valid JSON"});
  // Duplicate keys: nlohmann alone would keep the last silently.
  const std::string a = entry("a", "F32", "[2]", 0, 8);
  expect_rejected(craft(dir, object({a, a}), kEight), {"the key \"a\" appears twice", at(8)});
  expect_rejected(
      craft(dir,
            "{\"a\":{\"dtype\":\"F32\",\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}",
            kEight),
      {"the key \"dtype\" appears twice"});
  expect_rejected(craft(dir, "{\"__metadata__\":{\"k\":\"1\",\"k\":\"2\"}}"),
                  {"the key \"k\" appears twice"});
  // Deeper than {name: {field: [numbers]}}.
  expect_rejected(craft(dir, "{\"a\":{\"shape\":[[2]]}}"),
                  {"arrays are nested deeper than the format allows", at(8)});
  expect_rejected(craft(dir, "{\"a\":{\"shape\":{}}}"),
                  {"objects are nested deeper than the format allows"});
  expect_rejected(craft(dir, "{\"a\":[" + std::string(100000, '[')), {"nested deeper"});
}

TEST_CASE("safetensors: bad tensor entries are rejected, naming the tensor") {
  TempDir dir;
  const std::string t = "tensor \"w\"";
  auto reject = [&](const std::string& w, std::vector<std::string> fragments,
                    const std::string& data = kEight) {
    fragments.push_back(t);
    expect_rejected(craft(dir, object({"\"w\":" + w}), data), fragments);
  };
  reject("5", {"its header entry is a JSON number, not an object", at(8)});
  reject("[\"F32\"]", {"is a JSON array, not an object"});
  reject("{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8],\"foo\":1}",
         {"unknown field \"foo\""});
  reject("{\"shape\":[2],\"data_offsets\":[0,8]}", {"has no \"dtype\""});
  reject("{\"dtype\":\"F32\",\"data_offsets\":[0,8]}", {"has no \"shape\""});
  reject("{\"dtype\":\"F32\",\"shape\":[2]}", {"has no \"data_offsets\""});
  // dtype
  reject("{\"dtype\":5,\"shape\":[2],\"data_offsets\":[0,8]}", {"\"dtype\" is 5, not a string"});
  reject("{\"dtype\":\"F16\",\"shape\":[4],\"data_offsets\":[0,8]}",
         {"dtype \"F16\" is not supported", "F32, F64 and I64"});
  reject("{\"dtype\":\"XYZ\",\"shape\":[2],\"data_offsets\":[0,8]}",
         {"dtype \"XYZ\" is not supported"});
  reject("{\"dtype\":\"f32\",\"shape\":[2],\"data_offsets\":[0,8]}",
         {"dtype \"f32\" is not supported"});
  // shape
  reject("{\"dtype\":\"F32\",\"shape\":\"2\",\"data_offsets\":[0,8]}",
         {"\"shape\" is \"2\", not an array"});
  reject("{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}",
         {"shape entry 0 is -2", "non-negative integers"});
  reject("{\"dtype\":\"F32\",\"shape\":[1,2.0],\"data_offsets\":[0,8]}", {"shape entry 1 is 2.0"});
  reject("{\"dtype\":\"F32\",\"shape\":[2e0],\"data_offsets\":[0,8]}", {"shape entry 0 is 2.0"});
  reject("{\"dtype\":\"F32\",\"shape\":[null],\"data_offsets\":[0,8]}", {"shape entry 0 is null"});
  reject("{\"dtype\":\"F32\",\"shape\":[18446744073709551615],\"data_offsets\":[0,8]}",
         {"shape entry 0 is 18446744073709551615"});
  reject("{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,8]}",
         {"shape [4294967296,4294967296] has too many elements"});
  // numel fits in int64, numel * 8 bytes does not fit in 64 bits.
  reject("{\"dtype\":\"F64\",\"shape\":[2305843009213693952],\"data_offsets\":[0,8]}",
         {"has too many elements"});
  // data_offsets
  reject("{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0]}",
         {"\"data_offsets\" is [0], not two non-negative integers"});
  reject("{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8,8]}",
         {"not two non-negative integers"});
  reject("{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[-8,0]}",
         {"not two non-negative integers"});
  reject("{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8.0]}",
         {"not two non-negative integers"});
  reject("{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":\"0-8\"}",
         {"not two non-negative integers"});
  reject("{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[8,0]}",
         {"data_offsets [8,0] begin after they end"});
  // Size against dtype x shape; the offset is where the tensor's data begins.
  const std::string w3 = "{\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}";
  expect_rejected(craft(dir, w3, kEight),
                  {t, "data_offsets [0,8] hold 8 bytes, but F32 (3) takes 12", at(data_start(w3))});
  reject("{\"dtype\":\"I64\",\"shape\":[2],\"data_offsets\":[0,8]}",
         {"hold 8 bytes, but I64 (2) takes 16"});
  reject("{\"dtype\":\"F64\",\"shape\":[],\"data_offsets\":[0,4]}",
         {"hold 4 bytes, but F64 () takes 8"}, "1234");
  reject("{\"dtype\":\"F32\",\"shape\":[18446744073709551615],\"data_offsets\":[0,8]}",
         {"shape entry 0"});
  reject(
      "{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[18446744073709551607,"
      "18446744073709551615]}",
      {"not two non-negative integers"});  // past int64
}

TEST_CASE("safetensors: offsets that do not tile the data section are rejected") {
  TempDir dir;
  // Gap at the start.
  const std::string h1 = object({entry("a", "F32", "[2]", 4, 12)});
  expect_rejected(craft(dir, h1, std::string(12, '\0')),
                  {"tensor \"a\"", "leaves a gap at the start of the data section",
                   "begins at offset 4", at(data_start(h1))});
  // Gap between two tensors.
  const std::string h2 = object({entry("a", "F32", "[2]", 0, 8), entry("b", "F32", "[2]", 12, 20)});
  expect_rejected(craft(dir, h2, std::string(20, '\0')),
                  {"tensor \"b\"", "leaves a gap after the previous tensor \"a\"",
                   "begins at offset 12 of the data section, expected 8", at(data_start(h2) + 8)});
  // Overlap.
  const std::string h3 = object({entry("a", "F32", "[2]", 0, 8), entry("b", "F32", "[2]", 4, 12)});
  expect_rejected(craft(dir, h3, std::string(12, '\0')),
                  {"tensor \"b\"", "overlaps the previous tensor \"a\"", at(data_start(h3) + 8)});
  // The same region twice.
  const std::string h4 = object({entry("a", "F32", "[2]", 0, 8), entry("b", "F32", "[2]", 0, 8)});
  expect_rejected(craft(dir, h4, kEight), {"overlaps the previous tensor \"a\""});
  // Past the end of the data section.
  const std::string h5 = object({entry("a", "F32", "[2]", 0, 8)});
  expect_rejected(craft(dir, h5, "1234"),
                  {"tensor \"a\"", "ends at offset 8, past the end of the data section (4 bytes)",
                   at(data_start(h5))});
  // Far past the end (no allocation of the claimed size happens).
  const std::string h6 = object({entry("a", "F32", "[1000000000000]", 0, 4000000000000)});
  expect_rejected(craft(dir, h6, kEight), {"past the end of the data section (8 bytes)"});
  // Bytes after the last tensor.
  expect_rejected(craft(dir, h5, kEight + "xyz"),
                  {"3 bytes follow the last tensor's data", at(data_start(h5) + 8)});
  expect_rejected(craft(dir, "{}", "x"), {"1 bytes follow the last tensor's data", at(10)});
}

TEST_CASE("safetensors: bad metadata and CRC mismatches are rejected") {
  TempDir dir;
  expect_rejected(craft(dir, "{\"__metadata__\":[1]}"),
                  {"\"__metadata__\" is a JSON array, not an object", at(8)});
  expect_rejected(craft(dir, "{\"__metadata__\":{\"k\":1}}"),
                  {"metadata \"k\" is 1, not a string"});
  expect_rejected(craft(dir, "{\"__metadata__\":{\"crc32\":\"xyz\"}}"),
                  {"metadata \"crc32\" is \"xyz\", not 8 lowercase hex digits"});
  expect_rejected(craft(dir, "{\"__metadata__\":{\"crc32\":\"0000000g\"}}"),
                  {"not 8 lowercase hex digits"});
  expect_rejected(craft(dir, "{\"__metadata__\":{\"crc32\":\"0000000A\"}}"),
                  {"not 8 lowercase hex digits"});

  // crc32_header is the CRC32 of the header as compact JSON with sorted keys, without
  // crc32_header itself ("__metadata__" sorts before "a").
  const std::string a = "\"a\":{\"data_offsets\":[0,8],\"dtype\":\"F32\",\"shape\":[2]}";
  const std::string good_crc = crc_hex(kEight);
  const std::string header_crc =
      crc_hex(object({"\"__metadata__\":{\"crc32\":\"" + good_crc + "\"}", a}));
  const std::string ok = object(
      {"\"__metadata__\":{\"crc32\":\"" + good_crc + "\",\"crc32_header\":\"" + header_crc + "\"}",
       a});
  CHECK(xg::nn::load_tensors(craft(dir, ok, kEight)).size() == 1);
  // One data byte changed.
  std::string bad_data = kEight;
  bad_data[5] = '\x03';
  expect_rejected(craft(dir, ok, bad_data), {"the data section (8 bytes) does not match its CRC32",
                                             "recorded " + good_crc, at(data_start(ok))});
  // A renamed tensor with a still-valid layout: only the header's CRC can tell.
  std::string renamed = ok;
  renamed[renamed.find("\"a\":") + 1] = 'b';
  expect_rejected(craft(dir, renamed, kEight), {"the header does not match its CRC32", at(8)});
  // So can a changed metadata value (the data CRC here).
  std::string recrc = ok;
  recrc[recrc.find(good_crc)] ^= 1;
  expect_rejected(craft(dir, recrc, kEight), {"the header does not match its CRC32"});
  // Our files (they record xgrad_version) must carry both CRCs.
  expect_rejected(craft(dir, "{\"__metadata__\":{\"xgrad_version\":\"0.1.0\"}}"),
                  {"records \"xgrad_version\" but no \"crc32\"", at(8)});
  expect_rejected(
      craft(dir, "{\"__metadata__\":{\"crc32\":\"00000000\",\"xgrad_version\":\"0.1.0\"}}"),
      {"records \"xgrad_version\" but no \"crc32_header\""});
  // A crafted file without CRCs is taken as it is (other writers record none).
  const std::string h = object({entry("b", "F32", "[2]", 0, 8)});
  CHECK(xg::nn::load_tensors(craft(dir, h, bad_data)).count("b") == 1);
}

TEST_CASE("safetensors: valid files from other writers are accepted") {
  TempDir dir;
  // Entries in any order in the header, data in yet another order, zero-element tensors
  // (also at the end), a 0-d tensor, JSON whitespace, a data CRC only, no padding.
  std::string data;
  const double pi = 3.141592653589793;
  const std::int64_t labels[2] = {-7, 1LL << 60};
  const float weights[3] = {0.5f, -1.25f, 3.0f};
  data.append(reinterpret_cast<const char*>(&pi), 8);       // [0, 8)   c  F64 ()
  data.append(reinterpret_cast<const char*>(labels), 16);   // [8, 24)  a  I64 (2, 1)
  data.append(reinterpret_cast<const char*>(weights), 12);  // [24, 36) b  F32 (3)
  const std::string crc = crc_hex(data);
  const std::string header =
      "{\n\t\"b\": {\"shape\": [3], \"dtype\": \"F32\", \"data_offsets\": [24, 36]},\n"
      "  \"z\": {\"dtype\": \"F32\", \"shape\": [0, 4], \"data_offsets\": [36, 36]},\n"
      "  \"e\": {\"dtype\": \"F64\", \"shape\": [2, 0], \"data_offsets\": [0, 0]},\n"
      "  \"__metadata__\": {\"format\": \"pt\", \"crc32\": \"" +
      crc +
      "\"},\n"
      "  \"a\": {\"dtype\": \"I64\", \"shape\": [2, 1], \"data_offsets\": [8, 24]},\n"
      "  \"c\": {\"dtype\": \"F64\", \"shape\": [], \"data_offsets\": [0, 8]}\r\n}  \t";
  const auto file = xg::nn::load_tensor_file(craft(dir, header, data));
  CHECK(file.metadata.at("format") == "pt");
  REQUIRE(file.tensors.size() == 5);
  const auto& t = file.tensors;
  CHECK(t.at("a").dtype() == xg::i64);
  CHECK(t.at("a").shape() == xg::Shape{2, 1});
  CHECK(t.at("a").to_vector<std::int64_t>() == std::vector<std::int64_t>{-7, 1LL << 60});
  CHECK(t.at("b").to_vector<float>() == std::vector<float>{0.5f, -1.25f, 3.0f});
  CHECK(t.at("c").shape().empty());
  CHECK(t.at("c").item<double>() == pi);
  CHECK(t.at("z").shape() == xg::Shape{0, 4});
  CHECK(t.at("e").numel() == 0);
  CHECK(t.at("e").dtype() == xg::f64);

  // A file holding no tensors at all.
  CHECK(xg::nn::load_tensors(craft(dir, "{}")).empty());
  CHECK(xg::nn::load_tensors(craft(dir, "{\"__metadata__\":{}}     ")).empty());
}

TEST_CASE("safetensors: a header with 100000 entries loads, every tensor in place") {
  // Parsing is linear in the header (benchmarks/safetensors_load.cpp times it); this
  // checks the result.
  TempDir dir;
  const std::int64_t n = 100'000;
  const fs::path p = dir.path / "many.safetensors";
  xg::test::write_file(p, xg::test::many_tensors_file(n));
  const xg::nn::TensorMap tensors = xg::nn::load_tensors(p);
  REQUIRE(tensors.size() == static_cast<std::size_t>(n));
  std::int64_t wrong = 0;
  for (std::int64_t i = 0; i < n; ++i) {
    const auto it = tensors.find(xg::test::many_tensors_name(i));
    if (it == tensors.end() || it->second.shape() != xg::Shape{1} ||
        it->second.item<float>() != static_cast<float>(i)) {
      ++wrong;
    }
  }
  CHECK(wrong == 0);
}

TEST_CASE("safetensors: the number of entries, of dimensions and of values is bounded") {
  TempDir dir;
  // One key more than the limit; the values do not matter, the count is checked first.
  const auto over = static_cast<std::int64_t>(xg::nn::kSafetensorsMaxTensors) + 1;
  std::string many = "{";
  for (std::int64_t i = 0; i < over; ++i) {
    many.append(i ? ",\"" : "\"").append(std::to_string(i)).append("\":0");
  }
  expect_rejected(
      craft(dir, many + "}"),
      {"more than " + std::to_string(xg::nn::kSafetensorsMaxTensors) + " tensor entries", at(8)});
  // As many metadata entries, plus one.
  std::string metadata = "{\"__metadata__\":{";
  for (std::int64_t i = 0; i < over; ++i) {
    metadata.append(i ? ",\"" : "\"").append(std::to_string(i)).append("\":\"\"");
  }
  expect_rejected(craft(dir, metadata + "}}"),
                  {"\"__metadata__\" holds more than " +
                       std::to_string(xg::nn::kSafetensorsMaxTensors) + " entries",
                   at(8)});
  // Entries and arrays far larger than the format's are cut short too.
  expect_rejected(craft(dir, "{\"a\":{\"p\":1,\"q\":2,\"r\":3,\"s\":4,\"t\":5}}"),
                  {"the entry of tensor \"a\" has more than 4 fields", at(8)});
  expect_rejected(craft(dir, "{\"a\":{\"data_offsets\":[0,0,0,0,0,0,0,0,0]}}"),
                  {"tensor \"a\", \"data_offsets\") holds more than 8 values", at(8)});
  expect_rejected(craft(dir, "{\"__metadata__\":{\"k\":[1,2,3,4,5,6,7,8,9]}}"),
                  {"holds more than 8 values"});
  // Shapes with more dimensions in total than the limit, spread over two tensors.
  const auto dims = static_cast<std::int64_t>(xg::nn::kSafetensorsMaxDims);
  std::string ones;
  for (std::int64_t i = 0; i < dims / 2 + 1; ++i) ones += i ? ",1" : "1";
  const std::string shape = "{\"shape\":[" + ones + "]}";
  const std::string two = object({"\"a\":" + shape, "\"b\":" + shape});
  expect_rejected(craft(dir, two),
                  {"more than " + std::to_string(dims) + " dimensions in total", at(8)});
}

TEST_CASE("safetensors: save_tensors rejects what the format cannot hold") {
  TempDir dir;
  const fs::path p = dir.path / "x.safetensors";
  xg::test::check_throws<xg::ValueError>(
      [&] {
        xg::nn::save_tensors({{"w", xg::Tensor()}}, p);
      },
      {"save_tensors", "tensor \"w\" is undefined"});
  xg::test::check_throws<xg::ValueError>(
      [&] {
        xg::nn::save_tensors({{"__metadata__", xg::zeros({1})}}, p);
      },
      {"save_tensors", "\"__metadata__\" cannot name a tensor"});
  for (const char* key : {"xgrad_version", "crc32", "crc32_header"}) {
    xg::test::check_throws<xg::ValueError>(
        [&] {
          xg::nn::save_tensors({{"w", xg::zeros({1})}}, p, {{key, "x"}});
        },
        {"save_tensors", "metadata key \"" + std::string(key) + "\" is reserved"});
  }
  xg::test::check_throws<xg::ValueError>(
      [&] {
        xg::nn::save_tensors({{"w\xff", xg::zeros({1})}}, p);
      },
      {"save_tensors", "is not valid UTF-8"});
  xg::test::check_throws<xg::ValueError>(
      [&] {
        xg::nn::save_tensors({{"w", xg::zeros({1})}}, p, {{"k", "\xc3"}});
      },
      {"save_tensors", "metadata value of \"k\" is not valid UTF-8"});
  CHECK_FALSE(fs::exists(p));  // nothing written, not even a temporary file
  CHECK(fs::is_empty(dir.path));
}

TEST_CASE("safetensors: an empty tensor whose sizes multiply past 64 bits is rejected") {
  // (0, 2^62, 2^62) holds no element, but its row-major strides do not fit in 64 bits.
  TempDir dir;
  const std::string shape = "[0,4611686018427387904,4611686018427387904]";
  expect_rejected(craft(dir, object({"\"w\":{\"dtype\":\"F32\",\"shape\":" + shape +
                                     ",\"data_offsets\":[0,0]}"})),
                  {"tensor \"w\"", "shape " + shape, "at byte"});
}
