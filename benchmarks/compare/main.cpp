// bench_compare: xgrad against libtorch, side by side, on this machine.
//
//   bench_compare [--threads 1,2] [--reps 5] [--only mlp_epoch,xor] [--json PATH | --no-json]
//                 [--torch-coretype SkylakeX] [--scale F] [--list]
//
// Method (see benchmarks/README.md):
// - Every measurement runs in a fresh child process, so that each side gets its own
//   environment and its own memory peak: the xgrad side (bench_compare_xgrad, which does
//   not link libtorch) with no OpenBLAS/OpenMP variables at all, as a user runs it; the
//   libtorch side (this executable, --side torch) and the raw-BLAS side
//   (bench_compare_blas) with OPENBLAS_CORETYPE set to the fastest kernel probed at
//   start-up (by bench_compare_blas --probe) and the thread variables set to the thread
//   count.
//   OpenBLAS reads OPENBLAS_CORETYPE once, when it is loaded, hence processes rather than
//   one process switching sides.
// - For each thread count and workload, the two sides alternate (xgrad, reference,
//   xgrad, reference, ...) --reps times; the table shows the median time of each side and
//   the median of the per-repetition ratios (each taken from two adjacent runs, so a load
//   change on the shared machine between repetitions cancels out), with their range. GEMM workloads
//   compare xg::matmul with raw cblas_sgemm (bench_compare_blas).
// - Peak memory: each child resets its VmHWM (/proc/self/clear_refs) right before the
//   measured part and reads VmHWM after it: the largest resident set of the process while
//   the workload ran (libraries, data set and all). ru_maxrss from wait4 is not used: it
//   also counts the parent's resident set inherited across fork/exec.
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "common.hpp"
#include "report.hpp"
#include "sides.hpp"

extern char** environ;

