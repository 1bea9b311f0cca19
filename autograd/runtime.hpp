// Process-wide settings of the numeric back end.
#pragma once

#include <string>

namespace xg {

// The OpenBLAS kernel in use, e.g. "SkylakeX" (or "unknown" for another BLAS).
// xgrad selects the fast kernel for CPUs that Debian's OpenBLAS does not recognise
// before its first BLAS call; see DESIGN.md § Performance notes.
std::string blas_kernel();
// Threads used by BLAS and by xgrad's own parallel loops.
void set_num_threads(int threads);
int get_num_threads();
// "0.1.0"
std::string version();

}  // namespace xg
