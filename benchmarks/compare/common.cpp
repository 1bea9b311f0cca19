// See common.hpp. Uses neither xgrad nor libtorch: it is compiled into all three executables.
#include "common.hpp"

#include <dlfcn.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>

namespace bench {

const std::vector<Workload>& workloads() {
  // Iteration counts are chosen so that one process measures for roughly 0.1-1 s on this
  // machine; both sides always run the same counts.
  static const std::vector<Workload> all = {
      {"mlp_epoch/b64", Kind::mlp_epoch, 64, "", 1, 0, "s", "libtorch"},
      {"mlp_epoch/b256", Kind::mlp_epoch, 256, "", 1, 0, "s", "libtorch"},
      {"xor_step", Kind::xor_step, 1, "", 4000, 400, "us", "libtorch"},
      {"mlp_step/b64", Kind::mlp_step, 64, "", 300, 30, "ms", "libtorch"},
      {"mlp_step/b256", Kind::mlp_step, 256, "", 100, 10, "ms", "libtorch"},
      {"matmul/64", Kind::matmul, 64, "", 3000, 300, "ms", "libtorch"},
      {"matmul/256", Kind::matmul, 256, "", 200, 20, "ms", "libtorch"},
      {"matmul/1024", Kind::matmul, 1024, "", 6, 2, "ms", "libtorch"},
      {"add/1M", Kind::elementwise, 1 << 20, "add", 100, 10, "ms", "libtorch"},
      {"mul/1M", Kind::elementwise, 1 << 20, "mul", 100, 10, "ms", "libtorch"},
      {"exp/1M", Kind::elementwise, 1 << 20, "exp", 100, 10, "ms", "libtorch"},
      {"softmax_ce/256x1000", Kind::softmax_ce, 256, "", 300, 30, "ms", "libtorch"},
      {"gemm/1024", Kind::gemm, 1024, "", 10, 2, "ms", "cblas_sgemm"},
      {"gemm/mlp_b64", Kind::gemm, 64, "", 300, 30, "ms", "cblas_sgemm"},
      {"gemm/mlp_b256", Kind::gemm, 256, "", 100, 10, "ms", "cblas_sgemm"},
  };
  return all;
}

const Workload& find_workload(const std::string& name) {
  for (const Workload& w : workloads()) {
    if (w.name == name) return w;
  }
  throw std::runtime_error("unknown workload '" + name + "'");
}

double unit_scale(const Workload& w) {
  const std::string u = w.unit;
  return u == "us" ? 1e6 : u == "ms" ? 1e3 : 1.0;
}

std::vector<std::int64_t> epoch_order(std::int64_t n) {
  std::vector<std::int64_t> order(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) order[static_cast<std::size_t>(i)] = i;
  std::mt19937_64 gen(kSeed);
  for (std::int64_t i = n - 1; i > 0; --i) {
    // Unbiased enough for a benchmark, and identical everywhere (no distribution object,
    // whose algorithm the standard leaves open).
    const auto j = static_cast<std::int64_t>(gen() % static_cast<std::uint64_t>(i + 1));
    std::swap(order[static_cast<std::size_t>(i)], order[static_cast<std::size_t>(j)]);
  }
  return order;
}

namespace {
// 24 random bits as a float in [0, 1).
float unit_float(std::mt19937_64& gen) { return float(gen() >> 40) * (1.0f / 16777216.0f); }
}  // namespace

std::vector<float> uniform_floats(std::int64_t n, std::uint64_t seed) {
  std::mt19937_64 gen(seed);
  std::vector<float> v(static_cast<std::size_t>(n));
  for (float& x : v) x = unit_float(gen);
  return v;
}

std::vector<float> normal_floats(std::int64_t n, std::uint64_t seed) {
  std::mt19937_64 gen(seed);
  std::vector<float> v(static_cast<std::size_t>(n));
  for (std::size_t i = 0; i < v.size(); ++i) {
    // Box-Muller; 1 - u keeps the logarithm's argument in (0, 1].
    const double u1 = 1.0 - double(unit_float(gen)), u2 = double(unit_float(gen));
    v[i] = static_cast<float>(std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2));
  }
  return v;
}

std::vector<std::int64_t> class_indices(std::int64_t n, std::int64_t classes, std::uint64_t seed) {
  std::mt19937_64 gen(seed);
  std::vector<std::int64_t> v(static_cast<std::size_t>(n));
  for (auto& x : v) x = static_cast<std::int64_t>(gen() % static_cast<std::uint64_t>(classes));
  return v;
}

