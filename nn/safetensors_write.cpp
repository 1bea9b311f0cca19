// The safetensors writer (format and contract in safetensors.hpp).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <random>
#include <system_error>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "autograd/runtime.hpp"
#include "nn/detail/safetensors_util.hpp"
#include "nn/safetensors.hpp"

namespace xg::nn {
namespace {

using json = nlohmann::json;
namespace fs = std::filesystem;
using namespace detail;  // NOLINT: the shared helpers of nn/detail/safetensors_util.hpp

// A file written under a temporary name and renamed over the target by commit(); removed
// if never committed. See Note [atomic save].
class AtomicFile {
 public:
  explicit AtomicFile(fs::path target) : target_(std::move(target)) {
    // A fresh name in the target's directory (rename is atomic only within a filesystem).
    static thread_local std::mt19937_64 rng(
        std::random_device{}() ^
        static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()) ^
        static_cast<std::uint64_t>(::getpid()));
    static const char* chars = "abcdefghijklmnopqrstuvwxyz0123456789";
    for (int attempt = 0; attempt < 100; ++attempt) {
      std::string suffix = ".tmp-";
      for (int i = 0; i < 6; ++i) suffix += chars[rng() % 36];
      temp_ = target_;
      temp_ += suffix;
      // 0666 less the umask, like any new file; O_EXCL so we never reuse someone's file.
      const int fd = ::open(temp_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
      if (fd >= 0) {
        fd_ = fd;
        return;
      }
      if (errno != EEXIST) io_error("save_tensors", "create a temporary file for", target_, errno);
    }
    io_error("save_tensors", "create a temporary file for", target_, EEXIST);
  }
  ~AtomicFile() {
    if (fd_ >= 0) ::close(fd_);
    if (!committed_) ::unlink(temp_.c_str());
  }
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  void write(const void* data, std::uint64_t n) {
    auto* p = static_cast<const char*>(data);
    while (n > 0) {
      const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(n, 1u << 30));
      const ssize_t r = ::write(fd_, p, want);
      if (r < 0) {
        if (errno == EINTR) continue;
        fail("write", errno);
      }
      p += r;
      n -= static_cast<std::uint64_t>(r);
    }
  }

  void commit() {
    if (::fsync(fd_) != 0) fail("flush", errno);
    const int fd = std::exchange(fd_, -1);
    if (::close(fd) != 0) fail("close", errno);
    std::error_code ec;
    fs::rename(temp_, target_, ec);
    if (ec) {
      throw std::system_error(ec, "save_tensors: cannot rename " + quoted(temp_.string()) + " to " +
                                      quoted(target_.string()));
    }
    committed_ = true;
    // Make the rename itself durable. Best effort: some filesystems cannot fsync a
    // directory, and the new file is complete either way.
    fs::path dir = target_.parent_path();
    if (dir.empty()) dir = ".";
    const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
      (void)::fsync(dfd);
      ::close(dfd);
    }
  }

 private:
  [[noreturn]] void fail(const char* doing, int err) {
    throw std::system_error(err, std::generic_category(),
                            std::string("save_tensors: cannot ") + doing + ' ' +
                                quoted(target_.string()) + " (through " + quoted(temp_.string()) +
                                ")");
  }

  fs::path target_;
  fs::path temp_;
  int fd_ = -1;
  bool committed_ = false;
};

// Note [atomic save]
// A crash, a full disk or an exception half-way through a save must not destroy the
// model saved before. So the new file is written completely under a temporary name in
// the same directory, fsync'ed, and only then renamed over the target: rename() replaces
// the directory entry atomically, so readers see the old file or the new one. The
// directory is fsync'ed afterwards so the rename survives a power cut.

// The text must be storable in JSON (valid UTF-8); nlohmann would throw on dump.
void check_utf8(const std::string& what, const std::string& text) {
  try {
    (void)json(text).dump();
  } catch (const json::exception&) {
    throw ValueError("save_tensors: " + what + " is not valid UTF-8");
  }
}

}  // namespace

void save_tensors(const TensorMap& tensors, const std::string& path, const Metadata& metadata) {
  for (const auto& [name, t] : tensors) {
    if (name == kMetadataKey) {
      throw ValueError("save_tensors: \"__metadata__\" cannot name a tensor (the format uses it)");
    }
    if (!t.defined()) throw ValueError("save_tensors: tensor " + quoted(name) + " is undefined");
    check_utf8("tensor name " + quoted(name), name);
  }
  for (const auto& [key, value] : metadata) {
    if (key == kVersionKey || key == kDataCrcKey || key == kHeaderCrcKey) {
      throw ValueError("save_tensors: metadata key " + quoted(key) + " is reserved for xgrad");
    }
    check_utf8("metadata key " + quoted(key), key);
    check_utf8("metadata value of " + quoted(key), value);
  }

  // Widest dtype first, then by name (std::map order; stable_sort keeps it): the
  // reference implementation's order, which keeps every 8-byte tensor 8-byte aligned
  // since the data section itself starts at a multiple of 8.
  std::vector<std::pair<const std::string*, const Tensor*>> order;
  for (const auto& [name, t] : tensors) order.emplace_back(&name, &t);
  std::stable_sort(order.begin(), order.end(), [](const auto& a, const auto& b) {
    return dtype_size(a.second->dtype()) > dtype_size(b.second->dtype());
  });

  json entries = json::object();
  std::uint64_t offset = 0;
  auto data_crc = static_cast<std::uint32_t>(::crc32(0, nullptr, 0));
  for (const auto& [name, t] : order) {
    const std::uint64_t n = tensor_nbytes(*t);
    entries[*name] = {{"dtype", format_dtype(t->dtype())},
                      {"shape", t->shape()},
                      {"data_offsets", {offset, offset + n}}};
    data_crc = crc_update(data_crc, tensor_bytes(*t), n);
    offset += n;
  }
  json meta = json::object();
  for (const auto& [key, value] : metadata) meta[key] = value;
  meta[kVersionKey] = xg::version();
  meta[kDataCrcKey] = hex8(data_crc);
  json root = std::move(entries);
  root[kMetadataKey] = std::move(meta);
  // The header's CRC covers everything in it but itself. The reader recomputes it from the
  // parsed header, whose dump is this same text: nlohmann sorts object keys and prints
  // strings and integers the same way after a round trip.
  root[kMetadataKey][kHeaderCrcKey] = hex8(crc_of(root.dump()));

  std::string header = root.dump();
  header.append((8 - header.size() % 8) % 8, ' ');  // pad like the reference implementation
  unsigned char length[kLengthBytes];
  for (std::size_t i = 0; i < kLengthBytes; ++i) {
    length[i] = static_cast<unsigned char>(static_cast<std::uint64_t>(header.size()) >> (8 * i));
  }

  AtomicFile file(path);
  file.write(length, kLengthBytes);
  file.write(header.data(), header.size());
  for (const auto& [name, t] : order) file.write(tensor_bytes(*t), tensor_nbytes(*t));
  file.commit();
}

}  // namespace xg::nn
