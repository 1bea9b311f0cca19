// Shared by the side-by-side benchmark's processes: the workload table, the result a
// child process reports, memory and time measurement, and the pieces both sides must
// agree on (batch order, initial weights, data) so that xgrad and libtorch do identical
// work.
//
// Processes (see benchmarks/README.md, "bench_compare"):
//   bench_compare                 the driver: probes the best OpenBLAS kernel, runs every
//                                 measurement in a fresh child process, alternating sides,
//                                 prints the table and writes JSON.
//   bench_compare_xgrad --run W   one xgrad measurement (links xgrad only, so libtorch's
//                                 code and static data never count in xgrad's memory).
//   bench_compare --side torch --run W
//                                 one libtorch measurement.
//   bench_compare_blas --run W / --probe
//                                 one raw cblas_sgemm measurement, or the sgemm rate of the
//                                 kernel OpenBLAS uses (links OpenBLAS only).
// This header and common.cpp use no xgrad or libtorch code; models.hpp holds what both
// sides build with xgrad.
// A child prints exactly one line to stdout: a JSON object (see Result::to_json).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace bench {

// --- workloads ----------------------------------------------------------------------------

enum class Kind {
  mlp_epoch,    // one epoch of Fashion-MNIST, MLP 784-256-128-10; seconds
  xor_step,     // 2-16-1 tanh/sigmoid, one sample per SGD step; microseconds per step
  mlp_step,     // zero_grad + forward + cross-entropy + backward of one batch; ms
  matmul,       // n x n matmul forward + backward; ms
  elementwise,  // add/mul/exp of 1M floats forward + backward; ms
  softmax_ce,   // cross_entropy on 256 x 1000 logits, forward + backward; ms
  gemm,         // forward product only, no graph: xg::matmul vs raw cblas_sgemm; ms
};

struct Workload {
  std::string name;  // "mlp_epoch/b64", "matmul/256", ...
  Kind kind;
  std::int64_t size;            // batch size, matrix size, or element count
  std::string op;               // elementwise: "add", "mul", "exp"
  int iters;                    // timed iterations per process (1 for an epoch)
  int warmup;                   // untimed iterations before
  const char* unit;             // "s", "ms", "us": the unit of one iteration's time
  const char* reference;        // what the other side is: "libtorch" or "cblas_sgemm"
  double epoch_fraction = 1.0;  // mlp_epoch: the share of the epoch's batches to run
};

// Every workload, in the order they are run and printed.
const std::vector<Workload>& workloads();
// The workload of that name; throws std::runtime_error if there is none.
const Workload& find_workload(const std::string& name);
// Seconds -> the workload's unit.
double unit_scale(const Workload& w);

// --- hyperparameters both sides use -------------------------------------------------

constexpr std::uint64_t kSeed = 1234;  // weights (xg::manual_seed) and batch order
constexpr double kMlpLr = 0.01;
constexpr double kMlpMomentum = 0.9;
constexpr double kXorLr = 0.1;
constexpr double kXorMomentum = 0.9;
constexpr std::int64_t kMlpSizes[4] = {784, 256, 128, 10};
constexpr std::int64_t kFashionTrainSize = 60000;  // images in Fashion-MNIST's train split

// The sample order of the epoch: a permutation of 0..n-1 from std::mt19937_64(kSeed)
// (Fisher-Yates written out, so it is the same with every standard library).
std::vector<std::int64_t> epoch_order(std::int64_t n);

// Multiply-add FLOPs (2 per multiply-add) of one MLP training step on `batch` samples:
// forward, weight gradients of all layers, input gradients of layers 2 and 3.
double mlp_step_flops(std::int64_t batch);
// The same summed over one epoch of n samples (any batch size: FLOPs are linear in it).
double mlp_epoch_flops(std::int64_t n);

// One GEMM of an MLP training step: C (m x n) = op(A) op(B), inner size k.
struct GemmShape {
  const char* what;
  bool ta, tb;
  std::int64_t m, n, k;
};
// The eight products of one training step at batch b, with the transposes the MLP uses
// (forward x W^T, weight gradient G^T X, input gradient G W).
std::vector<GemmShape> mlp_gemms(std::int64_t b);

// Inputs of the micro workloads, the same values on both sides (each side makes its own
// tensors from them): uniform in [0, 1), standard normal, class indices in [0, classes).
std::vector<float> uniform_floats(std::int64_t n, std::uint64_t seed);
std::vector<float> normal_floats(std::int64_t n, std::uint64_t seed);
std::vector<std::int64_t> class_indices(std::int64_t n, std::int64_t classes, std::uint64_t seed);

// --- measurement ---------------------------------------------------------------------

using Clock = std::chrono::steady_clock;
inline double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// VmRSS / VmHWM of this process from /proc/self/status, in KiB (0 if unreadable).
std::int64_t rss_kib();
std::int64_t peak_rss_kib();
// Resets VmHWM to the current RSS (writes "5" to /proc/self/clear_refs, Linux >= 4.0).
// Returns false when the kernel refuses; the peak then counts from exec.
bool reset_peak_rss();

// What one child process measured.
struct Result {
  std::string workload;
  std::string side;  // "xgrad", "torch" or "blas"
  int threads = 1;
  double time = 0;                      // one iteration, in the workload's unit
  std::int64_t rss_start_kib = 0;       // RSS when the measured part began (data loaded)
  std::int64_t peak_kib = 0;            // VmHWM during the measured part (whole process)
  bool peak_reset = false;              // whether VmHWM was reset at the start
  std::string kernel;                   // openblas_get_corename() in this process
  std::string api;                      // which API the side used
  std::map<std::string, double> extra;  // accuracy, loss, GFLOP/s, ...
  std::string to_json() const;
};

// Fills the memory fields: call begin() right before the measured part, end() after.
struct MemoryProbe {
  std::int64_t start = 0;
  bool reset = false;
  void begin() {
    start = rss_kib();
    reset = reset_peak_rss();
  }
  void end(Result& r) const {
    r.rss_start_kib = start;
    r.peak_kib = peak_rss_kib();
    r.peak_reset = reset;
  }
};

// The OpenBLAS kernel in this process ("unknown" if not OpenBLAS), via dlsym.
std::string openblas_corename();
// openblas_set_num_threads via dlsym (no-op for another BLAS).
void openblas_threads(int n);

// A child's command line: --run W --threads N [--scale F]. scale multiplies the
// iteration counts (at least 1 remains; for an epoch: the fraction of its batches), for
// quick checks and profiling runs.
struct ChildArgs {
  std::string workload;
  int threads = 1;
  double scale = 1.0;
};
// Returns false on a usage error.
bool parse_child_args(int argc, char** argv, ChildArgs& args);
// The workload's iteration counts multiplied by scale (at least 1 timed, 0 or more warm-up).
Workload scaled(const Workload& w, double scale);

}  // namespace bench
