// IDX decoding. The whole file is read (and, if gzip'd, inflated) into memory first and
// then parsed from a byte span: one code path for files and for in-memory input (tests,
// the fuzzer), and every size check is a comparison against a known length.
#include "data/idx.hpp"

#include <zlib.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <limits>
#include <system_error>
#include <vector>

#include "autograd/function.hpp"
#include "data/detail/files.hpp"

namespace xg::data {

namespace {

std::string hex_byte(std::uint8_t b) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%02X", b);
  return buf;
}

[[noreturn]] void fail(const std::string& name, std::uint64_t offset, const std::string& what) {
  throw FormatError(name + ": offset " + std::to_string(offset) + ": " + what);
}

bool is_gzip(std::span<const std::uint8_t> bytes) {
  return bytes.size() >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b;
}

// Inflates every gzip member of `in` into a buffer of at most max_bytes.
// Note [gzip members]
// gzip allows several members back to back (`cat a.gz b.gz` is valid and gunzip joins
// them), so after the end of one stream another may start. Anything else after a member
// is an error: a reader that ignored it would accept a file that is not what it claims.
std::vector<std::uint8_t> gunzip(std::span<const std::uint8_t> in, const std::string& name,
                                 std::uint64_t max_bytes) {
  std::vector<std::uint8_t> out;
  // The gzip trailer holds the size mod 2^32: a hint for the first allocation only,
  // never trusted beyond the cap.
  if (in.size() >= 18) {
    const std::uint8_t* t = in.data() + in.size() - 4;
    const std::uint64_t hint = std::uint64_t{t[0]} | (std::uint64_t{t[1]} << 8) |
                               (std::uint64_t{t[2]} << 16) | (std::uint64_t{t[3]} << 24);
    out.reserve(static_cast<std::size_t>(std::min<std::uint64_t>(hint, max_bytes)) + 1);
  }
  z_stream zs{};
  // 16 + MAX_WBITS: gzip wrapper only (a zlib or raw deflate stream is not a .gz file).
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) {
    throw std::runtime_error(name + ": cannot initialise zlib");
  }
  struct Guard {
    z_stream* z;
    ~Guard() { inflateEnd(z); }
  } guard{&zs};

  std::size_t in_pos = 0;  // start of the current member in `in`
  std::size_t produced = 0;
  zs.next_in = const_cast<Bytef*>(in.data());
  zs.avail_in = 0;
  for (;;) {
    // zlib counts in uInt: feed the input in chunks it can hold.
    if (zs.avail_in == 0) {
      const std::size_t consumed = static_cast<std::size_t>(zs.next_in - in.data());
      const std::size_t left = in.size() - consumed;
      zs.avail_in = static_cast<uInt>(std::min<std::size_t>(left, 1u << 30));
    }
    if (out.size() - produced < 65536) {
      const std::size_t grow = std::max<std::size_t>(out.size(), 1u << 16);
      out.resize(static_cast<std::size_t>(
          std::min<std::uint64_t>(std::uint64_t{out.size()} + grow, max_bytes + 1)));
    }
    zs.next_out = out.data() + produced;
    zs.avail_out = static_cast<uInt>(std::min<std::size_t>(out.size() - produced, 1u << 30));
    const uInt avail_before = zs.avail_out;
    const int rc = inflate(&zs, Z_NO_FLUSH);
    produced += avail_before - zs.avail_out;
    const std::size_t consumed = static_cast<std::size_t>(zs.next_in - in.data());
    if (produced > max_bytes) {
      fail(name, max_bytes,
           "decompresses to more than " + std::to_string(max_bytes) +
               " bytes (the limit; raise IdxOptions::max_bytes if the file is genuine)");
    }
    if (rc == Z_STREAM_END) {
      if (consumed == in.size()) break;
      if (!is_gzip(in.subspan(consumed))) {
        throw FormatError(name + ": offset " + std::to_string(consumed) + ": " +
                          std::to_string(in.size() - consumed) +
                          " trailing bytes after the gzip data");
      }
      in_pos = consumed;
      if (inflateReset(&zs) != Z_OK) throw std::runtime_error(name + ": zlib reset failed");
      continue;
    }
    if (rc == Z_BUF_ERROR && consumed == in.size() && zs.avail_out != 0) {
      throw FormatError(name + ": offset " + std::to_string(in.size()) +
                        " (compressed): gzip data truncated (the stream starting at offset " +
                        std::to_string(in_pos) + " does not end)");
    }
    if (rc != Z_OK && rc != Z_BUF_ERROR) {
      throw FormatError(name + ": offset " + std::to_string(consumed) +
                        " (compressed): gzip data corrupt (zlib: " +
                        (zs.msg ? zs.msg : "error " + std::to_string(rc)) + ")");
    }
  }
  out.resize(produced);
  return out;
}

