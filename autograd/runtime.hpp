// Process-wide settings of the numeric back end.
#pragma once

#include <functional>
#include <string>

namespace xg {

// The OpenBLAS kernel in use, e.g. "SkylakeX" (or "unknown" for another BLAS).
// xgrad selects the fast kernel for CPUs that Debian's OpenBLAS does not recognise
// before its first BLAS call; see docs/DESIGN.md § Where performance comes from.
std::string blas_kernel();
// Threads used by BLAS and by xgrad's own parallel loops: 1 to kMaxThreads (ValueError
// otherwise; more threads than cores only slow a program down, and thousands exhaust
// memory).
inline constexpr int kMaxThreads = 256;
void set_num_threads(int threads);
int get_num_threads();
// "0.1.0"
std::string version();

// Warnings: things that work but are probably not what the caller meant (PyTorch's
// UserWarning), e.g. reading grad() of a non-leaf. Passed to the handler, which by default
// writes "xgrad warning: <message>" to std::cerr; set_warning_handler(nullptr) restores
// that. The handler is process-wide and may be called from any thread.
using WarningHandler = std::function<void(const std::string& message)>;
void set_warning_handler(WarningHandler handler);
void warn(const std::string& message);

}  // namespace xg
