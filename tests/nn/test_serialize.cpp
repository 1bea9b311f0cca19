// Model files: nn::save / nn::load round trips, atomic replacement, the corruption test
// (every truncation, every single-bit flip), and exchange with NumPy-only Python scripts.
// The hand-crafted bad headers are in test_safetensors_bad_input.cpp.
#include <sys/resource.h>
#include <sys/wait.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <csignal>
#include <cstdlib>
#include <limits>
#include <system_error>

#include "nn/serialize_util.hpp"

namespace fs = std::filesystem;
using xg::test::Net;
using xg::test::TempDir;

namespace {

// Bit patterns a text format would lose: signed zero, infinities, NaN with a payload,
// subnormals, extremes.
void fill_special(Net& net) {
  xg::manual_seed(7);
  auto state = net.state_dict();
  auto body = state.at("body.weight").mutable_data<float>();
  const float f32_special[6] = {-0.0f,
                                std::numeric_limits<float>::infinity(),
                                std::numeric_limits<float>::denorm_min(),
                                std::numeric_limits<float>::max(),
                                std::bit_cast<float>(0x7fc12345u),  // NaN with a payload
                                1.0f / 3.0f};
  std::copy(std::begin(f32_special), std::end(f32_special), body.begin());
  auto head = state.at("head.weight").mutable_data<float>();
  const auto r = xg::randn({3}).to_vector<float>();
  std::copy(r.begin(), r.end(), head.begin());
  auto scale = state.at("scale").mutable_data<double>();
  scale[0] = -std::numeric_limits<double>::infinity();
  scale[1] = std::numeric_limits<double>::denorm_min();
  scale[2] = std::bit_cast<double>(0x7ff8000000abcdefull);
  scale[3] = 0.1;
  state.at("temperature").mutable_data<double>()[0] = std::exp(1.0);
  auto steps = state.at("steps").mutable_data<std::int64_t>();
  steps[0] = std::numeric_limits<std::int64_t>::min();
  steps[1] = std::numeric_limits<std::int64_t>::max();
  steps[2] = (std::int64_t{1} << 53) + 1;  // not representable as a double
}

// Runs a script that sits next to this file; returns its exit status. (Not __FILE__: a
// compiler launcher such as ccache may make it relative to the build directory.)
int run_script(const char* script, const fs::path& arg) {
  const fs::path path = fs::path(XGRAD_TEST_SOURCE_DIR) / script;
  REQUIRE_MESSAGE(fs::exists(path), "missing test script " << path);
  const std::string cmd = "/usr/bin/python3 '" + path.string() + "' '" + arg.string() + "'";
  const int status = std::system(cmd.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace

TEST_CASE("serialize: a model round-trips bit for bit (f32, f64, i64 buffer, 0-d)") {
  TempDir dir;
  Net a;
  fill_special(a);
  const fs::path file = dir.path / "model.safetensors";
  xg::nn::save(a, file, {{"epoch", "3"}});

  Net b;
  REQUIRE(xg::test::snapshot(b) != xg::test::snapshot(a));
  xg::nn::load(b, file);
  CHECK(xg::test::snapshot(b) == xg::test::snapshot(a));
  // Loading copies values into the existing parameters: dtypes, leafness and
  // requires_grad are the model's own.
  for (const auto& [name, p] : b.named_parameters()) {
    INFO(name);
    CHECK(p.is_leaf());
    CHECK(p.requires_grad());
  }
  CHECK(b.state_dict().at("steps").dtype() == xg::i64);

  // The file's layout: u64 header length (a multiple of 8), then JSON padded with spaces.
  const std::string bytes = xg::test::read_file(file);
  std::uint64_t n = 0;
  for (int i = 0; i < 8; ++i) n |= std::uint64_t(static_cast<unsigned char>(bytes[i])) << (8 * i);
  CHECK(n % 8 == 0);
  CHECK(bytes[8] == '{');
  const auto file_meta = xg::nn::load_tensor_file(file).metadata;
  CHECK(file_meta.at("epoch") == "3");
  CHECK(file_meta.at("xgrad_version") == xg::version());
  CHECK(file_meta.at("crc32").size() == 8);
  CHECK(file_meta.at("crc32_header").size() == 8);
  // Data: 8-byte dtypes first (the reference implementation's order), so they are aligned.
  const auto data_start = 8 + n;
  CHECK(data_start % 8 == 0);
  CHECK(bytes.size() == data_start + (6 + 3) * 4 + (4 + 1 + 3) * 8);
}

TEST_CASE("serialize: state_dict round-trips through save_tensors / load_tensors") {
  TempDir dir;
  Net a;
  fill_special(a);
  xg::nn::StateDict state = a.state_dict();
  state["extra.empty"] = xg::zeros({0, 3});  // zero elements
  state["extra.big"] = xg::uniform({17, 5}, -3, 3, {.dtype = xg::f64});
  const fs::path file = dir.path / "state.safetensors";
  xg::nn::save_tensors(state, file);

  const auto loaded = xg::nn::load_tensors(file);
  CHECK(xg::test::snapshot(loaded) == xg::test::snapshot(state));
  // New tensors, not aliases of the file's source.
  CHECK(loaded.at("scale").impl() != state.at("scale").impl());
  CHECK_FALSE(loaded.at("scale").requires_grad());

  // ... and into a fresh model through load_state_dict.
  Net b;
  auto model_part = loaded;
  model_part.erase("extra.empty");
  model_part.erase("extra.big");
  b.load_state_dict(model_part);
  CHECK(xg::test::snapshot(b) == xg::test::snapshot(a));

  // An empty map is a valid (tiny) file.
  xg::nn::save_tensors({}, dir.path / "empty.safetensors");
  CHECK(xg::nn::load_tensors(dir.path / "empty.safetensors").empty());
}

TEST_CASE("serialize: a saved f64 model loads into an f32 one (values converted)") {
  TempDir dir;
  Net a;
  xg::test::fill_formula(a);
  a.to(xg::f64);
  xg::nn::save(a, dir.path / "m.safetensors");
  Net b;  // f32
  xg::nn::load(b, dir.path / "m.safetensors");
  CHECK(b.state_dict().at("body.weight").dtype() == xg::f32);
  Net expected;
  xg::test::fill_formula(expected);
  CHECK(xg::test::snapshot(b) == xg::test::snapshot(expected));
}

TEST_CASE("serialize: save replaces the file atomically and leaves no temporary files") {
  TempDir dir;
  const fs::path file = dir.path / "model.safetensors";
  Net a;
  xg::test::fill_formula(a);
  xg::nn::save(a, file);
  Net b;
  xg::test::fill_constant(b, 5);
  xg::nn::save(b, file);  // over the first
  Net c;
  xg::nn::load(c, file);
  CHECK(xg::test::snapshot(c) == xg::test::snapshot(b));
  int entries = 0;
  for (const auto& e : fs::directory_iterator(dir.path)) {
    ++entries;
    CHECK(e.path().filename() == "model.safetensors");
  }
  CHECK(entries == 1);

  // A directory that does not exist: nothing is created.
  xg::test::check_throws<std::system_error>(
      [&] { xg::nn::save(a, dir.path / "no" / "such" / "m.safetensors"); },
      {"save_tensors", "m.safetensors", "No such file or directory"});
  CHECK_FALSE(fs::exists(dir.path / "no"));
}

TEST_CASE("serialize: a save that fails half-way keeps the previous file intact") {
  TempDir dir;
  const fs::path file = dir.path / "model.safetensors";
  Net a;
  xg::test::fill_formula(a);
  xg::nn::save(a, file);
  const std::string old_bytes = xg::test::read_file(file);

  // A state too large for the file-size limit set below: the write fails part-way
  // (EFBIG), as it would on a full disk.
  xg::nn::StateDict big = xg::test::deep_copy(a.state_dict());
  big["huge"] = xg::zeros({4096});
  bool threw = false;
  std::string what;
  xg::test::with_file_size_limit(4096, [&] {
    try {
      xg::nn::save_tensors(big, file);
    } catch (const std::system_error& e) {
      threw = true;
      what = e.what();
    }
  });

  CHECK(threw);
  CHECK(what.find("save_tensors: cannot write") != std::string::npos);
  CHECK(what.find("model.safetensors") != std::string::npos);
  CHECK(xg::test::read_file(file) == old_bytes);  // the old model, untouched
  int entries = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir.path)) ++entries;
  CHECK(entries == 1);  // the temporary file was removed
  Net b;
  xg::nn::load(b, file);
  CHECK(xg::test::snapshot(b) == xg::test::snapshot(a));
}

TEST_CASE("serialize: load errors name the file; a mismatched file leaves the model unchanged") {
  TempDir dir;
  Net net;
  xg::test::fill_constant(net, 2);
  const auto before = xg::test::snapshot(net);

  // I/O errors are std::system_error (a std::runtime_error), not FormatError.
  xg::test::check_throws<std::system_error>(
      [&] { xg::nn::load(net, dir.path / "missing.safetensors"); },
      {"load_tensors", "missing.safetensors", "No such file or directory"});
  xg::test::check_throws<std::system_error>([&] { xg::nn::load(net, dir.path); },
                                            {"load_tensors", "Is a directory"});

  // A valid file for another model: strict key and shape checks, nothing copied.
  const fs::path other = dir.path / "other.safetensors";
  auto state = xg::test::deep_copy(net.state_dict());
  xg::test::fill_formula(state.at("scale"));
  state["body.bias"] = xg::zeros({3});
  xg::nn::save_tensors(state, other);
  xg::test::check_throws<xg::ValueError>(
      [&] { xg::nn::load(net, other); },
      {"other.safetensors", "does not fit the model", "unexpected key \"body.bias\""});
  CHECK(xg::test::snapshot(net) == before);

  state.erase("body.bias");
  state.erase("steps");
  xg::nn::save_tensors(state, other);
  xg::test::check_throws<xg::ValueError>([&] { xg::nn::load(net, other); },
                                         {"other.safetensors", "missing key \"steps\""});
  CHECK(xg::test::snapshot(net) == before);

  state["steps"] = xg::tensor_i64({1, 2, 3, 4}, {2, 2});
  xg::nn::save_tensors(state, other);
  xg::test::check_throws<xg::ShapeError>([&] { xg::nn::load(net, other); },
                                         {"other.safetensors", "steps", "(3)", "(2, 2)"});
  CHECK(xg::test::snapshot(net) == before);

  // Non-strict: loads what matches (everything but the misshapen key is still checked).
  state.erase("steps");
  xg::nn::save_tensors(state, other);
  xg::nn::load(net, other, /*strict=*/false);
  CHECK(xg::test::snapshot(net) != before);
  CHECK(net.state_dict().at("scale").to_vector<double>()[1] == doctest::Approx(-0.9));
}

TEST_CASE("serialize: every truncation and every single-bit flip of a model file is rejected") {
  TempDir dir;
  Net source;
  xg::test::fill_formula(source);
  const fs::path good = dir.path / "model.safetensors";
  xg::nn::save(source, good, {{"note", "corruption test"}});
  const std::string bytes = xg::test::read_file(good);
  const auto expected = xg::test::snapshot(source);
  // Loads go into a model whose values differ from the file's, so a partial copy shows.
  Net target;
  xg::test::fill_constant(target, 7);
  const auto before = xg::test::snapshot(target);
  const auto restore = xg::test::deep_copy(target.state_dict());
  int attempt = 0;

  enum Outcome { kRejected, kEquivalent, kWrong };
  int failures_shown = 0;
  auto try_load = [&](const std::string& content, const std::string& what) {
    // A new file each time: ext4 flushes a file truncated and rewritten in place to disk
    // on close, which made this test take 20 s instead of 1.
    const fs::path bad = dir.path / ("bad" + std::to_string(attempt++) + ".safetensors");
    xg::test::write_file(bad, content);
    Outcome outcome = kWrong;
    std::string why;
    try {
      xg::nn::load(target, bad);
      // It loaded: then it must at least hold exactly the original values.
      outcome = xg::test::snapshot(target) == expected ? kEquivalent : kWrong;
      why = "loaded different values";
      target.load_state_dict(restore);
    } catch (const xg::FormatError&) {
      outcome = xg::test::snapshot(target) == before ? kRejected : kWrong;
      why = "the model changed before the FormatError";
    } catch (const std::exception& e) {
      why = std::string("threw something else than FormatError: ") + e.what();
    }
    if (outcome == kWrong && failures_shown++ < 10) FAIL_CHECK(what << ": " << why);
    fs::remove(bad);
    return outcome;
  };

  int truncations = 0, truncations_rejected = 0;
  for (std::size_t len = 0; len < bytes.size(); ++len) {
    ++truncations;
    truncations_rejected +=
        try_load(bytes.substr(0, len), "truncated at " + std::to_string(len)) == kRejected;
  }
  int flips = 0, flips_rejected = 0, flips_equivalent = 0;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string flipped = bytes;
      flipped[i] = static_cast<char>(flipped[i] ^ (1 << bit));
      ++flips;
      const Outcome o =
          try_load(flipped, "bit " + std::to_string(bit) + " of byte " + std::to_string(i));
      flips_rejected += o == kRejected;
      flips_equivalent += o == kEquivalent;
    }
  }
  MESSAGE("corruption test on a " << bytes.size() << "-byte model file: " << truncations
                                  << " truncations, " << truncations_rejected << " rejected; "
                                  << flips << " single-bit flips, " << flips_rejected
                                  << " rejected with FormatError, " << flips_equivalent
                                  << " loaded (values identical)");
  CHECK(truncations == static_cast<int>(bytes.size()));
  CHECK(truncations_rejected == truncations);
  CHECK(flips == 8 * static_cast<int>(bytes.size()));
  CHECK(flips_rejected + flips_equivalent == flips);
  // The CRCs cover the data and the whole header (metadata included), and the padding
  // accepts only spaces: no single flip leaves a file that loads.
  CHECK(flips_equivalent == 0);
  // The original still loads.
  xg::nn::load(target, good);
  CHECK(xg::test::snapshot(target) == expected);
}

