#!/usr/bin/env bash
# The ThreadSanitizer job: builds the library and the unit-test binaries with
# -fsanitize=thread into a build directory of its own and runs the tests that use several
# threads: concurrent trainings and backward passes into shared parameters
# (tests/optim/test_threads.cpp) and the thread pool's split loops
# (tests/autograd/test_parallel.cpp). A data race fails the run (halt_on_error).
#
# Usage: scripts/tsan.sh
# Environment:
#   XGRAD_TSAN_BUILD_DIR   build directory (default: <repo>/build-tsan)
#   XGRAD_JOBS             parallel build jobs (default: nproc)
# OpenBLAS is not instrumented, so its worker threads' writes look unsynchronised to TSan:
# the tests run with OPENBLAS_NUM_THREADS=1 (xgrad's own thread pool is what is checked).
# The SIMD clones are off under TSan (autograd/simd.hpp says why).
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_dir="${XGRAD_TSAN_BUILD_DIR:-${repo_root}/build-tsan}"
jobs="${XGRAD_JOBS:-$(nproc)}"

XGRAD_SETUP_PACKAGES_ONLY=1 "${repo_root}/scripts/setup.sh"

cmake -S "${repo_root}" -B "${build_dir}" -G Ninja \
  -DCMAKE_BUILD_TYPE=Tsan \
  -DCMAKE_CXX_FLAGS_TSAN="-O1 -g1 -fsanitize=thread -fno-omit-frame-pointer" \
  -DCMAKE_EXE_LINKER_FLAGS_TSAN="-fsanitize=thread" \
  -DCMAKE_SHARED_LINKER_FLAGS_TSAN="-fsanitize=thread" \
  -DXGRAD_BUILD_BENCHMARKS=OFF -DXGRAD_BUILD_EXAMPLES=OFF -DXGRAD_BUILD_TOOLS=OFF
cmake --build "${build_dir}" -j "${jobs}" --target test_optim test_autograd

export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1${TSAN_OPTIONS:+:${TSAN_OPTIONS}}"
export OPENBLAS_NUM_THREADS=1

start=$(date +%s)
"${build_dir}/tests/test_optim" -tc='threads:*'
"${build_dir}/tests/test_autograd" -tc='parallel_for*,ops on large tensors*'
echo "tsan: tests took $(($(date +%s) - start)) s, no data race reported"