std::size_t element_size(IdxType t) {
  switch (t) {
    case IdxType::u8:
    case IdxType::i8: return 1;
    case IdxType::i16: return 2;
    case IdxType::i32:
    case IdxType::f32: return 4;
    case IdxType::f64: return 8;
  }
  return 1;
}

bool valid_type(std::uint8_t b) {
  return b == 0x08 || b == 0x09 || b == 0x0B || b == 0x0C || b == 0x0D || b == 0x0E;
}

// Big-endian loads (the file's byte order, whatever the machine's).
std::uint32_t load_be32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         std::uint32_t{p[3]};
}
std::uint64_t load_be64(const std::uint8_t* p) {
  return (std::uint64_t{load_be32(p)} << 32) | load_be32(p + 4);
}

// Converts n big-endian elements of `type` at `src` to T, dividing by `divisor` when it
// is not 1 (u8 scaling). Tight loops per source type: this runs over 47 MB of MNIST.
template <class T>
void convert(IdxType type, const std::uint8_t* src, std::size_t n, T* dst, double divisor) {
  switch (type) {
    case IdxType::u8:
      if (divisor != 1.0) {
        const T d = static_cast<T>(divisor);
        for (std::size_t i = 0; i < n; ++i) dst[i] = static_cast<T>(src[i]) / d;
      } else {
        for (std::size_t i = 0; i < n; ++i) dst[i] = static_cast<T>(src[i]);
      }
      return;
    case IdxType::i8:
      for (std::size_t i = 0; i < n; ++i) dst[i] = static_cast<T>(static_cast<std::int8_t>(src[i]));
      return;
    case IdxType::i16:
      for (std::size_t i = 0; i < n; ++i) {
        const auto v = static_cast<std::uint16_t>((src[2 * i] << 8) | src[2 * i + 1]);
        dst[i] = static_cast<T>(static_cast<std::int16_t>(v));
      }
      return;
    case IdxType::i32:
      for (std::size_t i = 0; i < n; ++i) {
        dst[i] = static_cast<T>(static_cast<std::int32_t>(load_be32(src + 4 * i)));
      }
      return;
    case IdxType::f32:
      for (std::size_t i = 0; i < n; ++i) {
        dst[i] = static_cast<T>(std::bit_cast<float>(load_be32(src + 4 * i)));
      }
      return;
    case IdxType::f64:
      for (std::size_t i = 0; i < n; ++i) {
        dst[i] = static_cast<T>(std::bit_cast<double>(load_be64(src + 8 * i)));
      }
      return;
  }
}

