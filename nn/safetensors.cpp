// The safetensors reader (format and contract in safetensors.hpp; the writer is in
// safetensors_write.cpp).
//
// Note [untrusted model files]
// A model file may be truncated, corrupted on disk or crafted. The reader therefore
// checks everything before it allocates or copies anything that the file asks for: the
// header length against the file size and a 100 MB cap, the JSON (parsed in one pass,
// rejecting duplicate keys, nesting deeper than the format has and more entries or
// dimensions than kSafetensorsMaxTensors and kSafetensorsMaxDims: Note [parsing the
// header in one pass]), every entry's dtype, shape and offsets with overflow-checked
// arithmetic, and that the entries tile the data section exactly. Only then does it
// allocate tensors (whose total size is now bounded by the file size) and read the data
// into them, front to back, computing the CRC32 on the way. Any failure throws
// FormatError with the file, the tensor and the byte offset; nothing escapes half-built.
#include "nn/safetensors.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>
#include <optional>
#include <system_error>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "autograd/function.hpp"
#include "nn/detail/safetensors_util.hpp"

namespace xg::nn {
namespace {

using json = nlohmann::json;
namespace fs = std::filesystem;
using namespace detail;  // NOLINT: the shared helpers of nn/detail/safetensors_util.hpp

// ---- small helpers --------------------------------------------------------------------

std::optional<Dtype> parse_dtype(const std::string& s) {
  if (s == "F32") return Dtype::f32;
  if (s == "F64") return Dtype::f64;
  if (s == "I64") return Dtype::i64;
  return std::nullopt;
}

// A JSON value in a message, cut short like a name.
std::string shown(const json& v) {
  std::string text = v.dump(-1, ' ', false, json::error_handler_t::replace);
  if (text.size() > 120) text = text.substr(0, 120) + "...";
  return text;
}

// Exactly 8 lowercase hex digits, as written by hex8. (Not upper case too: then a flipped
// case bit in crc32_header, which its own CRC cannot cover, would go unnoticed.)
std::optional<std::uint32_t> parse_hex8(const std::string& s) {
  if (s.size() != 8) return std::nullopt;
  std::uint32_t v = 0;
  for (char c : s) {
    int d;
    if (c >= '0' && c <= '9')
      d = c - '0';
    else if (c >= 'a' && c <= 'f')
      d = c - 'a' + 10;
    else
      return std::nullopt;
    v = (v << 4) | static_cast<std::uint32_t>(d);
  }
  return v;
}

// ---- errors ---------------------------------------------------------------------------

[[noreturn]] void format_error(const fs::path& path, const std::string* tensor,
                               std::uint64_t offset, const std::string& what) {
  std::string msg = "load_tensors: " + quoted(path.string());
  if (tensor != nullptr) msg += ": tensor " + quoted(*tensor);
  msg += ": at byte " + std::to_string(offset) + ": " + what;
  throw FormatError(msg);
}

// Closes a file descriptor on every path out.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

// ---- reading --------------------------------------------------------------------------

// Reads exactly n bytes at offset; a file that ends early is a FormatError (it shrank
// while we read it), a failing read a system_error.
void read_exact(int fd, const fs::path& path, std::uint64_t offset, void* dst, std::uint64_t n) {
  auto* p = static_cast<char*>(dst);
  while (n > 0) {
    const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(n, 1u << 30));
    const ssize_t r = ::pread(fd, p, want, static_cast<off_t>(offset));
    if (r < 0) {
      if (errno == EINTR) continue;
      io_error("load_tensors", "read", path, errno);
    }
    if (r == 0) format_error(path, nullptr, offset, "the file ended early (it shrank while read)");
    p += r;
    offset += static_cast<std::uint64_t>(r);
    n -= static_cast<std::uint64_t>(r);
  }
}

// Reads a section of the file front to back, through a buffer of up to 1 MB, so that
// 100,000 small tensors do not cost a system call each; large reads go straight to their
// destination.
class DataReader {
 public:
  DataReader(int fd, const fs::path& path, std::uint64_t offset, std::uint64_t size)
      : fd_(fd), path_(path), offset_(offset), left_(size) {}

  void read(void* dst, std::uint64_t n) {
    auto* p = static_cast<char*>(dst);
    while (n > 0) {
      if (at_ == buffer_.size() && n >= kBuffer) {  // nothing buffered, and a large read
        read_exact(fd_, path_, offset_, p, n);
        offset_ += n;
        left_ -= n;
        return;
      }
      if (at_ == buffer_.size()) {
        buffer_.resize(static_cast<std::size_t>(std::min(left_, kBuffer)));
        read_exact(fd_, path_, offset_, buffer_.data(), buffer_.size());
        offset_ += buffer_.size();
        left_ -= buffer_.size();
        at_ = 0;
      }
      const auto take = static_cast<std::size_t>(std::min<std::uint64_t>(n, buffer_.size() - at_));
      std::memcpy(p, buffer_.data() + at_, take);
      at_ += take;
      p += take;
      n -= take;
    }
  }

