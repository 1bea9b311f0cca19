// libFuzzer target for the model-file reader (nn/safetensors.hpp): any byte string, as a
// file, must either load into tensors that match the header or throw FormatError --
// never crash, hang, read out of bounds or allocate more than the file holds. What loads
// must also survive a round trip: saved again (xgrad's own metadata keys dropped) and
// reloaded, it gives the same names, dtypes, shapes, bytes and metadata. Built only with
// clang (XGRAD_BUILD_FUZZERS=ON); run by scripts/fuzz.sh.
//
// The reader takes a path, so each input is written to a file first: under /dev/shm
// (memory) when it exists, named after the process so parallel fuzzers do not collide.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "xgrad/nn/safetensors.hpp"

namespace {

void check(bool ok) {
  if (!ok) std::abort();  // an invariant broke: libFuzzer reports it as a crash
}

std::string scratch(const char* what) {
  static const std::string dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
  return dir + "/xgrad_fuzz_safetensors_" + std::to_string(getpid()) + what;
}

void write_bytes(const std::string& path, const std::uint8_t* data, std::size_t size) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  check(f != nullptr);
  check(size == 0 || std::fwrite(data, 1, size, f) == size);
  check(std::fclose(f) == 0);
}

std::size_t bytes_of(const xg::Tensor& t) {
  switch (t.dtype()) {
    case xg::Dtype::f32: return t.data<float>().size_bytes();
    case xg::Dtype::f64: return t.data<double>().size_bytes();
    case xg::Dtype::i64: return t.data<std::int64_t>().size_bytes();
  }
  std::abort();
}

const void* raw(const xg::Tensor& t) {
  switch (t.dtype()) {
    case xg::Dtype::f32: return t.data<float>().data();
    case xg::Dtype::f64: return t.data<double>().data();
    case xg::Dtype::i64: return t.data<std::int64_t>().data();
  }
  std::abort();
}

void check_same(const xg::Tensor& a, const xg::Tensor& b) {
  check(a.dtype() == b.dtype());
  check(a.shape() == b.shape());
  const std::size_t n = bytes_of(a);
  check(n == bytes_of(b));
  check(n == 0 || std::memcmp(raw(a), raw(b), n) == 0);
}

void cleanup() {
  std::remove(scratch(".safetensors").c_str());
  std::remove(scratch("_again.safetensors").c_str());
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  std::atexit(cleanup);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string path = scratch(".safetensors");
  write_bytes(path, data, size);
  xg::nn::TensorFile file;
  try {
    file = xg::nn::load_tensor_file(path);
  } catch (const xg::FormatError&) {
    return 0;
  }

  // What loaded matches its header and fits in the file.
  std::size_t total = 0;
  for (const auto& [name, t] : file.tensors) {
    check(name != "__metadata__");
    check(t.defined());
    std::int64_t numel = 1;
    for (auto d : t.shape()) {
      check(d >= 0);
      numel *= d;
    }
    check(t.numel() == numel);
    check(!t.requires_grad());
    total += bytes_of(t);
  }
  check(size >= 8 && total <= size - 8);

  // Round trip. The reader accepts only what the writer can write (valid UTF-8 names and
  // metadata), so saving must not throw.
  xg::nn::Metadata user = file.metadata;
  for (const char* key : {"xgrad_version", "crc32", "crc32_header"}) user.erase(key);
  const std::string again = scratch("_again.safetensors");
  xg::nn::save_tensors(file.tensors, again, user);
  const xg::nn::TensorFile back = xg::nn::load_tensor_file(again);
  check(back.tensors.size() == file.tensors.size());
  for (const auto& [name, t] : file.tensors) {
    const auto it = back.tensors.find(name);
    check(it != back.tensors.end());
    check_same(t, it->second);
  }
  for (const auto& [key, value] : user) {
    const auto it = back.metadata.find(key);
    check(it != back.metadata.end() && it->second == value);
  }
  check(back.metadata.size() == user.size() + 3);
  return 0;
}
