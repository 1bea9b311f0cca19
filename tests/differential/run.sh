#!/bin/bash
# CTest entry point of the differential test against PyTorch:
#   run.sh RUNNER WORKDIR
# generates the random programs and PyTorch's results with /usr/bin/python3 (Debian's
# python3-torch) into WORKDIR, then runs them through xgrad with RUNNER (test_differential).
# Exit status: RUNNER's (0 when all agree), or 77 (CTest skip) when torch is missing.
set -euo pipefail

if [[ $# -ne 2 ]]; then
  echo "usage: run.sh RUNNER WORKDIR" >&2
  exit 2
fi
runner=$1
workdir=$2
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
python=/usr/bin/python3

if ! [[ -x $python ]] || ! "$python" -c 'import torch' >/dev/null 2>&1; then
  echo "differential test skipped: /usr/bin/python3 with torch is missing (scripts/setup.sh installs python3-torch)"
  exit 77
fi

mkdir -p "$workdir"
"$python" "$here/gen_programs.py" "$workdir/programs.json"
exec "$runner" "$workdir/programs.json"
