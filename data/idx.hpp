// Reading IDX files, the format of MNIST and Fashion-MNIST, plain or gzip'd.
//
// An IDX file is: two zero bytes, a type byte, a dimension count d, then d big-endian u32
// sizes, then the elements in row-major order, big-endian:
//   0x08 u8   0x09 i8   0x0B i16   0x0C i32   0x0D f32   0x0E f64
// (http://yann.lecun.com/exdb/mnist/). A file whose first two bytes are 1f 8b is gzip'd;
// it is decompressed in memory, up to IdxOptions::max_bytes (a zip bomb stops there).
//
// Every violation throws xg::FormatError whose message starts with the file name and the
// byte offset, e.g.
//   "train-images-idx3-ubyte.gz: offset 2: unknown IDX type byte 0x07 (...)".
// Offsets count bytes of the decompressed data (of the file itself when it is not
// gzip'd), except for gzip errors, which name the offset in the compressed file.
// Checked: the magic bytes, the type byte, 1 <= d <= 4, that the header is complete, that
// the sizes multiply without overflow and within max_bytes, and that exactly the elements
// the sizes promise follow (too few: truncated; more: trailing bytes).
// A file that cannot be opened throws std::system_error naming it.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "xgrad/autograd/tensor.hpp"

namespace xg::data {

enum class IdxType : std::uint8_t {
  u8 = 0x08,
  i8 = 0x09,
  i16 = 0x0B,
  i32 = 0x0C,
  f32 = 0x0D,
  f64 = 0x0E
};

// "u8", "i8", "i16", "i32", "f32" or "f64".
std::string_view idx_type_name(IdxType type);

struct IdxOptions {
  // Element type of the result. Integer data converts exactly to any dtype (u8/i8/i16
  // exactly to f32 too); f32/f64 data cannot be read as i64 (DtypeError).
  Dtype dtype = Dtype::f32;
  // Divide u8 data by 255 so that values lie in [0, 1] (needs a float dtype and u8
  // data, else ValueError).
  bool scale = false;
  // The most bytes a file may hold after decompression (default 1 GiB).
  std::uint64_t max_bytes = std::uint64_t{1} << 30;
};

struct IdxArray {
  IdxType type = IdxType::u8;  // element type in the file
  Shape shape;                 // the dimensions from the header
  Tensor values;               // shape `shape`, dtype IdxOptions::dtype
};

// Reads an IDX file (gzip'd or not) from disk.
IdxArray read_idx(const std::string& path, const IdxOptions& opts = {});

// Decodes IDX bytes (gzip'd or not) held in memory; `name` stands for the file name in
// error messages.
IdxArray decode_idx(std::span<const std::uint8_t> bytes, const std::string& name,
                    const IdxOptions& opts = {});

struct MnistPairOptions {
  bool scale = true;              // images as f32 in [0, 1] (false: f32 values 0..255)
  std::int64_t num_classes = 10;  // labels must lie in [0, num_classes)
  std::uint64_t max_bytes = std::uint64_t{1} << 30;
};

struct MnistPair {
  Tensor images;  // (N, rows, cols) f32
  Tensor labels;  // (N) i64
};

// Reads an MNIST-format pair: images (N, rows, cols) and labels (N) of an integer IDX
// type. Throws FormatError naming both files and both counts when N differs, naming the
// file, offset and value of a label outside [0, num_classes), and when the images are not
// 3-D or the labels not 1-D.
MnistPair load_mnist_pair(const std::string& images_path, const std::string& labels_path,
                          const MnistPairOptions& opts = {});

// The same checks on arrays already decoded (images f32; labels of an integer IDX type, in
// any dtype); returns the labels as i64.
MnistPair check_mnist_pair(IdxArray images, const std::string& images_name, IdxArray labels,
                           const std::string& labels_name, std::int64_t num_classes = 10);

}  // namespace xg::data