 private:
  static constexpr std::uint64_t kBuffer = std::uint64_t{1} << 20;
  int fd_;
  const fs::path& path_;
  std::uint64_t offset_, left_;  // the next byte to read from the file, and how many remain
  std::vector<char> buffer_;
  std::size_t at_ = 0;  // the next buffered byte
};

// Thrown by the header parser; turned into a FormatError once parsing stopped.
struct StructureError {
  std::string what;
};

// Note [parsing the header in one pass]
// The header is parsed by a SAX handler that builds the JSON value itself, in one pass
// (nlohmann's callback parser rescans the enclosing object at the end of every object,
// quadratic in the number of entries: 100,000 took more than 90 s). On the way it rejects
// duplicate keys (nlohmann would silently keep the last one), containers nested deeper
// than the format's {name: {field: [numbers]}} (a 100 MB "[[[[..." would otherwise take
// gigabytes), more than kSafetensorsMaxTensors entries (and metadata entries), more than
// kSafetensorsMaxDims dimensions in all shapes together, and entries or arrays far larger
// than the format's, so that what it builds stays within what a valid header at the limits
// takes (a 98 MB header of one 49-million-value array took 1.9 GB).
class HeaderParser final : public json::json_sax_t {
 public:
  explicit HeaderParser(json& root) : root_(root) {}

  bool null() override { return add(json(nullptr)); }
  bool boolean(bool v) override { return add(json(v)); }
  bool number_integer(json::number_integer_t v) override { return add(json(v)); }
  bool number_unsigned(json::number_unsigned_t v) override { return add(json(v)); }
  bool number_float(json::number_float_t v, const json::string_t&) override { return add(json(v)); }
  bool string(json::string_t& v) override { return add(json(std::move(v))); }
  bool binary(json::binary_t& v) override { return add(json(std::move(v))); }

  bool start_object(std::size_t) override {
    if (open_.size() > 1) throw StructureError{"objects are nested deeper than the format allows"};
    open_.push_back(&add_value(json::object()));
    return true;
  }
  bool key(json::string_t& k) override {
    if (open_.back()->contains(k)) {
      throw StructureError{"the key " + detail::quoted(k) + " appears twice in one object"};
    }
    if (open_.size() == 1) {
      if (k != kMetadataKey && ++tensors_ > kSafetensorsMaxTensors) {
        throw StructureError{"the header holds more than " +
                             std::to_string(kSafetensorsMaxTensors) + " tensor entries"};
      }
      entry_ = k;
    } else if (entry_ == kMetadataKey && open_.back()->size() >= kSafetensorsMaxTensors) {
      throw StructureError{"\"__metadata__\" holds more than " +
                           std::to_string(kSafetensorsMaxTensors) + " entries"};
    } else if (entry_ != kMetadataKey && open_.back()->size() > kFields) {
      throw StructureError{"the entry of tensor " + detail::quoted(entry_) + " has more than " +
                           std::to_string(kFields + 1) + " fields"};
    }
    key_ = std::move(k);
    return true;
  }
  bool end_object() override {
    open_.pop_back();
    return true;
  }
  bool start_array(std::size_t) override {
    if (open_.size() > 2) throw StructureError{"arrays are nested deeper than the format allows"};
    in_shape_ = open_.size() == 2 && key_ == "shape";
    open_.push_back(&add_value(json::array()));
    return true;
  }
  bool end_array() override {
    open_.pop_back();
    in_shape_ = false;
    return true;
  }
  bool parse_error(std::size_t position, const std::string&,
                   const nlohmann::detail::exception& e) override {
    error_at = position;
    error = e.what();
    return false;
  }

  // Set when the text is not JSON: the position (1-based) and nlohmann's message.
  std::size_t error_at = 0;
  std::string error;