TEST_CASE("serialize: reads safetensors files written by a NumPy-only script") {
  if (!xg::test::python_can_import("numpy")) {
    MESSAGE(
        "skipped: /usr/bin/python3 with numpy is not available (apt-get install python3-numpy)");
    return;
  }
  TempDir dir;
  REQUIRE(run_script("write_safetensors_numpy.py", dir.path) == 0);
  Net expected;
  xg::test::fill_formula(expected);
  for (const char* name : {"numpy_padded.safetensors", "numpy_unpadded.safetensors"}) {
    INFO(name);
    const auto file = xg::nn::load_tensor_file(dir.path / name);
    CHECK(file.metadata == xg::nn::Metadata{{"writer", "numpy"}});
    CHECK(xg::test::snapshot(file.tensors) == xg::test::snapshot(expected));
    Net net;
    xg::nn::load(net, dir.path / name);
    CHECK(xg::test::snapshot(net) == xg::test::snapshot(expected));
  }
}

TEST_CASE("serialize: a NumPy-only script reads the files we write") {
  if (!xg::test::python_can_import("numpy")) {
    MESSAGE(
        "skipped: /usr/bin/python3 with numpy is not available (apt-get install python3-numpy)");
    return;
  }
  TempDir dir;
  Net net;
  xg::test::fill_formula(net);
  xg::nn::save(net, dir.path / "net.safetensors", {{"note", "from xgrad"}});
  CHECK(run_script("read_safetensors_numpy.py", dir.path / "net.safetensors") == 0);

  // More shapes and dtypes, including zero elements and a non-ASCII name.
  auto state = xg::test::deep_copy(net.state_dict());
  state["extra.empty"] = xg::zeros({0, 3});
  state["extra.matrix"] = xg::zeros({5, 7}, {.dtype = xg::f64});
  state["extra.labels"] = xg::tensor_i64({0, 0, 0, 0, 0}, {5, 1});
  state["gewicht.\xc3\xa4"] = xg::zeros({2});  // "gewicht.ä"
  for (auto& [name, t] : state) xg::test::fill_formula(t);
  xg::nn::save_tensors(state, dir.path / "more.safetensors");
  CHECK(run_script("read_safetensors_numpy.py", dir.path / "more.safetensors") == 0);
}
