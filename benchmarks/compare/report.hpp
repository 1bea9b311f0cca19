// The driver's bookkeeping and output: the runs of each (workload, thread count), their
// medians, the markdown table, the issue-6 targets and the JSON document.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common.hpp"

namespace bench {

using json = nlohmann::json;

// One OPENBLAS_CORETYPE candidate of the start-up probe.
struct Probe {
  std::string requested;  // "" = OpenBLAS's own choice
  std::string kernel;
  double gflops = 0;
};

// The runs of one side of one row.
struct Series {
  std::vector<json> runs;  // successful child results (Result::to_json, parsed)
  int failures = 0;
};

// One workload at one thread count: both sides.
struct Row {
  const Workload* w;
  int threads;
  Series xgrad, ref;
  // xgrad time / reference time of each repetition whose two runs both succeeded.
  std::vector<double> pair_ratios;
  // mlp_epoch only: the GEMM floor measured after each pair (bench_compare_blas), and each
  // side's time over the GEMM limit ([0] xgrad, [1] libtorch; NaN where a side failed)
  // and over the floor.
  Series floor;
  std::vector<double> limit_ratios[2];
  std::vector<double> floor_ratios[2];
  // The median of pair_ratios (the ratio of the median times if there are none).
  double ratio() const;
  double ratio_of_medians() const;
};

double median(std::vector<double> v);                          // NaN for no values
double median_of(const Series& s, const std::string& key);     // a top-level number
double median_extra(const Series& s, const std::string& key);  // a number in "extra"

// What the report says about the run besides the rows.
struct RunInfo {
  std::string started;  // local time
  std::string load_before, load_after;
  std::string coretype;  // OPENBLAS_CORETYPE of the reference side
  std::string source;    // the xgrad source measured: "git 5087a2b + 3 modified files"
  int reps = 0;
  double scale = 1.0;
  std::vector<Probe> probes;
};

// Prints the table, the targets and the GEMM limit to stdout; returns the JSON document.
json report(const RunInfo& info, const std::vector<Row>& rows);

std::string cpu_model();                     // /proc/cpuinfo "model name"
std::string loadavg();                       // "1.00 0.50 0.25"
std::string now_string(const char* format);  // strftime of the local time
std::string lower(std::string s);

}  // namespace bench
