// bench_compare_blas: raw cblas_sgemm measurements, the GEMM ceiling xgrad's matmul is
// compared with, and the kernel probe. Links OpenBLAS only (no xgrad, whose load-time
// kernel selection would otherwise change what is measured, and no libtorch).
//
//   bench_compare_blas --run gemm/1024 --threads 1   one measurement (a JSON line)
//   bench_compare_blas --probe                        {"kernel": ..., "gflops": ...}: the
//                                                     kernel OpenBLAS uses in this
//                                                     environment and its sgemm 1024 rate
//                                                     on one thread
// bench_compare starts it with OPENBLAS_CORETYPE set to the best kernel it probed and
// OPENBLAS_NUM_THREADS to the thread count.
#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <exception>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "common.hpp"

namespace bench {
namespace {

std::vector<float> random_matrix(std::int64_t rows, std::int64_t cols, std::mt19937& gen) {
  std::uniform_real_distribution<float> u(0.0f, 1.0f);
  std::vector<float> v(static_cast<std::size_t>(rows * cols));
  for (float& x : v) x = u(gen);
  return v;
}

struct Product {
  GemmShape s;
  std::vector<float> a, b, c;
};

void run(const Product& p, std::vector<float>& c) {
  const auto& s = p.s;
  // Row-major; A stored m x k (k x m when transposed), B k x n (n x k when transposed).
  cblas_sgemm(CblasRowMajor, s.ta ? CblasTrans : CblasNoTrans, s.tb ? CblasTrans : CblasNoTrans,
              static_cast<blasint>(s.m), static_cast<blasint>(s.n), static_cast<blasint>(s.k), 1.0f,
              p.a.data(), static_cast<blasint>(s.ta ? s.m : s.k), p.b.data(),
              static_cast<blasint>(s.tb ? s.k : s.n), 0.0f, c.data(), static_cast<blasint>(s.n));
}

// Seconds per round of all products (mean over iters after warmup).
double time_products(std::vector<Product>& ps, int warmup, int iters) {
  auto round = [&] {
    for (Product& p : ps) run(p, p.c);
  };
  for (int i = 0; i < warmup; ++i) round();
  const auto t0 = Clock::now();
  for (int i = 0; i < iters; ++i) round();
  return seconds_since(t0) / iters;
}

std::vector<Product> make_products(const std::vector<GemmShape>& shapes) {
  std::mt19937 gen(kSeed);
  std::vector<Product> ps;
  for (const GemmShape& s : shapes) {
    Product p{s, {}, {}, {}};
    p.a = random_matrix(s.m, s.k, gen);
    p.b = random_matrix(s.k, s.n, gen);
    p.c.assign(static_cast<std::size_t>(s.m * s.n), 0.0f);
    ps.push_back(std::move(p));
  }
  return ps;
}

double flops_of(const std::vector<Product>& ps) {
  double f = 0;
  for (const Product& p : ps) f += 2.0 * double(p.s.m) * double(p.s.n) * double(p.s.k);
  return f;
}

}  // namespace

// The GEMM floor of one epoch, measured next to the epoch's own runs so that both see the
// same load: every product of every training step of the epoch (the step's shapes and
// transposes, the last batch smaller), timed through cblas_sgemm; and the sgemm 1024
// rate at that moment, which turns the epoch's FLOPs into the "GEMM limit".
void epoch_floor(const Workload& w, Result& r) {
  const std::int64_t n = kFashionTrainSize, b = w.size;
  const std::int64_t batches =
      std::max<std::int64_t>(1, std::llround(double((n + b - 1) / b) * w.epoch_fraction));
  const std::int64_t last = std::min(b, n - (batches - 1) * b);
  std::vector<Product> full = make_products(mlp_gemms(b));
  std::vector<Product> tail = make_products(mlp_gemms(last));
  std::vector<Product> big = make_products({{"1024^3", false, false, 1024, 1024, 1024}});
  MemoryProbe mem;
  mem.begin();
  const double t_full = time_products(full, 20, static_cast<int>(batches - 1));
  const double t_tail = time_products(tail, 1, 1);
  const double floor_s = t_full * double(batches - 1) + t_tail;
  const double rate_1024 = flops_of(big) * 1e-9 / time_products(big, 1, 4);
  mem.end(r);
  const double gflop = mlp_epoch_flops(std::min(n, batches * b)) * 1e-9;
  r.time = floor_s;
  r.extra["gflop"] = gflop;
  r.extra["sgemm1024_gflops"] = rate_1024;
  r.extra["limit_s"] = gflop / rate_1024;  // the GEMM limit
  r.extra["step_layout_gflops"] = gflop / floor_s;
}

// gemm workloads: the same products as the xgrad side's xg::matmul (plain A @ B), plus,
// for the MLP shapes, the rate with the transposes the training step really uses.
// mlp_epoch workloads: the epoch's GEMM floor (epoch_floor).
void run_blas(const Workload& w, int threads, Result& r) {
  openblas_threads(threads);
  if (w.kind == Kind::mlp_epoch) {
    r.api = "cblas_sgemm (row-major): the epoch's products";
    epoch_floor(w, r);
    return;
  }
  if (w.kind != Kind::gemm) throw std::runtime_error("the blas side runs gemm and epoch floors");
  r.api = "cblas_sgemm (row-major)";
  std::vector<GemmShape> plain;  // as the xgrad side: A @ B, no transposes
  if (w.size == 1024) {
    plain.push_back({"1024^3", false, false, 1024, 1024, 1024});
  } else {
    for (GemmShape s : mlp_gemms(w.size)) {
      s.ta = s.tb = false;
      plain.push_back(s);
    }
  }
  std::vector<Product> ps = make_products(plain);
  MemoryProbe mem;
  mem.begin();
  const double t = time_products(ps, w.warmup, w.iters);
  mem.end(r);
  r.time = t * unit_scale(w);
  r.extra["gflops"] = flops_of(ps) * 1e-9 / t;
  if (w.size != 1024) {
    // The same products with the training step's own transposes.
    std::vector<Product> step = make_products(mlp_gemms(w.size));
    const double ts = time_products(step, w.warmup, w.iters);
    r.extra["gflops_step_layout"] = flops_of(step) * 1e-9 / ts;
    r.extra["ms_step_layout"] = ts * 1e3;
  }
}

// sgemm 1024 x 1024 x 1024 on one thread: GFLOP/s, best of three.
double probe_sgemm_gflops() {
  openblas_threads(1);
  std::vector<Product> ps = make_products({{"1024^3", false, false, 1024, 1024, 1024}});
  double best = 0;
  time_products(ps, 1, 1);
  for (int i = 0; i < 3; ++i) best = std::max(best, flops_of(ps) * 1e-9 / time_products(ps, 0, 2));
  return best;
}

}  // namespace bench

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]) == "--probe") {
      const double g = bench::probe_sgemm_gflops();
      std::printf("{\"kernel\":\"%s\",\"gflops\":%.3f}\n", bench::openblas_corename().c_str(), g);
      return 0;
    }
  }
  bench::ChildArgs args;
  if (!bench::parse_child_args(argc, argv, args)) {
    std::fprintf(stderr,
                 "usage: bench_compare_blas --run WORKLOAD --threads N [--scale F] | --probe\n");
    return 2;
  }
  try {
    const bench::Workload w = bench::scaled(bench::find_workload(args.workload), args.scale);
    bench::Result r;
    r.workload = w.name;
    r.side = "blas";
    r.threads = args.threads;
    bench::run_blas(w, args.threads, r);
    r.kernel = bench::openblas_corename();
    std::printf("%s\n", r.to_json().c_str());
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_compare_blas %s: %s\n", args.workload.c_str(), e.what());
    return 1;
  }
}
