#!/usr/bin/env bash
# Installs what is missing, builds, and runs the main job: `xgrad train`, which trains an
# MLP on Fashion-MNIST. Arguments are passed to the `xgrad` program.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_dir="${XGRAD_BUILD_DIR:-${repo_root}/build}"

"${repo_root}/scripts/setup.sh"
# The main job: `xgrad train` (an MLP on Fashion-MNIST with no arguments); arguments pass
# through, e.g. scripts/run.sh train --epochs 3, or scripts/run.sh eval --model m.safetensors.
if (($# == 0)); then
  set -- train
fi
exec "${build_dir}/tools/xgrad" "$@"