 private:
  bool add(json&& v) {
    add_value(std::move(v));
    return true;
  }
  json& add_value(json&& v) {
    if (open_.empty()) return root_ = std::move(v);
    json& parent = *open_.back();
    if (parent.is_object()) return parent[key_] = std::move(v);
    if (in_shape_ && ++dims_ > kSafetensorsMaxDims) {
      throw StructureError{"the shapes in the header have more than " +
                           std::to_string(kSafetensorsMaxDims) + " dimensions in total"};
    }
    if (!in_shape_ && parent.size() >= kArrayValues) {
      throw StructureError{"an array in the header (tensor " + detail::quoted(entry_) + ", " +
                           detail::quoted(key_) + ") holds more than " +
                           std::to_string(kArrayValues) + " values"};
    }
    parent.push_back(std::move(v));
    return parent.back();
  }

  // A tensor's entry has 3 fields (one more is read, to be named as unknown); arrays other
  // than shapes hold 2 values (a few more are read, to be shown in the message). With these
  // and the two limits, a header makes the reader hold no more than one at the limits does.
  static constexpr std::size_t kFields = 3, kArrayValues = 8;

  json& root_;
  std::vector<json*> open_;  // the objects and arrays being filled, innermost last
  std::string key_;          // the last key read
  std::string entry_;        // the last key of the top-level object: the tensor's name
  bool in_shape_ = false;    // filling a "shape" array
  std::uint64_t tensors_ = 0, dims_ = 0;
};

json parse_header(const fs::path& path, const std::string& text) {
  json root;
  HeaderParser parser(root);
  try {
    if (!json::sax_parse(text, &parser)) {
      const std::uint64_t at = kLengthBytes + (parser.error_at > 0 ? parser.error_at - 1 : 0);
      format_error(path, nullptr, at, "the header is not valid JSON: " + parser.error);
    }
  } catch (const StructureError& e) {
    format_error(path, nullptr, kLengthBytes, "invalid header: " + e.what);
  }
  return root;
}

// One tensor's header entry, validated.
struct Entry {
  std::string name;
  Dtype dtype = Dtype::f32;
  Shape shape;
  std::uint64_t begin = 0, end = 0;  // relative to the data section
};

// A non-negative integer that fits in int64 (JSON "-0" included), or nullopt.
std::optional<std::int64_t> as_size(const json& v) {
  if (v.is_number_unsigned()) {
    const auto u = v.get<std::uint64_t>();
    if (u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) return {};
    return static_cast<std::int64_t>(u);
  }
  if (v.is_number_integer() && v.get<std::int64_t>() >= 0) return v.get<std::int64_t>();
  return std::nullopt;
}

Entry parse_entry(const fs::path& path, const std::string& name, const json& value,
                  std::uint64_t data_start, std::uint64_t data_size) {
  const std::string* t = &name;
  const std::uint64_t header_at = kLengthBytes;
  if (!value.is_object()) {
    format_error(
        path, t, header_at,
        std::string("its header entry is a JSON ") + value.type_name() + ", not an object");
  }
  for (const auto& [field, v] : value.items()) {
    if (field != "dtype" && field != "shape" && field != "data_offsets") {
      format_error(path, t, header_at, "unknown field " + quoted(field) + " in its header entry");
    }
  }
  for (const char* field : {"dtype", "shape", "data_offsets"}) {
    if (!value.contains(field)) {
      format_error(path, t, header_at, std::string("its header entry has no \"") + field + '"');
    }
  }
  Entry e;
  e.name = name;

  const json& dtype = value["dtype"];
  if (!dtype.is_string()) {
    format_error(path, t, header_at, "\"dtype\" is " + shown(dtype) + ", not a string");
  }
  const auto parsed = parse_dtype(dtype.get<std::string>());
  if (!parsed) {
    format_error(path, t, header_at,
                 "dtype " + quoted(dtype.get<std::string>()) +
                     " is not supported (xgrad reads F32, F64 and I64)");
  }
  e.dtype = *parsed;

  const json& shape = value["shape"];
  if (!shape.is_array()) {
    format_error(path, t, header_at, "\"shape\" is " + shown(shape) + ", not an array");
  }
  // numel with the same running product as autograd::shape_numel, checked for overflow at
  // every step so that the tensor we create can be sized without overflow either.
  std::int64_t numel = 1;
  for (std::size_t i = 0; i < shape.size(); ++i) {
    const auto dim = as_size(shape[i]);
    if (!dim) {
      format_error(path, t, header_at,
                   "shape entry " + std::to_string(i) + " is " + shown(shape[i]) +
                       "; dimensions are non-negative integers");
    }
    e.shape.push_back(*dim);
    if (__builtin_mul_overflow(numel, *dim, &numel)) {
      format_error(path, t, header_at, "shape " + shown(shape) + " has too many elements");
    }
  }
  if (!autograd::valid_shape(e.shape)) {  // (0, 2^62, 2^62): no element, but its strides overflow
    format_error(path, t, header_at,
                 "shape " + shown(shape) + " has sizes whose product does not fit in 64 bits");
  }
  std::uint64_t nbytes = 0;
  if (__builtin_mul_overflow(static_cast<std::uint64_t>(numel), dtype_size(e.dtype), &nbytes)) {
    format_error(path, t, header_at, "shape " + shown(shape) + " has too many elements");
  }

  const json& offsets = value["data_offsets"];
  if (!offsets.is_array() || offsets.size() != 2 || !as_size(offsets[0]) || !as_size(offsets[1])) {
    format_error(path, t, header_at,
                 "\"data_offsets\" is " + shown(offsets) + ", not two non-negative integers");
  }
  e.begin = static_cast<std::uint64_t>(*as_size(offsets[0]));
  e.end = static_cast<std::uint64_t>(*as_size(offsets[1]));
  // From here on the tensor has a place in the file to point at (when it lies inside it).
  const std::uint64_t at = e.begin <= data_size ? data_start + e.begin : header_at;
  if (e.begin > e.end) {
    format_error(path, t, at, "data_offsets " + shown(offsets) + " begin after they end");
  }
  if (e.end - e.begin != nbytes) {
    format_error(path, t, at,
                 "data_offsets " + shown(offsets) + " hold " + std::to_string(e.end - e.begin) +
                     " bytes, but " + format_dtype(e.dtype) + ' ' + shape_str(e.shape) + " takes " +
                     std::to_string(nbytes));
  }
  return e;
}

// Checks that the entries, sorted by offset, tile [0, data_size) with no gap or overlap.
void check_layout(const fs::path& path, std::vector<Entry>& entries, std::uint64_t data_start,
                  std::uint64_t data_size) {
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return std::tie(a.begin, a.end) < std::tie(b.begin, b.end);
  });
  std::uint64_t expected = 0;  // where the next tensor must begin; <= data_size throughout
  const Entry* previous = nullptr;
  for (const Entry& e : entries) {
    if (e.begin != expected) {
      // (begin < expected can only happen after a previous tensor.)
      const std::string what =
          e.begin < expected ? "overlaps the previous tensor " + quoted(previous->name)
          : previous         ? "leaves a gap after the previous tensor " + quoted(previous->name)
                             : "leaves a gap at the start of the data section";
      format_error(path, &e.name, data_start + expected,
                   what + ": its data begins at offset " + std::to_string(e.begin) +
                       " of the data section, expected " + std::to_string(expected));
    }
    if (e.end > data_size) {
      format_error(path, &e.name, data_start + e.begin,
                   "its data ends at offset " + std::to_string(e.end) +
                       ", past the end of the data section (" + std::to_string(data_size) +
                       " bytes)");
    }
    expected = e.end;
    previous = &e;
  }
  if (expected != data_size) {
    format_error(path, nullptr, data_start + expected,
                 std::to_string(data_size - expected) +
                     " bytes follow the last tensor's data; the header does not describe them");
  }
}

