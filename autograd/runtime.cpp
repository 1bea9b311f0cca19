// Process-wide settings of the numeric back end: which OpenBLAS kernel runs, and how many
// threads it uses.
//
// Note [blas kernel]
// Debian's OpenBLAS is a DYNAMIC_ARCH build: at load time it reads the CPUID and picks a
// kernel family. Version 0.3.21 does not know every recent CPU and then falls back to its
// slowest generic family ("Prescott", no AVX at all); on some machines it picks a family
// narrower than the CPU (AVX2 "Haswell" on an AVX-512 CPU). sgemm is then 2-6x slower
// than it could be. OpenBLAS has no API to choose a kernel, but it exports the two
// functions that tear down and rebuild its dispatch table, and the rebuild honours
// OPENBLAS_CORETYPE. So, once, before any other BLAS call: if the user did not choose a
// kernel (OPENBLAS_CORETYPE unset: their choice always wins) and the CPU (as the compiler
// runtime reports it, which includes OS support for the registers) can run a wider family
// than the one OpenBLAS picked, we set the variable, rebuild the table, and put the
// environment back as it was. Everything is looked up with dlsym so that xgrad still links
// and runs against another BLAS, where all of this is skipped.

#include "autograd/runtime.hpp"

#include <dlfcn.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstdlib>
#include <iostream>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "autograd/detail/blas.hpp"
#include "autograd/errors.hpp"

namespace xg {
namespace {

using CorenameFn = char* (*)();
using VoidFn = void (*)();
using SetThreadsFn = void (*)(int);
using GetThreadsFn = int (*)();

template <class Fn> Fn lookup(const char* symbol) {
  return reinterpret_cast<Fn>(dlsym(RTLD_DEFAULT, symbol));
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// How wide a kernel family's vectors are: 3 = AVX-512, 2 = AVX2, 1 = AVX, 0 = older or
// unknown (Prescott, Core2, Nehalem, Atom, Barcelona, ...). Names as openblas_get_corename
// prints them, compared without case.
int kernel_rank(std::string_view name) {
  const std::string n = lower(name);
  for (const char* k : {"skylakex", "cooperlake", "sapphirerapids"}) {
    if (n == k) return 3;
  }
  for (const char* k : {"haswell", "zen"}) {
    if (n == k) return 2;
  }
  for (const char* k : {"sandybridge", "bulldozer", "piledriver", "steamroller", "excavator"}) {
    if (n == k) return 1;
  }
  return 0;
}

std::string current_corename() {
  const auto corename = lookup<CorenameFn>("openblas_get_corename");
  if (corename == nullptr) return "";
  const char* name = corename();
  return name != nullptr ? std::string(name) : std::string();
}

// Threads chosen with set_num_threads; 0 until then.
std::atomic<int> chosen_threads{0};

}  // namespace

namespace detail {

CpuFeatures cpu_features() {
  CpuFeatures f;
#if defined(__x86_64__) || defined(__i386__)
  // Needed when this runs from a static initialiser, before libgcc's own constructor.
  __builtin_cpu_init();
  f.avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  // OpenBLAS's SkylakeX kernels use the BW/DQ/VL extensions too; requiring them keeps
  // Xeon Phi (AVX-512F without BW) on the AVX2 path.
  f.avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
             __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl");
#endif
  return f;
}

std::string preferred_blas_kernel(std::string_view current, CpuFeatures cpu) {
  const char* target = cpu.avx512 ? "SkylakeX" : cpu.avx2 ? "Haswell" : nullptr;
  if (target == nullptr || kernel_rank(current) >= kernel_rank(target)) return "";
  return target;
}

std::string reload_blas_kernel(const std::string& name) {
  const auto quit = lookup<VoidFn>("gotoblas_dynamic_quit");
  const auto init = lookup<VoidFn>("gotoblas_dynamic_init");
  if (quit == nullptr || init == nullptr ||
      lookup<CorenameFn>("openblas_get_corename") == nullptr) {
    return "";
  }
  const char* previous_env = std::getenv("OPENBLAS_CORETYPE");
  const std::optional<std::string> previous =
      previous_env != nullptr ? std::optional<std::string>(previous_env) : std::nullopt;
  setenv("OPENBLAS_CORETYPE", name.c_str(), 1);
  quit();
  init();
  // Leave the environment as the user had it: child processes should make their own
  // choice, and a later check for "did the user set it" must still see the truth.
  if (previous) {
    setenv("OPENBLAS_CORETYPE", previous->c_str(), 1);
  } else {
    unsetenv("OPENBLAS_CORETYPE");
  }
  return current_corename();
}

void ensure_blas_ready() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (std::getenv("OPENBLAS_CORETYPE") != nullptr) return;  // the user's choice wins
    const std::string current = current_corename();
    if (current.empty()) return;  // not OpenBLAS
    const std::string target = preferred_blas_kernel(current, cpu_features());
    if (target.empty()) return;
    // An OpenBLAS built without the target family falls back to Prescott for an unknown
    // OPENBLAS_CORETYPE; go back to its own detection then rather than keep that.
    const std::string got = reload_blas_kernel(target);
    if (!got.empty() && lower(got) != lower(target)) reload_blas_kernel(current);
  });
}

}  // namespace detail

namespace {
// Selects the kernel when the library is loaded, before user code can call BLAS directly;
// linalg also calls ensure_blas_ready() before its first GEMM, for static builds where
// initialisation order across translation units is unspecified.
const bool blas_ready_at_load = (detail::ensure_blas_ready(), true);
}  // namespace

detail::SerialBlasScope::SerialBlasScope(bool active) : active_(active) {
  if (!active_) return;
  ensure_blas_ready();
  previous_ = get_num_threads();
  // Without set_num_threads, get_num_threads() reads OpenBLAS's count, which is 1 in
  // here: pin the count the library runs with first (the pool reads it meanwhile).
  int unset = 0;
  chosen_threads.compare_exchange_strong(unset, previous_);
  if (const auto set = lookup<SetThreadsFn>("openblas_set_num_threads")) set(1);
}

detail::SerialBlasScope::~SerialBlasScope() {
  if (!active_) return;
  if (const auto set = lookup<SetThreadsFn>("openblas_set_num_threads")) set(previous_);
}

std::string blas_kernel() {
  detail::ensure_blas_ready();
  const std::string name = current_corename();
  return name.empty() ? std::string("unknown") : name;
}

void set_num_threads(int threads) {
  if (threads < 1 || threads > kMaxThreads) {
    throw ValueError("set_num_threads: expected 1 to " + std::to_string(kMaxThreads) +
                     " threads, got " + std::to_string(threads));
  }
  detail::ensure_blas_ready();
  if (const auto set = lookup<SetThreadsFn>("openblas_set_num_threads")) set(threads);
  chosen_threads.store(threads);
}

int get_num_threads() {
  if (const int n = chosen_threads.load(); n > 0) return n;
  if (const auto get = lookup<GetThreadsFn>("openblas_get_num_threads")) return get();
  return 1;
}

std::string version() { return XGRAD_VERSION; }

namespace {
std::mutex warning_mutex;
WarningHandler warning_handler;  // empty: the default, std::cerr
}  // namespace

void set_warning_handler(WarningHandler handler) {
  const std::lock_guard lock(warning_mutex);
  warning_handler = std::move(handler);
}

void warn(const std::string& message) {
  const std::lock_guard lock(warning_mutex);
  if (warning_handler) {
    warning_handler(message);
  } else {
    std::cerr << "xgrad warning: " << message << '\n';
  }
}

}  // namespace xg
