// Reading and writing named tensors in the safetensors format, the format of Hugging Face's
// `safetensors` package, so that Python (safetensors, or ten lines of NumPy) opens our
// files and we open theirs:
//
//   bytes [0, 8)        N, the header length, a little-endian u64
//   bytes [8, 8 + N)    a JSON object, padded with spaces to a multiple of 8 bytes:
//                         {"name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]},
//                          ..., "__metadata__": {"key": "value", ...}}
//   bytes [8 + N, end)  the data section: each tensor's values, row-major, little-endian,
//                       at data_offsets relative to the start of the section.
//
// xgrad reads and writes the dtypes F32, F64 and I64. Files written here also record in
// "__metadata__": "xgrad_version" (xg::version()), "crc32" (8 lowercase hex digits: the
// zlib CRC32 of the data section) and "crc32_header" (the CRC32 of the whole header
// serialized as compact JSON with sorted keys -- Python: json.dumps(header, sort_keys=True,
// separators=(",", ":"), ensure_ascii=False) -- after removing "crc32_header" itself from
// "__metadata__"), so that corruption anywhere in the names, shapes, metadata or values is
// detected. Files from other tools carry neither and are read without those checks; a file
// that records "xgrad_version" must carry both.
//
// A tool that rewrites one of our files and keeps its metadata must drop or update the
// three xgrad keys, or xgrad will reject the rewritten file as corrupt.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "xgrad/autograd/tensor.hpp"

namespace xg::nn {

// Paths are std::string (a std::filesystem::path converts to it implicitly): <filesystem>
// would add half a second to every file that includes xgrad.hpp.

// Tensors by name (the same type as nn::StateDict).
using TensorMap = std::map<std::string, Tensor>;
// The string-to-string "__metadata__" of a file.
using Metadata = std::map<std::string, std::string>;

struct TensorFile {
  TensorMap tensors;
  Metadata metadata;  // everything in "__metadata__", including xgrad's own keys
};

// The largest header read, in bytes (the limit of the reference implementation).
inline constexpr std::uint64_t kSafetensorsMaxHeader = 100'000'000;
// The most tensors a file may hold, and the most dimensions all their shapes may have
// together (an average rank of 8): a 100 MB header could otherwise describe some 10
// million tensors, or one shape of 50 million dimensions, and take gigabytes to hold.
inline constexpr std::uint64_t kSafetensorsMaxTensors = 1'000'000;
inline constexpr std::uint64_t kSafetensorsMaxDims = 8'000'000;

// Writes `tensors` (any mix of f32, f64 and i64; values only, no gradients) and the
// user's `metadata` to `path`, with xg::AtomicFile (autograd/atomic_file.hpp): the file
// is written to a temporary file in the same directory ("<path>.tmp-PID-XXXXXX"), flushed
// to disk and renamed over `path`, so a crash mid-save leaves either the old file or the
// new one, never a torn one; a replaced file keeps its mode.
// Throws ValueError for an undefined tensor, the tensor name "__metadata__", a metadata
// key xgrad reserves ("xgrad_version", "crc32", "crc32_header") or a name that is not
// valid UTF-8; FormatError when `path` exists and is not a regular file (a symbolic link,
// a FIFO, a device, a directory: left as it is); std::system_error (a std::runtime_error)
// naming the path and the system's reason when the file cannot be written.
void save_tensors(const TensorMap& tensors, const std::string& path, const Metadata& metadata = {});

// Reads every tensor of a safetensors file (new tensors; nothing is shared with the
// file), in time linear in the file's size. Nothing in the file is trusted: a header
// length past the 100 MB limit or the end of the file, invalid JSON, more than
// kSafetensorsMaxTensors tensors (or metadata entries) or kSafetensorsMaxDims dimensions,
// entries or arrays far larger than the format's, a duplicate key, an unknown dtype, a
// negative or fractional dimension, data offsets out of order, overlapping, leaving gaps,
// not covering the data section exactly or not matching dtype x shape, or a CRC32 that
// does not match, all throw FormatError naming the file, the tensor (where there is one)
// and the byte offset in the file. std::system_error when the file cannot be opened or
// read.
TensorMap load_tensors(const std::string& path);
// The same, with the file's metadata.
TensorFile load_tensor_file(const std::string& path);

}  // namespace xg::nn
