// See idx_gz.hpp. gzread also reads files that are not gzip'd.
#include "idx_gz.hpp"

#include <zlib.h>

#include <cstdlib>
#include <stdexcept>

namespace bench {

IdxU8 read_idx_u8(const std::string& path) {
  gzFile f = gzopen(path.c_str(), "rb");
  if (f == nullptr) throw std::runtime_error(path + ": cannot open");
  std::vector<std::uint8_t> bytes;
  std::uint8_t buf[1 << 16];
  int got;
  while ((got = gzread(f, buf, sizeof buf)) > 0) bytes.insert(bytes.end(), buf, buf + got);
  gzclose(f);
  if (got < 0) throw std::runtime_error(path + ": gzip error");
  // Header: 0, 0, type (0x08 = u8), rank, then rank big-endian u32 sizes.
  if (bytes.size() < 4 || bytes[0] != 0 || bytes[1] != 0 || bytes[2] != 0x08) {
    throw std::runtime_error(path + ": not an IDX file of u8 values");
  }
  IdxU8 out;
  const std::size_t rank = bytes[3];
  std::size_t pos = 4, count = 1;
  for (std::size_t d = 0; d < rank; ++d, pos += 4) {
    if (pos + 4 > bytes.size()) throw std::runtime_error(path + ": truncated header");
    const std::int64_t size = (std::int64_t{bytes[pos]} << 24) | (bytes[pos + 1] << 16) |
                              (bytes[pos + 2] << 8) | bytes[pos + 3];
    out.dims.push_back(size);
    count *= static_cast<std::size_t>(size);
  }
  if (bytes.size() - pos != count) throw std::runtime_error(path + ": size does not match header");
  out.values.assign(bytes.begin() + static_cast<std::ptrdiff_t>(pos), bytes.end());
  return out;
}

std::string fashion_mnist_dir() {
  const char* dir = std::getenv("XGRAD_FASHION_MNIST_DIR");
  return dir != nullptr && *dir != '\0' ? dir : "/usr/share/datasets/fashion-mnist";
}

}  // namespace bench
