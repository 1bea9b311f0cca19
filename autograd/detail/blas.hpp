// Internal: one-time set-up of the BLAS back end. Not installed; users never include this.
#pragma once

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

}  // namespace xg::detail
