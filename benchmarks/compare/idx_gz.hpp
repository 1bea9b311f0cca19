// A minimal reader of gzip'd (or plain) IDX files of u8 values, for the libtorch side: it
// reads Fashion-MNIST without xgrad, so that nothing xgrad allocates (and may keep in its
// buffer cache) counts in libtorch's memory. Values become what xg::data::fashion_mnist
// gives: f32 pixel / 255.0f, i64 labels.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace bench {

struct IdxU8 {
  std::vector<std::int64_t> dims;
  std::vector<std::uint8_t> values;
};

// Throws std::runtime_error naming the file if it cannot be read or is not u8 IDX data.
IdxU8 read_idx_u8(const std::string& path);

// $XGRAD_FASHION_MNIST_DIR, else /usr/share/datasets/fashion-mnist (as xgrad looks).
std::string fashion_mnist_dir();

}  // namespace bench