namespace {

using bench::json;
using bench::lower;
using bench::Probe;
using bench::Row;
using bench::Series;
using bench::Workload;

struct Options {
  std::vector<int> threads = {1, 2};
  int reps = 5;
  std::vector<std::string> only;  // substrings of workload names; empty: all
  std::string json_path;          // empty: benchmarks/results/<date>.json
  bool write_json = true;
  std::string coretype;  // empty: probe
  double scale = 1.0;
};

std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  std::string item;
  while (std::getline(in, item, ',')) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

std::string exe_dir() {
  return std::filesystem::read_symlink("/proc/self/exe").parent_path().string();
}

// Environment changes for a child: name -> value, or nullopt to remove the variable.
using EnvChanges = std::map<std::string, std::optional<std::string>>;

struct ChildOutput {
  int status = -1;  // exit code, or -1 if it did not exit normally
  std::string out;
};

ChildOutput spawn(const std::string& exe, const std::vector<std::string>& args,
                  const EnvChanges& env) {
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string kv = *e;
    const std::string key = kv.substr(0, kv.find('='));
    if (env.count(key) == 0) env_strings.push_back(kv);
  }
  for (const auto& [k, v] : env) {
    if (v) env_strings.push_back(k + "=" + *v);
  }
  std::vector<char*> envp, argv;
  for (std::string& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> all_args = {exe};
  all_args.insert(all_args.end(), args.begin(), args.end());
  for (std::string& s : all_args) argv.push_back(s.data());
  argv.push_back(nullptr);

  int fds[2];
  if (pipe(fds) != 0) return {};
  std::fflush(nullptr);
  const pid_t pid = fork();
  if (pid < 0) return {};
  if (pid == 0) {
    dup2(fds[1], STDOUT_FILENO);
    close(fds[0]);
    close(fds[1]);
    execve(exe.c_str(), argv.data(), envp.data());
    std::perror(("exec " + exe).c_str());
    _exit(127);
  }
  close(fds[1]);
  ChildOutput result;
  char buf[4096];
  ssize_t got;
  while ((got = read(fds[0], buf, sizeof buf)) > 0)
    result.out.append(buf, static_cast<std::size_t>(got));
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  result.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

std::optional<json> last_json_line(const std::string& out) {
  std::stringstream in(out);
  std::string line, last;
  while (std::getline(in, line)) {
    if (!line.empty() && line[0] == '{') last = line;
  }
  if (last.empty()) return std::nullopt;
  try {
    return json::parse(last);
  } catch (const json::exception&) {
    return std::nullopt;
  }
}

// Variables that steer BLAS or OpenMP: the xgrad side runs without any of them.
EnvChanges xgrad_env() {
  EnvChanges e;
  for (const char* k :
       {"OPENBLAS_CORETYPE", "OPENBLAS_NUM_THREADS", "OPENBLAS_VERBOSE", "GOTO_NUM_THREADS",
        "OMP_NUM_THREADS", "OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "MKL_NUM_THREADS"}) {
    e[k] = std::nullopt;
  }
  return e;
}

// libtorch at its best. OMP_WAIT_POLICY=PASSIVE: libtorch runs its own loops on libgomp
// threads and its GEMMs on OpenBLAS's pthreads; with libgomp's default spin-waiting the
// two pools fight over the cores, and measured here an epoch at 2 threads took 70-80 s
// instead of about 1.3 s.
EnvChanges reference_env(const std::string& coretype, int threads) {
  EnvChanges e = xgrad_env();
  if (!coretype.empty()) e["OPENBLAS_CORETYPE"] = coretype;
  e["OPENBLAS_NUM_THREADS"] = std::to_string(threads);
  e["OMP_NUM_THREADS"] = std::to_string(threads);
  e["OMP_WAIT_POLICY"] = "PASSIVE";
  return e;
}

// --- kernel probe ---------------------------------------------------------------------

std::vector<Probe> probe_kernels(const std::string& blas_exe) {
  std::vector<Probe> probes;
  for (const char* k :
       {"", "Prescott", "Haswell", "Zen", "SkylakeX", "Cooperlake", "SapphireRapids"}) {
    EnvChanges env = xgrad_env();
    if (*k != '\0') env["OPENBLAS_CORETYPE"] = std::string(k);
    env["OPENBLAS_NUM_THREADS"] = "1";
    const ChildOutput c = spawn(blas_exe, {"--probe"}, env);
    const auto j = last_json_line(c.out);
    if (c.status != 0 || !j) continue;
    probes.push_back({k, (*j)["kernel"].get<std::string>(), (*j)["gflops"].get<double>()});
    std::fprintf(stderr,
                 "  probe OPENBLAS_CORETYPE=%-15s -> %-14s sgemm 1024, 1 thread: %6.1f GFLOP/s\n",
                 *k ? k : "(unset)", probes.back().kernel.c_str(), probes.back().gflops);
  }
  return probes;
}

// The fastest kernel that OpenBLAS really used when asked for it; within 3% the earlier
// candidate wins (the families share kernels, and noise should not pick the exotic one).
std::string best_kernel(const std::vector<Probe>& probes) {
  const Probe* best = nullptr;
  for (const Probe& p : probes) {
    if (p.requested.empty() || lower(p.kernel) != lower(p.requested)) continue;
    if (best == nullptr || p.gflops > best->gflops * 1.03) best = &p;
  }
  return best != nullptr ? best->requested : "";
}

void run_measurements(const std::string& self, const std::string& xgrad_exe,
                      const std::string& blas_exe, const Options& o, const std::string& coretype,
                      std::vector<Row>& rows) {
  std::vector<std::string> scale_args;
  if (o.scale != 1.0) scale_args = {"--scale", std::to_string(o.scale)};
  for (int t : o.threads) {
    for (const Workload& w : bench::workloads()) {
      if (!o.only.empty() && std::none_of(o.only.begin(), o.only.end(), [&](const std::string& s) {
            return w.name.find(s) != std::string::npos;
          })) {
        continue;
      }
      Row row{&w, t, {}, {}, {}, {}, {}, {}};
      const bool gemm = w.kind == bench::Kind::gemm;
      for (int rep = 0; rep < o.reps; ++rep) {
        double pair[2] = {NAN, NAN};  // this repetition's time of each side
        for (int side = 0; side < 2; ++side) {
          std::vector<std::string> args = {"--run", w.name, "--threads", std::to_string(t)};
          args.insert(args.end(), scale_args.begin(), scale_args.end());
          ChildOutput c;
          if (side == 0) {
            c = spawn(xgrad_exe, args, xgrad_env());
          } else if (gemm) {
            c = spawn(blas_exe, args, reference_env(coretype, t));
          } else {
            args.insert(args.begin(), {"--side", "torch"});
            c = spawn(self, args, reference_env(coretype, t));
          }
          Series& s = side == 0 ? row.xgrad : row.ref;
          const auto j = last_json_line(c.out);
          if (c.status != 0 || !j) {
            ++s.failures;
            std::fprintf(stderr, "  %-20s %dT rep %d %-6s FAILED (exit %d)\n", w.name.c_str(), t,
                         rep,
                         side == 0 ? "xgrad"
                         : gemm    ? "blas"
                                   : "torch",
                         c.status);
            continue;
          }
          s.runs.push_back(*j);
          pair[side] = (*j)["time"].get<double>();
          std::fprintf(stderr, "  %-20s %dT rep %d %-6s %10.4f %s  peak %7.1f MiB\n",
                       w.name.c_str(), t, rep,
                       side == 0 ? "xgrad"
                       : gemm    ? "blas"
                                 : "torch",
                       (*j)["time"].get<double>(), w.unit, (*j)["peak_kib"].get<double>() / 1024.0);
        }
        if (std::isfinite(pair[0]) && std::isfinite(pair[1])) {
          row.pair_ratios.push_back(pair[0] / pair[1]);
        }
        if (w.kind == bench::Kind::mlp_epoch) {
          // The epoch's GEMM floor and limit, measured right after the pair (same load).
          std::vector<std::string> args = {"--run", w.name, "--threads", std::to_string(t)};
          args.insert(args.end(), scale_args.begin(), scale_args.end());
          const ChildOutput c = spawn(blas_exe, args, reference_env(coretype, t));
          const auto j = last_json_line(c.out);
          if (c.status != 0 || !j) {
            ++row.floor.failures;
            std::fprintf(stderr, "  %-20s %dT rep %d floor  FAILED (exit %d)\n", w.name.c_str(), t,
                         rep, c.status);
          } else {
            row.floor.runs.push_back(*j);
            const double limit = (*j)["extra"]["limit_s"].get<double>();
            const double floor = (*j)["time"].get<double>();
            row.limit_ratios[0].push_back(pair[0] / limit);
            row.limit_ratios[1].push_back(pair[1] / limit);
            row.floor_ratios[0].push_back(pair[0] / floor);
            row.floor_ratios[1].push_back(pair[1] / floor);
            std::fprintf(stderr, "  %-20s %dT rep %d floor  %10.4f s  (limit %.4f s)\n",
                         w.name.c_str(), t, rep, floor, limit);
          }
        }
      }
      rows.push_back(std::move(row));
    }
  }
}

// The commit of the source tree the benchmark was built from, and how many files differ
// from it, so that results can be matched to code later.
std::string source_version() {
  auto run = [](const std::string& cmd) {
    std::string out;
    if (FILE* p = popen(cmd.c_str(), "r")) {
      char buf[256];
      while (std::fgets(buf, sizeof buf, p) != nullptr) out += buf;
      pclose(p);
    }
    while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
    return out;
  };
  const std::string dir = BENCH_SOURCE_DIR;
  const std::string head = run("git -C '" + dir + "' rev-parse --short HEAD 2>/dev/null");
  if (head.empty()) return "unknown (not a git checkout)";
  const std::string dirty =
      run("git -C '" + dir + "' status --porcelain --untracked-files=no 2>/dev/null | wc -l");
  return "git " + head + (dirty == "0" || dirty.empty() ? "" : " + " + dirty + " modified files");
}

int driver(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw std::runtime_error(a + " needs a value");
      return argv[++i];
    };
    if (a == "--threads") {
      o.threads.clear();
      for (const std::string& s : split_list(value())) o.threads.push_back(std::stoi(s));
    } else if (a == "--reps") {
      o.reps = std::stoi(value());
    } else if (a == "--only") {
      o.only = split_list(value());
    } else if (a == "--json") {
      o.json_path = value();
    } else if (a == "--no-json") {
      o.write_json = false;
    } else if (a == "--torch-coretype") {
      o.coretype = value();
    } else if (a == "--scale") {
      o.scale = std::stod(value());
    } else if (a == "--list") {
      for (const Workload& w : bench::workloads()) {
        std::printf("%-22s %-3s vs %s\n", w.name.c_str(), w.unit, w.reference);
      }
      return 0;
    } else {
      std::fprintf(stderr,
                   "usage: bench_compare [--threads 1,2] [--reps 5] [--only NAME,...] "
                   "[--json PATH | --no-json] [--torch-coretype KERNEL] [--scale F] [--list]\n");
      return 2;
    }
  }
  if (o.reps < 1) throw std::runtime_error("--reps must be at least 1");
  if (o.reps < 5)
    std::fprintf(stderr, "note: --reps %d is below the 5 the method asks for\n", o.reps);

  const std::string dir = exe_dir();
  const std::string self = dir + "/bench_compare";
  const std::string xgrad_exe = dir + "/bench_compare_xgrad";
  const std::string blas_exe = dir + "/bench_compare_blas";
  const std::string load_before = bench::loadavg();
  const std::string started = bench::now_string("%Y-%m-%d %H:%M:%S %z");

  std::fprintf(stderr, "bench_compare: CPU %s, %ld online cores, load %s\n",
               bench::cpu_model().c_str(), sysconf(_SC_NPROCESSORS_ONLN), load_before.c_str());
  std::fprintf(stderr, "probing OpenBLAS kernels for the libtorch side:\n");
  const std::vector<Probe> probes = probe_kernels(blas_exe);
  std::string coretype = o.coretype.empty() ? best_kernel(probes) : o.coretype;
  if (coretype.empty()) {
    std::fprintf(
        stderr,
        "no OPENBLAS_CORETYPE candidate took effect; libtorch runs with OpenBLAS's own choice\n");
  }
  std::fprintf(stderr, "libtorch side: OPENBLAS_CORETYPE=%s; xgrad side: no variables\n",
               coretype.c_str());

  std::vector<Row> rows;
  run_measurements(self, xgrad_exe, blas_exe, o, coretype, rows);

  bench::RunInfo info;
  info.started = started;
  info.source = source_version();
  info.load_before = load_before;
  info.coretype = coretype;
  info.reps = o.reps;
  info.scale = o.scale;
  info.probes = probes;
  info.load_after = bench::loadavg();
  const json out = bench::report(info, rows);
  if (o.write_json) {
    std::string path = o.json_path;
    if (path.empty()) {
      const std::filesystem::path results = BENCH_RESULTS_DIR;
      std::filesystem::create_directories(results);
      const std::string date = bench::now_string("%Y-%m-%d");
      path = (results / (date + ".json")).string();
      for (int k = 2; std::filesystem::exists(path); ++k) {
        path = (results / (date + "-" + std::to_string(k) + ".json")).string();
      }
    }
    std::ofstream f(path);
    f << out.dump(2) << "\n";
    if (!f) throw std::runtime_error("cannot write " + path);
    std::printf("JSON: %s\n", path.c_str());
  }
  return 0;
}

int child(int argc, char** argv, const std::string& side) {
  bench::ChildArgs args;
  if (!bench::parse_child_args(argc, argv, args)) {
    std::fprintf(stderr, "usage: bench_compare --side torch --run WORKLOAD --threads N\n");
    return 2;
  }
  const Workload w = bench::scaled(bench::find_workload(args.workload), args.scale);
  bench::Result r;
  r.workload = w.name;
  r.side = side;
  r.threads = args.threads;
  if (side != "torch") throw std::runtime_error("unknown side '" + side + "'");
  bench::run_torch(w, args.threads, r);
  r.kernel = bench::openblas_corename();
  std::printf("%s\n", r.to_json().c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    for (int i = 1; i < argc; ++i) {
      const std::string a = argv[i];
      if (a == "--side" && i + 1 < argc) return child(argc, argv, argv[i + 1]);
    }
    return driver(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_compare: %s\n", e.what());
    return 1;
  }
}