std::optional<std::uint32_t> recorded_crc(const fs::path& path, const Metadata& metadata,
                                          const char* key) {
  const auto it = metadata.find(key);
  if (it == metadata.end()) return std::nullopt;
  const auto v = parse_hex8(it->second);
  if (!v) {
    format_error(path, nullptr, kLengthBytes,
                 std::string("metadata \"") + key + "\" is " + quoted(it->second) +
                     ", not 8 lowercase hex digits");
  }
  return v;
}

}  // namespace

TensorFile load_tensor_file(const std::string& path_string) {
  const fs::path path(path_string);
  // O_NONBLOCK: opening a FIFO must not wait for a writer (it is refused just below).
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
  if (fd.get() < 0) io_error("load_tensors", "open", path, errno);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) io_error("load_tensors", "stat", path, errno);
  if (S_ISDIR(st.st_mode)) io_error("load_tensors", "read", path, EISDIR);
  if (!S_ISREG(st.st_mode)) format_error(path, nullptr, 0, "not a regular file");
  const auto file_size = static_cast<std::uint64_t>(st.st_size);

  // ---- the header length and the header ----
  if (file_size < kLengthBytes) {
    format_error(path, nullptr, 0,
                 "the file is " + std::to_string(file_size) +
                     " bytes long; a safetensors file starts with an 8-byte header length");
  }
  unsigned char length[kLengthBytes];
  read_exact(fd.get(), path, 0, length, kLengthBytes);
  std::uint64_t header_size = 0;
  for (std::size_t i = 0; i < kLengthBytes; ++i) {
    header_size |= static_cast<std::uint64_t>(length[i]) << (8 * i);
  }
  if (header_size > kSafetensorsMaxHeader) {
    format_error(path, nullptr, 0,
                 "header length " + std::to_string(header_size) + " exceeds the limit of " +
                     std::to_string(kSafetensorsMaxHeader) + " bytes");
  }
  if (header_size > file_size - kLengthBytes) {
    format_error(path, nullptr, 0,
                 "header length " + std::to_string(header_size) + " runs past the end of the " +
                     std::to_string(file_size) + "-byte file");
  }
  std::string text(header_size, '\0');
  read_exact(fd.get(), path, kLengthBytes, text.data(), header_size);
  // The reference implementation insists on this too; it also rules out a JSON header
  // that is not an object.
  if (text.empty() || text[0] != '{') {
    format_error(path, nullptr, kLengthBytes, "the header does not start with '{'");
  }
  // nlohmann's lexer takes a NUL byte for the end of the input and would ignore whatever
  // follows it; JSON allows no raw NUL anywhere (not even in strings), so reject it here.
  if (const auto nul = text.find('\0'); nul != std::string::npos) {
    format_error(path, nullptr, kLengthBytes + nul, "the header contains a NUL byte");
  }
  json root = parse_header(path, text);
  if (!root.is_object()) format_error(path, nullptr, kLengthBytes, "the header is not an object");

  const std::uint64_t data_start = kLengthBytes + header_size;
  const std::uint64_t data_size = file_size - data_start;

  // ---- metadata and entries ----
  TensorFile out;
  if (auto it = root.find(kMetadataKey); it != root.end()) {
    if (!it->is_object()) {
      format_error(
          path, nullptr, kLengthBytes,
          "\"__metadata__\" is a JSON " + std::string(it->type_name()) + ", not an object");
    }
    for (const auto& [key, value] : it->items()) {
      if (!value.is_string()) {
        format_error(path, nullptr, kLengthBytes,
                     "metadata " + quoted(key) + " is " + shown(value) + ", not a string");
      }
      out.metadata[key] = value.get<std::string>();
    }
  }
  std::vector<Entry> entries;
  entries.reserve(root.size());
  for (const auto& [name, value] : root.items()) {
    if (name != kMetadataKey)
      entries.push_back(parse_entry(path, name, value, data_start, data_size));
  }
  check_layout(path, entries, data_start, data_size);

  // Our own files always carry both CRCs: a flipped bit in a CRC's key must not switch
  // its check off. (Files from other tools record no xgrad_version and no CRC.)
  if (out.metadata.count(kVersionKey) != 0) {
    for (const char* key : {kDataCrcKey, kHeaderCrcKey}) {
      if (out.metadata.count(key) == 0) {
        format_error(path, nullptr, kLengthBytes,
                     std::string("the metadata records \"xgrad_version\" but no \"") + key +
                         "\": the header is corrupt");
      }
    }
  }
  if (const auto crc = recorded_crc(path, out.metadata, kHeaderCrcKey)) {
    root[kMetadataKey].erase(kHeaderCrcKey);  // the CRC covers the header but itself
    const std::uint32_t actual = crc_of(root.dump());
    if (actual != *crc) {
      format_error(path, nullptr, kLengthBytes,
                   "the header does not match its CRC32 (recorded " + hex8(*crc) + ", computed " +
                       hex8(actual) + "): the header is corrupt");
    }
  }
  const auto data_crc = recorded_crc(path, out.metadata, kDataCrcKey);
  root = json();  // the tensors below reuse its memory (a million entries take ~500 MB)

  // ---- the data: sizes are now known to add up to the file's, so allocating is safe ----
  auto crc = static_cast<std::uint32_t>(::crc32(0, nullptr, 0));
  DataReader data(fd.get(), path, data_start, data_size);
  for (const Entry& e : entries) {  // sorted by offset, they tile the data section
    Tensor t = xg::empty(e.shape, {.dtype = e.dtype});
    const std::uint64_t n = e.end - e.begin;
    void* dst = t.data_ptr();
    data.read(dst, n);
    if (data_crc) crc = crc_update(crc, dst, n);
    out.tensors.emplace(e.name, std::move(t));
  }
  if (data_crc && crc != *data_crc) {
    format_error(path, nullptr, data_start,
                 "the data section (" + std::to_string(data_size) +
                     " bytes) does not match its CRC32 (recorded " + hex8(*data_crc) +
                     ", computed " + hex8(crc) + "): the data is corrupt");
  }
  return out;
}

TensorMap load_tensors(const std::string& path) { return load_tensor_file(path).tensors; }

}  // namespace xg::nn
