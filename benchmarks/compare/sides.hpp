// The libtorch side of bench_compare, run in a child process of the driver (main.cpp).
#pragma once

#include "common.hpp"

namespace bench {

// One libtorch measurement of w (any kind but gemm) on `threads` threads (torch_side.cpp).
void run_torch(const Workload& w, int threads, Result& r);

}  // namespace bench
