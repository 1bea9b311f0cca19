// Helpers shared by the model-file tests: a self-removing temporary directory, raw file
// I/O, a small model with f32, f64 and i64 state, and bit-exact snapshots of a model.
#pragma once

#include <sys/resource.h>
#include <unistd.h>

#include <csignal>

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <string>

#include "support/check.hpp"

#include "xgrad/nn/module.hpp"
#include "xgrad/nn/safetensors.hpp"
#include "xgrad/nn/serialize.hpp"

namespace xg::test {

// Whether /usr/bin/python3 imports `modules` ("numpy", "torch, numpy"): the tests that
// compare with files written by NumPy or PyTorch skip without them.
inline bool python_can_import(const std::string& modules) {
  const std::string cmd = "/usr/bin/python3 -c 'import " + modules + "' > /dev/null 2>&1";
  return std::system(cmd.c_str()) == 0;
}

// A fresh directory under the system's temporary directory, removed with its contents.
class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    path = std::filesystem::temp_directory_path() /
           ("xgrad-nnio-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    std::filesystem::remove_all(path);
    std::filesystem::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::filesystem::path path;
};

inline std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Runs f with the file-size limit at `bytes`: a write past it fails with EFBIG, as it
// would on a full disk (SIGXFSZ is ignored meanwhile, else the kernel kills the process).
template <class F> void with_file_size_limit(rlim_t bytes, F&& f) {
  struct rlimit saved {};
  REQUIRE(::getrlimit(RLIMIT_FSIZE, &saved) == 0);
  const auto old_handler = std::signal(SIGXFSZ, SIG_IGN);
  struct rlimit limited = saved;
  limited.rlim_cur = bytes;
  REQUIRE(::setrlimit(RLIMIT_FSIZE, &limited) == 0);
  try {
    f();
  } catch (...) {
    ::setrlimit(RLIMIT_FSIZE, &saved);
    std::signal(SIGXFSZ, old_handler);
    throw;
  }
  ::setrlimit(RLIMIT_FSIZE, &saved);
  std::signal(SIGXFSZ, old_handler);
}

inline void write_file(const std::filesystem::path& p, const std::string& bytes) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  REQUIRE(out.good());
}

// The 8-byte little-endian encoding of v.
inline std::string le64(std::uint64_t v) {
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[static_cast<std::size_t>(i)] = static_cast<char>(v >> (8 * i));
  return out;
}

// The raw bytes of a tensor's values.
inline std::string raw_bytes(const Tensor& t) {
  const void* p = nullptr;
  switch (t.dtype()) {
    case Dtype::f32: p = t.data<float>().data(); break;
    case Dtype::f64: p = t.data<double>().data(); break;
    case Dtype::i64: p = t.data<std::int64_t>().data(); break;
  }
  return std::string(static_cast<const char*>(p),
                     static_cast<std::size_t>(t.numel()) * dtype_size(t.dtype()));
}

// Everything that identifies a model's state, bit for bit: name -> dtype, shape, bytes.
using Snapshot = std::map<std::string, std::string>;
inline Snapshot snapshot(const std::map<std::string, Tensor>& state) {
  Snapshot out;
  for (const auto& [name, t] : state) {
    out[name] = std::string(dtype_name(t.dtype())) + shape_str(t.shape()) + ":" + raw_bytes(t);
  }
  return out;
}
inline Snapshot snapshot(const nn::Module& m) { return snapshot(m.state_dict()); }

// Independent copies of a state (state_dict() returns handles that alias the model).
inline nn::StateDict deep_copy(const nn::StateDict& state) {
  nn::StateDict out;
  for (const auto& [name, t] : state) out[name] = t.clone();
  return out;
}

// The value formula shared with tests/nn/{write,read}_safetensors_numpy.py:
// float element i = i * 0.1 - 1.0 (computed in double, then cast);
// int64 element i = i * 1000003 - 2^62.
inline void fill_formula(Tensor t) {
  const auto n = static_cast<std::size_t>(t.numel());
  switch (t.dtype()) {
    case Dtype::f32: {
      auto d = t.mutable_data<float>();
      for (std::size_t i = 0; i < n; ++i)
        d[i] = static_cast<float>(static_cast<double>(i) * 0.1 - 1.0);
      break;
    }
    case Dtype::f64: {
      auto d = t.mutable_data<double>();
      for (std::size_t i = 0; i < n; ++i) d[i] = static_cast<double>(i) * 0.1 - 1.0;
      break;
    }
    case Dtype::i64: {
      auto d = t.mutable_data<std::int64_t>();
      for (std::size_t i = 0; i < n; ++i) {
        d[i] = static_cast<std::int64_t>(i) * 1000003 - (std::int64_t{1} << 62);
      }
      break;
    }
  }
}

// A one-parameter module.
struct Leaf : nn::Module {
  explicit Leaf(const Shape& shape) : Module("Leaf") { register_parameter("weight", zeros(shape)); }
};

// A model with nested names, f32 and f64 parameters (one 0-d) and an i64 buffer:
//   body.weight f32 (2, 3), head.weight f32 (3), scale f64 (4), temperature f64 (),
//   steps i64 (3). The NumPy scripts use the same names and shapes.
struct Net : nn::Module {
  Net() : Module("Net") {
    register_module("body", Leaf({2, 3}));
    register_module("head", Leaf({3}));
    register_parameter("scale", zeros({4}, {.dtype = f64}));
    register_parameter("temperature", zeros({}, {.dtype = f64}));
    register_buffer("steps", tensor_i64({0, 0, 0}, {3}));
  }
};

// Sets every parameter and buffer of m to the shared formula.
inline void fill_formula(nn::Module& m) {
  for (auto& [name, t] : m.state_dict()) fill_formula(t);
}

// Sets every value of m to `value` (a state distinct from the formula's).
inline void fill_constant(nn::Module& m, double value) {
  for (auto& [name, t] : m.state_dict()) {
    const auto n = static_cast<std::size_t>(t.numel());
    switch (t.dtype()) {
      case Dtype::f32:
        for (std::size_t i = 0; i < n; ++i) t.mutable_data<float>()[i] = static_cast<float>(value);
        break;
      case Dtype::f64:
        for (std::size_t i = 0; i < n; ++i) t.mutable_data<double>()[i] = value;
        break;
      case Dtype::i64:
        for (std::size_t i = 0; i < n; ++i)
          t.mutable_data<std::int64_t>()[i] = static_cast<std::int64_t>(value);
        break;
    }
  }
}

}  // namespace xg::test
