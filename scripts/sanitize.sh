#!/usr/bin/env bash
# The sanitizer job: builds the library, its tests, examples and tools with AddressSanitizer
# and UndefinedBehaviorSanitizer (g++, LeakSanitizer included) into a build directory of
# its own, then runs the whole CTest suite. Any report -- a heap overflow, a use after
# free, a leak at exit, undefined behaviour -- stops the test that hit it, which fails.
#
# Usage: scripts/sanitize.sh [--unit] [ctest arguments]    e.g. scripts/sanitize.sh -R autograd
#   --unit   the library and its unit-test binaries only (no examples, no xgrad program):
#            what .ci/run runs at every landing, in about half the time of the whole suite
# Environment:
#   XGRAD_ASAN_BUILD_DIR   build directory (default: <repo>/build-asan)
#   XGRAD_JOBS             parallel build jobs (default: nproc)
# The packages come from scripts/setup.sh (run with XGRAD_SETUP_PACKAGES_ONLY=1: it
# installs what is missing and builds nothing). The `install` test is left out: it only
# re-runs CMake and the compiler on the consumer project, which is not instrumented.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_dir="${XGRAD_ASAN_BUILD_DIR:-${repo_root}/build-asan}"
jobs="${XGRAD_JOBS:-$(nproc)}"
scope_flags=()
if [[ "${1:-}" == "--unit" ]]; then
  shift
  scope_flags=(-DXGRAD_BUILD_EXAMPLES=OFF -DXGRAD_BUILD_TOOLS=OFF)
fi

XGRAD_SETUP_PACKAGES_ONLY=1 "${repo_root}/scripts/setup.sh"

# -O1 keeps the stacks readable and the suite fast enough; -g1 gives file:line in reports.
# -fno-sanitize-recover makes every UBSan check fatal even if UBSAN_OPTIONS is lost.
# The benchmarks are not built: no test runs them, and the libtorch one is slow to compile.
# The differential test against PyTorch is left out: it checks values, not memory, and
# its thousands of programs are slow under the sanitizers.
san_flags="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
cmake -S "${repo_root}" -B "${build_dir}" -G Ninja \
  -DCMAKE_BUILD_TYPE=Sanitize \
  -DCMAKE_CXX_FLAGS_SANITIZE="-O1 -g1 ${san_flags}" \
  -DCMAKE_EXE_LINKER_FLAGS_SANITIZE="-fsanitize=address,undefined" \
  -DCMAKE_SHARED_LINKER_FLAGS_SANITIZE="-fsanitize=address,undefined" \
  -DXGRAD_BUILD_BENCHMARKS=OFF "${scope_flags[@]}"
cmake --build "${build_dir}" -j "${jobs}"

# detect_leaks: LeakSanitizer runs at exit, and a leak fails the process.
# halt_on_error: the first report ends the process (no cascade of follow-on reports).
export ASAN_OPTIONS="detect_leaks=1:halt_on_error=1:abort_on_error=0:strict_init_order=1:detect_stack_use_after_return=0${ASAN_OPTIONS:+:${ASAN_OPTIONS}}"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1${UBSAN_OPTIONS:+:${UBSAN_OPTIONS}}"

start=$(date +%s)
status=0
ctest --test-dir "${build_dir}" --output-on-failure -E '^(install|differential)$' "$@" || status=$?
echo "sanitize: ctest took $(($(date +%s) - start)) s (ASan + UBSan + LSan), exit ${status}"
exit "${status}"
