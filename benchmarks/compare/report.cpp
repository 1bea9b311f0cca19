// See report.hpp.
#include "report.hpp"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <optional>

namespace bench {

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

double median(std::vector<double> v) {
  v.erase(std::remove_if(v.begin(), v.end(), [](double x) { return !std::isfinite(x); }), v.end());
  if (v.empty()) return NAN;
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

double median_of(const Series& s, const std::string& key) {
  std::vector<double> v;
  for (const json& r : s.runs) {
    if (r.contains(key) && r[key].is_number()) v.push_back(r[key].get<double>());
  }
  return median(v);
}

double median_extra(const Series& s, const std::string& key) {
  std::vector<double> v;
  for (const json& r : s.runs) {
    const json& e = r["extra"];
    if (e.contains(key) && e[key].is_number()) v.push_back(e[key].get<double>());
  }
  return median(v);
}

double Row::ratio_of_medians() const { return median_of(xgrad, "time") / median_of(ref, "time"); }

double Row::ratio() const { return pair_ratios.empty() ? ratio_of_medians() : median(pair_ratios); }

namespace {

std::string fmt(const char* f, double v) {
  if (!std::isfinite(v)) return "-";
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

std::string notes(const Row& r) {
  switch (r.w->kind) {
    case bench::Kind::mlp_epoch:
      return "test acc " + fmt("%.2f%%", 100 * median_extra(r.xgrad, "test_accuracy")) + " / " +
             fmt("%.2f%%", 100 * median_extra(r.ref, "test_accuracy"));
    case bench::Kind::xor_step:
      return "final loss " + fmt("%.4g", median_extra(r.xgrad, "loss_last4")) + " / " +
             fmt("%.4g", median_extra(r.ref, "loss_last4"));
    case bench::Kind::mlp_step:
    case bench::Kind::matmul:
    case bench::Kind::gemm:
      return "GFLOP/s " + fmt("%.1f", median_extra(r.xgrad, "gflops")) + " / " +
             fmt("%.1f", median_extra(r.ref, "gflops"));
    case bench::Kind::softmax_ce:
      return "loss " + fmt("%.5f", median_extra(r.xgrad, "loss")) + " / " +
             fmt("%.5f", median_extra(r.ref, "loss"));
    default: return "";
  }
}

// "391.0 (+12.3)": median peak RSS during the workload, and how far it rose above the
// RSS at its start (libraries and data loaded), in MiB.
std::string peak_cell(const Series& s) {
  std::vector<double> growth;
  for (const json& r : s.runs) {
    growth.push_back(r["peak_kib"].get<double>() - r["rss_start_kib"].get<double>());
  }
  return fmt("%.1f", median_of(s, "peak_kib") / 1024) + " (+" + fmt("%.1f", median(growth) / 1024) +
         ")";
}

// "1.213 [1.16-1.26]": the median of the per-repetition ratios and their range.
std::string ratio_cell(const Row& r) {
  std::string cell = fmt("%.3f", r.ratio());
  if (r.pair_ratios.size() > 1) {
    const auto [lo, hi] = std::minmax_element(r.pair_ratios.begin(), r.pair_ratios.end());
    cell += " [" + fmt("%.2f", *lo) + "-" + fmt("%.2f", *hi) + "]";
  }
  return cell;
}

const Row* find_row(const std::vector<Row>& rows, const std::string& name, int threads) {
  for (const Row& r : rows) {
    if (r.w->name == name && r.threads == threads) return &r;
  }
  return nullptr;
}

struct Target {
  std::string what, measured, goal;
  std::optional<bool> met;  // nullopt: not measured
};

std::vector<Target> check_targets(const std::vector<Row>& rows, json& limits) {
  std::vector<Target> t;
  auto add = [&](const std::string& what, double v, double goal, bool at_most) {
    t.push_back(
        {what, fmt("%.3f", v), (at_most ? "<= " : ">= ") + fmt("%.2f", goal),
         std::isfinite(v) ? std::optional<bool>(at_most ? v <= goal : v >= goal) : std::nullopt});
  };
  auto ratio_target = [&](const std::string& name, int threads, double goal, const char* label) {
    if (const Row* r = find_row(rows, name, threads)) add(label, r->ratio(), goal, true);
  };
  ratio_target("mlp_epoch/b64", 1, 0.5, "MLP epoch b64 1T: xgrad/libtorch");
  ratio_target("mlp_epoch/b256", 1, 0.7, "MLP epoch b256 1T: xgrad/libtorch");
  ratio_target("mlp_epoch/b64", 2, 0.999, "MLP epoch b64 2T: xgrad/libtorch (faster)");
  ratio_target("mlp_epoch/b256", 2, 0.999, "MLP epoch b256 2T: xgrad/libtorch (faster)");
  ratio_target("xor_step", 1, 0.1, "XOR step 1T: xgrad/libtorch");

  // GEMM limit: the epoch's FLOPs at the sgemm 1024 rate, both measured by
  // bench_compare_blas right after each pair of epoch runs (see blas_side.cpp).
  limits = json::array();
  for (const Row& r : rows) {
    if (r.w->kind != bench::Kind::mlp_epoch) continue;
    const double x_limit = median(r.limit_ratios[0]);
    limits.push_back({{"workload", r.w->name},
                      {"threads", r.threads},
                      {"epoch_gflop", median_extra(r.floor, "gflop")},
                      {"sgemm1024_gflops", median_extra(r.floor, "sgemm1024_gflops")},
                      {"limit_s", median_extra(r.floor, "limit_s")},
                      {"floor_s", median_of(r.floor, "time")},
                      {"xgrad_over_limit", x_limit},
                      {"torch_over_limit", median(r.limit_ratios[1])},
                      {"xgrad_over_floor", median(r.floor_ratios[0])},
                      {"torch_over_floor", median(r.floor_ratios[1])},
                      {"floor_runs", r.floor.runs}});
    if (r.threads == 1) {
      add("MLP epoch b" + std::to_string(r.w->size) + " 1T: xgrad time / GEMM limit", x_limit, 1.3,
          true);
    }
  }
  if (const Row* g = find_row(rows, "gemm/1024", 1)) {
    add("matmul 1024 1T: xg::matmul GFLOP/s / cblas_sgemm GFLOP/s", 1.0 / g->ratio(), 0.85, false);
  }
  for (const Row& r : rows) {
    if (r.w->kind != bench::Kind::mlp_epoch) continue;
    const std::string tag = r.w->name + " " + std::to_string(r.threads) + "T";
    const double px = median_of(r.xgrad, "peak_kib") / 1024,
                 pt = median_of(r.ref, "peak_kib") / 1024;
    t.push_back({tag + ": peak RSS xgrad <= libtorch (MiB)",
                 fmt("%.1f", px) + " vs " + fmt("%.1f", pt),
                 "<=", std::isfinite(px + pt) ? std::optional<bool>(px <= pt) : std::nullopt});
    const double ax = median_extra(r.xgrad, "test_accuracy"),
                 at = median_extra(r.ref, "test_accuracy");
    t.push_back(
        {tag + ": |test accuracy difference| (points)", fmt("%.2f", 100 * std::fabs(ax - at)),
         "<= 1.00",
         std::isfinite(ax + at) ? std::optional<bool>(std::fabs(ax - at) <= 0.01) : std::nullopt});
  }
  return t;
}

}  // namespace

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
  }
  return "unknown";
}

std::string loadavg() {
  std::ifstream in("/proc/loadavg");
  std::string a, b, c;
  in >> a >> b >> c;
  return a + " " + b + " " + c;
}

std::string now_string(const char* format) {
  const std::time_t t = std::time(nullptr);
  char buf[64];
  std::strftime(buf, sizeof buf, format, std::localtime(&t));
  return buf;
}

namespace {

json series_json(const Series& s) {
  json j;
  std::vector<double> times, peaks, starts;
  for (const json& r : s.runs) {
    times.push_back(r["time"].get<double>());
    peaks.push_back(r["peak_kib"].get<double>());
    starts.push_back(r["rss_start_kib"].get<double>());
  }
  j["rss_start_kib"] = starts;
  j["times"] = times;
  j["peak_kib"] = peaks;
  j["median_time"] = median(times);
  j["median_peak_kib"] = median(peaks);
  j["failures"] = s.failures;
  j["runs"] = s.runs;
  return j;
}

}  // namespace

json report(const RunInfo& info, const std::vector<Row>& rows) {
  std::string xgrad_kernel = "?", ref_kernel = "?", torch_api, xgrad_api;
  for (const Row& r : rows) {
    for (const json& j : r.xgrad.runs) {
      xgrad_kernel = j["kernel"];
      if (r.w->kind == bench::Kind::mlp_epoch) xgrad_api = j["api"];
    }
    for (const json& j : r.ref.runs) {
      ref_kernel = j["kernel"];
      if (r.w->kind == bench::Kind::mlp_epoch) torch_api = j["api"];
    }
  }
  std::printf(
      "\nxgrad vs libtorch, %s, CPU: %s, %d alternating runs per side: median times, and the "
      "median [range] of the per-run ratios (ratio < 1: xgrad faster)\n",
      info.started.c_str(), cpu_model().c_str(), info.reps);
  std::printf("xgrad source: %s\n", info.source.c_str());
  std::printf(
      "OpenBLAS kernel: xgrad %s (no environment variables); libtorch/cblas %s "
      "(OPENBLAS_CORETYPE=%s)\n",
      xgrad_kernel.c_str(), ref_kernel.c_str(), info.coretype.c_str());
  if (!xgrad_api.empty()) std::printf("xgrad API: %s\n", xgrad_api.c_str());
  if (!torch_api.empty()) std::printf("libtorch API: %s (grads set to none)\n", torch_api.c_str());
  std::printf(
      "\n| threads | workload | unit | xgrad | reference | ratio xgrad/ref [range] | xgrad peak "
      "MiB "
      "(+growth) | ref peak MiB (+growth) | notes (xgrad / ref) |\n");
  std::printf("|---|---|---|---|---|---|---|---|---|\n");
  for (const Row& r : rows) {
    const double x = median_of(r.xgrad, "time"), t = median_of(r.ref, "time");
    const char* f = x < 0.1 || t < 0.1 ? "%.4f" : "%.3f";
    std::printf("| %d | %s | %s | %s | %s (%s) | %s | %s | %s | %s |\n", r.threads,
                r.w->name.c_str(), r.w->unit, fmt(f, x).c_str(), fmt(f, t).c_str(), r.w->reference,
                ratio_cell(r).c_str(), peak_cell(r.xgrad).c_str(), peak_cell(r.ref).c_str(),
                notes(r).c_str());
  }

  json limits;
  const std::vector<Target> targets = check_targets(rows, limits);
  std::printf("\nTargets (issue 6):\n");
  for (const Target& t : targets) {
    std::printf("  %-70s %-18s %-9s %s\n", t.what.c_str(), t.measured.c_str(), t.goal.c_str(),
                !t.met   ? "not measured"
                : *t.met ? "met"
                         : "NOT MET");
  }
  if (!limits.empty()) {
    std::printf(
        "\nGEMM limit and floor of each epoch, measured by cblas_sgemm right after each pair "
        "of runs:\n  limit = the epoch's FLOPs at the sgemm 1024 rate; floor = the epoch's own "
        "products (shapes and transposes of each step) timed through cblas_sgemm\n\n");
    std::printf(
        "| threads | workload | GFLOP | sgemm 1024 GFLOP/s | limit s | floor s | "
        "xgrad/limit | libtorch/limit | xgrad/floor | libtorch/floor |\n");
    std::printf("|---|---|---|---|---|---|---|---|---|---|\n");
    for (const json& l : limits) {
      auto num = [&](const char* k, const char* f) {
        return fmt(f, l[k].is_number() ? l[k].get<double>() : NAN);
      };
      std::printf("| %d | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", l["threads"].get<int>(),
                  l["workload"].get<std::string>().c_str(), num("epoch_gflop", "%.1f").c_str(),
                  num("sgemm1024_gflops", "%.1f").c_str(), num("limit_s", "%.3f").c_str(),
                  num("floor_s", "%.3f").c_str(), num("xgrad_over_limit", "%.2f").c_str(),
                  num("torch_over_limit", "%.2f").c_str(), num("xgrad_over_floor", "%.2f").c_str(),
                  num("torch_over_floor", "%.2f").c_str());
    }
  }
  std::printf("load average before/after: %s / %s\n", info.load_before.c_str(),
              info.load_after.c_str());

  // JSON: everything above, and every run of every child.
  json out;
  out["started"] = info.started;
  out["xgrad_source"] = info.source;
  out["cpu"] = cpu_model();
  out["online_cores"] = sysconf(_SC_NPROCESSORS_ONLN);
  out["loadavg_before"] = info.load_before;
  out["loadavg_after"] = info.load_after;
  out["reps"] = info.reps;
  out["scale"] = info.scale;
  out["reference_coretype"] = info.coretype;
  out["xgrad_kernel"] = xgrad_kernel;
  out["reference_kernel"] = ref_kernel;
  json pj = json::array();
  for (const Probe& p : info.probes) {
    pj.push_back(
        {{"requested", p.requested}, {"kernel", p.kernel}, {"sgemm1024_gflops", p.gflops}});
  }
  out["kernel_probe"] = pj;
  out["memory_method"] =
      "VmHWM of the child process, reset via /proc/self/clear_refs right before the measured "
      "part (peak_reset says whether the reset worked), read right after it";
  json rj = json::array();
  for (const Row& r : rows) {
    rj.push_back({{"workload", r.w->name},
                  {"threads", r.threads},
                  {"unit", r.w->unit},
                  {"reference", r.w->reference},
                  {"ratio", r.ratio()},
                  {"pair_ratios", r.pair_ratios},
                  {"ratio_of_medians", r.ratio_of_medians()},
                  {"xgrad", series_json(r.xgrad)},
                  {"ref", series_json(r.ref)}});
  }
  out["results"] = rj;
  out["gemm_limit"] = limits;
  json tj = json::array();
  for (const Target& t : targets) {
    tj.push_back({{"target", t.what},
                  {"measured", t.measured},
                  {"goal", t.goal},
                  {"met", t.met ? json(*t.met) : json(nullptr)}});
  }
  out["targets"] = tj;
  return out;
}

}  // namespace bench