IdxArray parse(std::span<const std::uint8_t> b, const std::string& name, const IdxOptions& opts) {
  if (b.size() < 4) {
    fail(name, b.size(),
         "file ends after " + std::to_string(b.size()) +
             " bytes, inside the 4-byte IDX magic number");
  }
  if (b[0] != 0 || b[1] != 0) {
    fail(name, b[0] != 0 ? 0 : 1,
         "not an IDX file: the magic number must start with two zero bytes, got " + hex_byte(b[0]) +
             " " + hex_byte(b[1]));
  }
  if (!valid_type(b[2])) {
    fail(name, 2,
         "unknown IDX type byte " + hex_byte(b[2]) +
             " (expected 0x08 u8, 0x09 i8, 0x0B i16, 0x0C i32, 0x0D f32 or 0x0E f64)");
  }
  const auto type = static_cast<IdxType>(b[2]);
  const unsigned ndim = b[3];
  if (ndim < 1 || ndim > 4) {
    fail(name, 3, "IDX dimension count " + std::to_string(ndim) + " is not in 1..4");
  }
  const std::size_t header = 4 + 4 * std::size_t{ndim};
  if (b.size() < header) {
    fail(name, b.size(),
         "header truncated: " + std::to_string(ndim) + " dimensions need " +
             std::to_string(header) + " header bytes, the file has " + std::to_string(b.size()));
  }
  Shape shape(ndim);
  // Signed, left to right, as Tensor creation counts elements: (2^24, 2^11, 2^28, 0) holds
  // no element but its running product overflows an i64, and empty() would refuse it;
  // (0, 2^32-1, 2^32-1) is checked below.
  std::int64_t numel = 1;
  bool overflow = false;
  for (unsigned d = 0; d < ndim; ++d) {
    const std::uint32_t size = load_be32(b.data() + 4 + 4 * d);
    shape[d] = size;
    overflow = overflow || __builtin_mul_overflow(numel, std::int64_t{size}, &numel);
  }
  if (!overflow && !xg::autograd::valid_shape(shape)) {
    fail(name, 4,
         "dimensions " + shape_str(shape) +
             " multiply past 64 bits (no element, but a tensor's strides would overflow)");
  }
  const std::size_t esize = element_size(type);
  std::uint64_t data_bytes = 0;
  overflow = overflow || __builtin_mul_overflow(static_cast<std::uint64_t>(numel),
                                                std::uint64_t{esize}, &data_bytes);
  if (overflow || data_bytes > opts.max_bytes) {
    fail(name, 4,
         "dimensions " + shape_str(shape) + " of " + std::string(idx_type_name(type)) +
             " need more than " + std::to_string(opts.max_bytes) +
             " bytes of data (the limit; raise IdxOptions::max_bytes if the file is genuine)");
  }
  const std::uint64_t have = b.size() - header;
  if (have < data_bytes) {
    fail(name, b.size(),
         "data truncated: dimensions " + shape_str(shape) + " of " +
             std::string(idx_type_name(type)) + " need " + std::to_string(data_bytes) +
             " bytes after the header, the file has " + std::to_string(have));
  }
  if (have > data_bytes) {
    fail(name, header + data_bytes,
         std::to_string(have - data_bytes) + " trailing bytes after the data for dimensions " +
             shape_str(shape));
  }

  IdxArray result;
  result.type = type;
  result.shape = shape;
  result.values = xg::empty(shape, {.dtype = opts.dtype});
  const std::uint8_t* src = b.data() + header;
  const double divisor = opts.scale ? 255.0 : 1.0;
  const auto n = static_cast<std::size_t>(numel);
  xg::autograd::dispatch(opts.dtype, [&]<class T>() {
    convert<T>(type, src, n, result.values.data_ptr<T>(), divisor);
  });
  return result;
}

void check_options(const char* op, const IdxOptions& opts) {
  if (opts.scale && !is_floating(opts.dtype)) {
    throw ValueError(std::string(op) + ": scale needs a float dtype, got " +
                     std::string(dtype_name(opts.dtype)));
  }
}

// Checks made once the type byte is known, before converting anything.
void check_type_fits(const char* op, std::span<const std::uint8_t> b, const std::string& name,
                     const IdxOptions& opts) {
  if (b.size() < 3 || !valid_type(b[2])) return;  // parse() reports these
  const auto type = static_cast<IdxType>(b[2]);
  if (opts.scale && type != IdxType::u8) {
    throw ValueError(std::string(op) + ": " + name + " holds " + std::string(idx_type_name(type)) +
                     " values; scale applies to u8 only");
  }
  if (opts.dtype == Dtype::i64 && (type == IdxType::f32 || type == IdxType::f64)) {
    throw DtypeError(std::string(op) + ": " + name + " holds " + std::string(idx_type_name(type)) +
                     " values; read them as f32 or f64, not i64");
  }
}

IdxArray decode(const char* op, std::span<const std::uint8_t> bytes, const std::string& name,
                const IdxOptions& opts) {
  check_options(op, opts);
  if (is_gzip(bytes)) {
    const std::vector<std::uint8_t> plain = gunzip(bytes, name, opts.max_bytes);
    check_type_fits(op, plain, name, opts);
    return parse(plain, name, opts);
  }
  if (bytes.size() > opts.max_bytes) {
    fail(name, opts.max_bytes,
         "the file holds " + std::to_string(bytes.size()) + " bytes, more than the limit of " +
             std::to_string(opts.max_bytes));
  }
  check_type_fits(op, bytes, name, opts);
  return parse(bytes, name, opts);
}

