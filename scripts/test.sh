#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test through CTest (which prints its
# summary line). Extra arguments are passed to ctest, e.g. scripts/test.sh -R autograd.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_dir="${XGRAD_BUILD_DIR:-${repo_root}/build}"

"${repo_root}/scripts/setup.sh"
ctest --test-dir "${build_dir}" --output-on-failure "$@"
