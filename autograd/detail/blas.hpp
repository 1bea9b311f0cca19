// Internal: one-time set-up of the BLAS back end. Not installed; users never include this.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace xg::detail {

// Selects OpenBLAS's fast kernel for CPUs that Debian's OpenBLAS does not recognise (see
// docs/DESIGN.md § Where performance comes from and Note [blas kernel] in runtime.cpp). Does its
// work once per process, thread-safely; later calls return at once. Call it before any BLAS
// routine.
void ensure_blas_ready();

// What the CPU can run, as far as OpenBLAS's kernel families care (each flag includes the
// OS support for the wider registers).
struct CpuFeatures {
  bool avx2 = false;    // AVX2 and FMA: the "Haswell" kernels
  bool avx512 = false;  // AVX-512 F, BW, DQ and VL: the "SkylakeX" kernels
};
CpuFeatures cpu_features();

// The OpenBLAS kernel worth forcing on a CPU with `cpu` when OpenBLAS chose `current`
// ("SkylakeX" or "Haswell"), or "" to keep the current one (it is as good or better).
std::string preferred_blas_kernel(std::string_view current, CpuFeatures cpu);

// Re-initialises OpenBLAS's dispatch table with kernel `name` (as OPENBLAS_CORETYPE would)
// and returns the core name now in use; OPENBLAS_CORETYPE is left as it was. Returns ""
// and changes nothing when the BLAS is not a dynamic-arch OpenBLAS. Not safe while other
// threads run BLAS routines.
std::string reload_blas_kernel(const std::string& name);

// While it lives, OpenBLAS runs each call on the calling thread alone; then it goes back
// to xg::get_num_threads(). For kernels that run independent GEMMs on the pool's threads
// (ops/conv.cpp): OpenBLAS's own threads would otherwise serve one call at a time. The
// count is process-wide, so BLAS calls made by other threads meanwhile run on one thread
// too (slower, never wrong). Does nothing when `active` is false or the BLAS is not
// OpenBLAS.
class SerialBlasScope {
 public:
  explicit SerialBlasScope(bool active);
  ~SerialBlasScope();
  SerialBlasScope(const SerialBlasScope&) = delete;
  SerialBlasScope& operator=(const SerialBlasScope&) = delete;

 private:
  bool active_;
  int previous_ = 1;
};

// c (m x n, row-major, contiguous) = op(a) @ op(b) + beta * c, where a is stored m x k
// (k x m when ta) and b k x n (n x k when tb), both contiguous; beta is 0 or 1. Takes
// GEMV for a single row or column, and handles empty sizes. ValueError naming `op` when a
// size exceeds BLAS's int. (ops/linalg.cpp)
void gemm(const char* op, bool ta, bool tb, std::int64_t m, std::int64_t n, std::int64_t k,
          const float* a, const float* b, float beta, float* c);
void gemm(const char* op, bool ta, bool tb, std::int64_t m, std::int64_t n, std::int64_t k,
          const double* a, const double* b, double beta, double* c);

}  // namespace xg::detail
