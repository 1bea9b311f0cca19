#!/usr/bin/env bash
# The assertions job: builds the library, tests, examples and tools with xtensor's
# bounds and shape assertions (XTENSOR_ENABLE_ASSERT: an out-of-range index or a
# mismatched shape inside xtensor throws instead of reading past a buffer) and libstdc++'s
# (_GLIBCXX_ASSERTIONS: checked operator[] on vector, span, string, ...), with assert()
# on (no NDEBUG), into a build directory of its own; then runs the CTest suite.
#
# Usage: scripts/assert_build.sh [ctest arguments]    e.g. scripts/assert_build.sh -R nn
# Environment:
#   XGRAD_ASSERT_BUILD_DIR   build directory (default: <repo>/build-assert)
#   XGRAD_JOBS               parallel build jobs (default: nproc)
# The `install` test is left out: it checks packaging, which the main job (scripts/test.sh)
# covers, and would rebuild the library twice more.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_dir="${XGRAD_ASSERT_BUILD_DIR:-${repo_root}/build-assert}"
jobs="${XGRAD_JOBS:-$(nproc)}"

XGRAD_SETUP_PACKAGES_ONLY=1 "${repo_root}/scripts/setup.sh"

cmake -S "${repo_root}" -B "${build_dir}" -G Ninja \
  -DCMAKE_BUILD_TYPE=Checked \
  -DCMAKE_CXX_FLAGS_CHECKED="-O2 -g1 -DXTENSOR_ENABLE_ASSERT -D_GLIBCXX_ASSERTIONS" \
  -DXGRAD_BUILD_BENCHMARKS=OFF
cmake --build "${build_dir}" -j "${jobs}"

start=$(date +%s)
status=0
ctest --test-dir "${build_dir}" --output-on-failure -E '^install$' "$@" || status=$?
echo "assert_build: ctest took $(($(date +%s) - start)) s (XTENSOR_ENABLE_ASSERT, _GLIBCXX_ASSERTIONS), exit ${status}"
exit "${status}"