double mlp_step_flops(std::int64_t batch) {
  double f = 0;
  for (const GemmShape& g : mlp_gemms(batch)) f += 2.0 * double(g.m) * double(g.n) * double(g.k);
  return f;
}

double mlp_epoch_flops(std::int64_t n) {
  // FLOPs are linear in the batch size, so they do not depend on how n is batched.
  return mlp_step_flops(1) * double(n);
}

std::vector<GemmShape> mlp_gemms(std::int64_t b) {
  const std::int64_t i0 = kMlpSizes[0], h1 = kMlpSizes[1], h2 = kMlpSizes[2], o = kMlpSizes[3];
  return {
      {"fwd1 x W1^T", false, true, b, h1, i0}, {"fwd2 h1 W2^T", false, true, b, h2, h1},
      {"fwd3 h2 W3^T", false, true, b, o, h2}, {"dW3 G3^T h2", true, false, o, h2, b},
      {"dh2 G3 W3", false, false, b, h2, o},   {"dW2 G2^T h1", true, false, h2, h1, b},
      {"dh1 G2 W2", false, false, b, h1, h2},  {"dW1 G1^T x", true, false, h1, i0, b},
  };
}

namespace {
std::int64_t status_field(const char* key) {
  std::ifstream in("/proc/self/status");
  std::string line;
  const std::size_t len = std::strlen(key);
  while (std::getline(in, line)) {
    if (line.compare(0, len, key) == 0) return std::atoll(line.c_str() + len);
  }
  return 0;
}

std::string json_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) < 0x20) continue;
    out += c;
  }
  return out;
}
}  // namespace

std::int64_t rss_kib() { return status_field("VmRSS:"); }
std::int64_t peak_rss_kib() { return status_field("VmHWM:"); }

bool reset_peak_rss() {
  std::FILE* f = std::fopen("/proc/self/clear_refs", "w");
  if (f == nullptr) return false;
  const bool ok = std::fputs("5", f) >= 0;
  return std::fclose(f) == 0 && ok;
}

std::string Result::to_json() const {
  std::ostringstream o;
  o.precision(9);
  o << "{\"workload\":\"" << json_escape(workload) << "\",\"side\":\"" << side
    << "\",\"threads\":" << threads << ",\"time\":" << time
    << ",\"rss_start_kib\":" << rss_start_kib << ",\"peak_kib\":" << peak_kib
    << ",\"peak_reset\":" << (peak_reset ? "true" : "false") << ",\"kernel\":\""
    << json_escape(kernel) << "\",\"api\":\"" << json_escape(api) << "\",\"extra\":{";
  bool first = true;
  for (const auto& [k, v] : extra) {
    o << (first ? "" : ",") << "\"" << json_escape(k) << "\":";
    if (std::isfinite(v)) {
      o << v;
    } else {
      o << "null";
    }
    first = false;
  }
  o << "}}";
  return o.str();
}

std::string openblas_corename() {
  using Fn = char* (*)();
  auto f = reinterpret_cast<Fn>(dlsym(RTLD_DEFAULT, "openblas_get_corename"));
  if (f == nullptr) return "unknown";
  const char* s = f();
  return s != nullptr ? s : "unknown";
}

void openblas_threads(int n) {
  using Fn = void (*)(int);
  if (auto f = reinterpret_cast<Fn>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"))) f(n);
}

bool parse_child_args(int argc, char** argv, ChildArgs& args) {
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--run" && i + 1 < argc) {
      args.workload = argv[++i];
    } else if (a == "--threads" && i + 1 < argc) {
      args.threads = std::atoi(argv[++i]);
    } else if (a == "--scale" && i + 1 < argc) {
      args.scale = std::atof(argv[++i]);
    } else if (a == "--side" && i + 1 < argc) {
      ++i;  // read by bench_compare's main
    } else {
      return false;
    }
  }
  return !args.workload.empty() && args.threads >= 1 && args.scale > 0;
}

Workload scaled(const Workload& w, double scale) {
  Workload s = w;
  s.iters = std::max(1, static_cast<int>(std::lround(w.iters * scale)));
  s.warmup = static_cast<int>(std::lround(w.warmup * scale));
  s.epoch_fraction = std::min(1.0, scale);
  return s;
}

}  // namespace bench
