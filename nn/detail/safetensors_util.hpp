// Internal helpers shared by the safetensors reader (nn/safetensors.cpp) and writer
// (nn/safetensors_write.cpp). Not installed; includes zlib.
#pragma once

#include <zlib.h>

#include <algorithm>
#include <bit>
#include <cstdint>
#include <filesystem>
#include <string>
#include <system_error>

#include "autograd/tensor.hpp"

namespace xg::nn::detail {

// The data section is the tensors' memory, copied byte for byte: that is little-endian
// only on a little-endian host. (A big-endian port would swap bytes where the reader and
// the writer copy tensor data.)
static_assert(std::endian::native == std::endian::little,
              "safetensors I/O copies tensor memory as is and needs a little-endian host");

inline constexpr const char* kMetadataKey = "__metadata__";
inline constexpr const char* kVersionKey = "xgrad_version";
inline constexpr const char* kDataCrcKey = "crc32";
inline constexpr const char* kHeaderCrcKey = "crc32_header";
inline constexpr std::uint64_t kLengthBytes = 8;  // the u64 header length

inline const char* format_dtype(Dtype d) {
  switch (d) {
    case Dtype::f32: return "F32";
    case Dtype::f64: return "F64";
    case Dtype::i64: return "I64";
  }
  return "?";
}

// A name or value as it appears in a message: quoted, and cut short, since a crafted
// file can hold a 100 MB name.
inline std::string quoted(const std::string& s) {
  constexpr std::size_t kMax = 120;
  if (s.size() <= kMax) return '"' + s + '"';
  return '"' + s.substr(0, kMax) + "\"... (" + std::to_string(s.size()) + " bytes)";
}

// zlib's crc32 takes 32-bit lengths; feed it in chunks.
inline std::uint32_t crc_update(std::uint32_t crc, const void* data, std::uint64_t n) {
  auto* p = static_cast<const Bytef*>(data);
  while (n > 0) {
    const auto chunk = static_cast<uInt>(std::min<std::uint64_t>(n, std::uint64_t{1} << 30));
    crc = static_cast<std::uint32_t>(::crc32(crc, p, chunk));
    p += chunk;
    n -= chunk;
  }
  return crc;
}

inline std::uint32_t crc_of(const std::string& text) {
  return crc_update(static_cast<std::uint32_t>(::crc32(0, nullptr, 0)), text.data(), text.size());
}

inline std::string hex8(std::uint32_t v) {
  static const char* digits = "0123456789abcdef";
  std::string out(8, '0');
  for (int i = 7; i >= 0; --i, v >>= 4) out[static_cast<std::size_t>(i)] = digits[v & 15];
  return out;
}

inline const void* tensor_bytes(const Tensor& t) {
  switch (t.dtype()) {
    case Dtype::f32: return t.data<float>().data();
    case Dtype::f64: return t.data<double>().data();
    case Dtype::i64: return t.data<std::int64_t>().data();
  }
  return nullptr;
}

inline std::uint64_t tensor_nbytes(const Tensor& t) {
  return static_cast<std::uint64_t>(t.numel()) * dtype_size(t.dtype());
}

[[noreturn]] inline void io_error(const char* op, const std::string& doing,
                                  const std::filesystem::path& path, int err) {
  throw std::system_error(err, std::generic_category(),
                          std::string(op) + ": cannot " + doing + ' ' + quoted(path.string()));
}

}  // namespace xg::nn::detail
