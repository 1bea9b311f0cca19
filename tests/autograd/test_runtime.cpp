// Tests of autograd/runtime.hpp and the BLAS kernel selection behind it
// (autograd/detail/blas.hpp, docs/DESIGN.md § Where performance comes from).
#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <string>

#include "autograd/detail/blas.hpp"
#include "support/check.hpp"

using namespace xg;
using xg::test::check_throws;
using xg::test::check_values;

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

bool is_known_kernel(const std::string& name) {
  for (const char* k : {"prescott", "core2", "nehalem", "sandybridge", "haswell", "skylakex",
                        "cooperlake", "sapphirerapids", "zen"}) {
    if (lower(name) == k) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("runtime: blas_kernel reports a kernel, the fast one unless the user chose") {
  const std::string kernel = blas_kernel();
  MESSAGE("BLAS kernel: " << kernel);
  CHECK_FALSE(kernel.empty());
  const char* user_choice = std::getenv("OPENBLAS_CORETYPE");
  const detail::CpuFeatures cpu = detail::cpu_features();
  if (user_choice == nullptr) {
    if (cpu.avx2) CHECK(kernel != "Prescott");
    // Selecting a kernel is idempotent: nothing better is left to pick.
    CHECK(detail::preferred_blas_kernel(kernel, cpu).empty());
  } else if (is_known_kernel(user_choice) && kernel != "unknown") {
    // The user's choice wins over ours.
    CHECK(lower(kernel) == lower(user_choice));
  }
}

TEST_CASE("runtime: preferred_blas_kernel upgrades only fallbacks narrower than the CPU") {
  const detail::CpuFeatures avx512{.avx2 = true, .avx512 = true};
  const detail::CpuFeatures avx2{.avx2 = true, .avx512 = false};
  const detail::CpuFeatures old_cpu{};
  CHECK(detail::preferred_blas_kernel("Prescott", avx512) == "SkylakeX");
  CHECK(detail::preferred_blas_kernel("Core2", avx512) == "SkylakeX");
  CHECK(detail::preferred_blas_kernel("Nehalem", avx2) == "Haswell");
  CHECK(detail::preferred_blas_kernel("unknown", avx2) == "Haswell");
  CHECK(detail::preferred_blas_kernel("Haswell", avx512) == "SkylakeX");
  CHECK(detail::preferred_blas_kernel("Prescott", old_cpu).empty());
  CHECK(detail::preferred_blas_kernel("Haswell", avx2).empty());
  CHECK(detail::preferred_blas_kernel("Zen", avx2).empty());
  CHECK(detail::preferred_blas_kernel("SkylakeX", avx512).empty());
  CHECK(detail::preferred_blas_kernel("Cooperlake", avx512).empty());
  CHECK(detail::preferred_blas_kernel("sapphirerapids", avx512).empty());
}

TEST_CASE("runtime: reload_blas_kernel switches OpenBLAS's kernel and leaves the environment") {
  const std::string before = blas_kernel();
  if (before == "unknown") {
    MESSAGE("not OpenBLAS: nothing to switch");
    return;
  }
  const char* env = std::getenv("OPENBLAS_CORETYPE");
  const std::string env_before = env != nullptr ? env : "<unset>";
  const auto env_now = [] {
    const char* e = std::getenv("OPENBLAS_CORETYPE");
    return e != nullptr ? std::string(e) : std::string("<unset>");
  };
  CHECK(detail::reload_blas_kernel("Prescott") == "Prescott");
  CHECK(blas_kernel() == "Prescott");
  CHECK(env_now() == env_before);
  // Products stay right on the slow kernel (a 1-column product takes GEMV, the other GEMM).
  Tensor a = tensor({1, 2, 3, 4, 5, 6}, {2, 3});
  check_values(matmul(a, tensor({7, 8, 9, 10, 11, 12}, {3, 2})), {58, 64, 139, 154}, 0.0);
  CHECK(detail::reload_blas_kernel(before) == before);
  CHECK(blas_kernel() == before);
  CHECK(env_now() == env_before);
  check_values(matmul(a, tensor({7, 8, 9, 10, 11, 12}, {3, 2})), {58, 64, 139, 154}, 0.0);
}

TEST_CASE("runtime: set_num_threads and get_num_threads") {
  const int original = get_num_threads();
  CHECK(original >= 1);
  set_num_threads(1);
  CHECK(get_num_threads() == 1);
  Tensor a = ones({64, 64});
  check_values(matmul(a, a).sum(), {64.0 * 64 * 64}, 0.0);
  set_num_threads(original);
  CHECK(get_num_threads() == original);
  check_throws<ValueError>([] { set_num_threads(0); }, {"set_num_threads", "0"});
  check_throws<ValueError>([] { set_num_threads(-2); }, {"set_num_threads", "-2"});
  // A documented maximum (5000 threads ran 5x slower and hung at exit under a memory limit).
  check_throws<ValueError>([] { set_num_threads(kMaxThreads + 1); }, {"set_num_threads", "257"});
  CHECK(get_num_threads() == original);
}

TEST_CASE("runtime: version") { CHECK(version() == "0.1.0"); }