std::vector<std::uint8_t> read_file(const char* op, const std::string& path,
                                    std::uint64_t max_bytes) {
  detail::check_regular_file(op, path);
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw std::system_error(errno, std::generic_category(),
                            std::string(op) + ": cannot open " + path);
  }
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  in.seekg(0, std::ios::beg);
  if (size < 0) {
    throw std::system_error(EIO, std::generic_category(),
                            std::string(op) + ": cannot read " + path);
  }
  // A gzip'd file is never larger than its contents by much; refuse absurd sizes early
  // instead of allocating them.
  if (static_cast<std::uint64_t>(size) > max_bytes + (max_bytes >> 3) + 4096) {
    fail(path, max_bytes,
         "the file holds " + std::to_string(size) + " bytes, more than the limit of " +
             std::to_string(max_bytes));
  }
  std::vector<std::uint8_t> bytes(static_cast<std::size_t>(size));
  if (size > 0 && !in.read(reinterpret_cast<char*>(bytes.data()), size)) {
    throw std::system_error(EIO, std::generic_category(),
                            std::string(op) + ": cannot read " + path);
  }
  return bytes;
}

}  // namespace

std::string_view idx_type_name(IdxType type) {
  switch (type) {
    case IdxType::u8: return "u8";
    case IdxType::i8: return "i8";
    case IdxType::i16: return "i16";
    case IdxType::i32: return "i32";
    case IdxType::f32: return "f32";
    case IdxType::f64: return "f64";
  }
  return "?";
}

IdxArray read_idx(const std::string& path, const IdxOptions& opts) {
  check_options("read_idx", opts);
  const std::vector<std::uint8_t> bytes = read_file("read_idx", path, opts.max_bytes);
  return decode("read_idx", bytes, path, opts);
}

IdxArray decode_idx(std::span<const std::uint8_t> bytes, const std::string& name,
                    const IdxOptions& opts) {
  return decode("decode_idx", bytes, name, opts);
}

MnistPair check_mnist_pair(IdxArray images, const std::string& images_name, IdxArray labels,
                           const std::string& labels_name, std::int64_t num_classes) {
  if (images.shape.size() != 3) {
    fail(images_name, 3,
         "MNIST images must have 3 dimensions (count, rows, columns), got " +
             shape_str(images.shape));
  }
  if (labels.shape.size() != 1) {
    fail(labels_name, 3,
         "MNIST labels must have 1 dimension (count), got " + shape_str(labels.shape));
  }
  if (labels.type == IdxType::f32 || labels.type == IdxType::f64) {
    fail(labels_name, 2,
         "MNIST labels must be integers, got " + std::string(idx_type_name(labels.type)));
  }
  if (images.values.dtype() != Dtype::f32) {
    throw DtypeError("check_mnist_pair: images must be f32, got " +
                     std::string(dtype_name(images.values.dtype())));
  }
  if (images.shape[0] != labels.shape[0]) {
    throw FormatError(images_name + " holds " + std::to_string(images.shape[0]) + " images but " +
                      labels_name + " holds " + std::to_string(labels.shape[0]) +
                      " labels; the counts must match");
  }
  // Labels may arrive in any dtype (integer IDX types convert exactly to each).
  const std::vector<std::int64_t> values = labels.values.to_vector<std::int64_t>();
  const std::size_t esize = element_size(labels.type);
  const std::size_t header = 4 + 4 * labels.shape.size();
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (values[i] < 0 || values[i] >= num_classes) {
      fail(labels_name, header + i * esize,
           "label " + std::to_string(values[i]) + " of sample " + std::to_string(i) +
               " is outside [0, " + std::to_string(num_classes) + ")");
    }
  }
  return MnistPair{std::move(images.values), tensor_i64(values, labels.shape)};
}

MnistPair load_mnist_pair(const std::string& images_path, const std::string& labels_path,
                          const MnistPairOptions& opts) {
  if (opts.num_classes < 1) {
    throw ValueError("load_mnist_pair: num_classes must be >= 1, got " +
                     std::to_string(opts.num_classes));
  }
  // Labels first: they are small, and a bad label file is then reported before the
  // 47 MB of images are converted. They are read as f64 (exact for every integer IDX
  // type) so that a float label file gets the FormatError below, not a DtypeError.
  IdxArray labels = read_idx(labels_path, {.dtype = Dtype::f64, .max_bytes = opts.max_bytes});
  IdxArray images = read_idx(
      images_path, {.dtype = Dtype::f32, .scale = opts.scale, .max_bytes = opts.max_bytes});
  return check_mnist_pair(std::move(images), images_path, std::move(labels), labels_path,
                          opts.num_classes);
}

}  // namespace xg::data
