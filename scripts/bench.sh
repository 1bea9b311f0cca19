#!/usr/bin/env bash
# Runs the side-by-side benchmark of xgrad against libtorch (issue 6) with one command:
# installs libtorch-dev and the Fashion-MNIST data if missing (apt), builds the benchmarks
# in Release, runs bench_compare, and prints the table (JSON goes to
# benchmarks/results/<date>.json). Arguments are passed on to bench_compare, e.g.
#
#   scripts/bench.sh                          # everything, 1 and 2 threads, 5 runs each
#   scripts/bench.sh --only mlp_epoch --reps 7
#   scripts/bench.sh --threads 1 --json /tmp/bench.json
#
# Environment:
#   XGRAD_BENCH_BUILD_DIR   build directory (default: <repo>/build-bench)
#   XGRAD_JOBS              parallel build jobs (default: nproc)
# The machine should be otherwise idle: every number is a median of alternating runs,
# but a busy machine still widens the spread.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_dir="${XGRAD_BENCH_BUILD_DIR:-${repo_root}/build-bench}"
jobs="${XGRAD_JOBS:-$(nproc)}"

packages=(cmake ninja-build g++ libtorch-dev dataset-fashion-mnist)
missing=()
for pkg in "${packages[@]}"; do
  status="$(dpkg-query -W -f='${db:Status-Abbrev}' "${pkg}" 2>/dev/null || true)"
  [[ "${status}" == ii* ]] || missing+=("${pkg}")
done
if ((${#missing[@]} > 0)); then
  echo "bench: installing ${missing[*]}"
  sudo_cmd=()
  if [[ "$(id -u)" -ne 0 ]]; then
    if ! command -v sudo >/dev/null 2>&1; then
      echo "bench: not root and sudo is not available; as root run: apt-get install ${missing[*]}" >&2
      exit 1
    fi
    sudo_cmd=(sudo)
  fi
  "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
  "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# The rest of xgrad's dependencies are installed by scripts/setup.sh.
cmake -S "${repo_root}" -B "${build_dir}" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DXGRAD_BUILD_TESTS=OFF -DXGRAD_BUILD_EXAMPLES=OFF -DXGRAD_BUILD_BENCHMARKS=ON >/dev/null
if ! grep -q 'bench_compare' "${build_dir}/build.ninja"; then
  echo "bench: CMake did not find libtorch (find_package(Torch)); see the configure output:" >&2
  cmake -S "${repo_root}" -B "${build_dir}" | grep -i torch >&2 || true
  exit 1
fi
cmake --build "${build_dir}" -j "${jobs}" --target bench_compare

# bench_compare sets each side's environment itself: xgrad runs with no OpenBLAS
# variables (as a user runs it), libtorch with OPENBLAS_CORETYPE set to the fastest
# kernel it probes on this CPU.
exec "${build_dir}/benchmarks/bench_compare" "$@"
