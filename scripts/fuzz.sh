#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (libFuzzer + ASan, the code under test
# instrumented) and runs each for a bounded time:
#   fuzz_idx          the IDX reader (data/idx.hpp), plain and gzip'd
#   fuzz_csv          the CSV reader (data/datasets.hpp), with several option sets
#   fuzz_safetensors  the model-file reader (nn/safetensors.hpp), with a save/load round trip
#   fuzz_model_file   `xgrad eval`'s checks of a model file: the model description against
#                     the tensors, the stored data options (tools/xgrad/)
# Exits non-zero when a fuzzer finds a crash, a leak, an abort or a timeout; the input that
# did it is kept under <build>/artifacts/ (turn it into a regression test: IDX in
# tests/data/test_idx_fuzz_regressions.cpp, CSV in tests/data/test_csv_fuzz_regressions.cpp,
# model files in tests/nn/, next to test_safetensors_bad_input.cpp).
# All run even when one fails; the last lines sum up executions and findings.
#
# Usage: scripts/fuzz.sh [SECONDS [TARGET...]]   (default 60 s each, every target)
# Environment:
#   XGRAD_FUZZ_BUILD_DIR   build directory (default: <repo>/build-fuzz)
#   XGRAD_JOBS             parallel build jobs (default: nproc)
# The library's own packages (xtensor, OpenBLAS, zlib, ...) come from scripts/setup.sh;
# this script adds clang and compiler-rt (libFuzzer, the ASan runtime) when missing.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_dir="${XGRAD_FUZZ_BUILD_DIR:-${repo_root}/build-fuzz}"
jobs="${XGRAD_JOBS:-$(nproc)}"
seconds="${1:-60}"
shift || true
targets=("$@")
((${#targets[@]} > 0)) || targets=(fuzz_idx fuzz_csv fuzz_safetensors fuzz_model_file)
if ! [[ "${seconds}" =~ ^[0-9]+$ ]] || ((seconds < 1)); then
  echo "fuzz: SECONDS must be a positive integer, got '${seconds}'" >&2
  exit 2
fi

# --- clang and compiler-rt ---------------------------------------------------------------
missing=()
for pkg in clang libclang-rt-14-dev; do
  status="$(dpkg-query -W -f='${db:Status-Abbrev}' "${pkg}" 2>/dev/null || true)"
  [[ "${status}" == ii* ]] || missing+=("${pkg}")
done
if ((${#missing[@]} > 0)); then
  echo "fuzz: installing ${missing[*]}"
  sudo_cmd=()
  if [[ "$(id -u)" -ne 0 ]]; then
    if ! command -v sudo >/dev/null 2>&1; then
      echo "fuzz: not root and sudo is not available; install as root: apt-get install ${missing[*]}" >&2
      exit 1
    fi
    sudo_cmd=(sudo)
  fi
  "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
  "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# --- build -------------------------------------------------------------------------------
# Only the fuzz targets are built (tests/data/fuzz/CMakeLists.txt compiles autograd/ and
# data/ again with coverage and ASan, tests/nn/fuzz the safetensors reader and writer);
# the xgrad library itself is configured, not built.
cmake -S "${repo_root}" -B "${build_dir}" -G Ninja \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_COMPILER=clang++ \
  -DBUILD_SHARED_LIBS=OFF \
  -DXGRAD_BUILD_FUZZERS=ON \
  -DXGRAD_BUILD_TESTS=OFF -DXGRAD_BUILD_EXAMPLES=OFF -DXGRAD_BUILD_BENCHMARKS=OFF \
  -DXGRAD_INSTALL=OFF
cmake --build "${build_dir}" -j "${jobs}" --target fuzz_idx fuzz_csv fuzz_safetensors \
  fuzz_safetensors_seeds fuzz_model_file fuzz_model_file_seeds

# --- seed corpora ---------------------------------------------------------------------------
# IDX: small valid files of every kind, plain and gzip'd.
seeds="${build_dir}/seeds_idx"
corpus="${build_dir}/corpus_idx"
artifacts="${build_dir}/artifacts"
rm -rf "${seeds}"
mkdir -p "${seeds}" "${corpus}" "${artifacts}"
printf '\x00\x00\x08\x01\x00\x00\x00\x03\x01\x02\x09' >"${seeds}/u8_labels"
printf '\x00\x00\x08\x03\x00\x00\x00\x02\x00\x00\x00\x02\x00\x00\x00\x02\x00\x40\x80\xff\x01\x02\x03\x04' >"${seeds}/u8_images"
printf '\x00\x00\x09\x01\x00\x00\x00\x02\x7f\x80' >"${seeds}/i8"
printf '\x00\x00\x0b\x02\x00\x00\x00\x01\x00\x00\x00\x02\x01\x02\xff\xfe' >"${seeds}/i16"
printf '\x00\x00\x0c\x01\x00\x00\x00\x01\x80\x00\x00\x00' >"${seeds}/i32"
printf '\x00\x00\x0d\x01\x00\x00\x00\x01\x3f\xc0\x00\x00' >"${seeds}/f32"
printf '\x00\x00\x0e\x04\x00\x00\x00\x01\x00\x00\x00\x01\x00\x00\x00\x01\x00\x00\x00\x01\x40\x09\x21\xfb\x54\x44\x2d\x18' >"${seeds}/f64"
for f in u8_labels u8_images f32; do
  gzip -9 -n -c "${seeds}/${f}" >"${seeds}/${f}.gz"
done
cat "${seeds}/u8_labels.gz" "${seeds}/f32.gz" >"${seeds}/two_members.gz"

# CSV: a header, names, class indices, quoting, a BOM and CRLF, regression targets.
seeds="${build_dir}/seeds_csv"
rm -rf "${seeds}"
mkdir -p "${seeds}" "${build_dir}/corpus_csv"
printf 'x1,x2,label\n1.5,2,a\n-3e2,"4",b\n 5 ,+6,c\n' >"${seeds}/names"
printf '0,1,0\n2,3,1\n4,5,2\n6,7,999\n' >"${seeds}/indices"
printf '1;"a;b";"say ""hi"""\n2;3;x\n' >"${seeds}/quotes"
printf '\xEF\xBB\xBFsl,sw,species\r\n5.1,3.5,setosa\r\n\r\n7.0,3.2,versicolor\r\n' >"${seeds}/bom_crlf"
printf 'a;b;y\n1;2;0.5\n3;4;-1e3\n' >"${seeds}/regression"

# Model files: written by xgrad (with CRCs) and as other tools write them (no CRCs).
mkdir -p "${build_dir}/seeds_safetensors" "${build_dir}/corpus_safetensors"
rm -f "${build_dir}"/seeds_safetensors/*
"${build_dir}/tests/nn/fuzz/fuzz_safetensors_seeds" "${build_dir}/seeds_safetensors"
# Model files as `xgrad train --save` writes them.
mkdir -p "${build_dir}/seeds_model_file" "${build_dir}/corpus_model_file"
rm -f "${build_dir}"/seeds_model_file/*
"${build_dir}/tests/tools/fuzz/fuzz_model_file_seeds" "${build_dir}/seeds_model_file"

# --- run -----------------------------------------------------------------------------------
declare -A dirs=([fuzz_idx]=tests/data/fuzz [fuzz_csv]=tests/data/fuzz
  [fuzz_safetensors]=tests/nn/fuzz [fuzz_model_file]=tests/tools/fuzz)
summary=()
failed=0
for target in "${targets[@]}"; do
  kind="${target#fuzz_}"
  [[ -n "${dirs[${target}]:-}" ]] || { echo "fuzz: unknown target ${target}" >&2; exit 2; }
  log="${build_dir}/${target}.log"
  echo "fuzz: running ${target} for ${seconds} s (corpus ${build_dir}/corpus_${kind})"
  # The full log goes to ${log}; the terminal is spared libFuzzer's NEW/REDUCE lines.
  set +e
  "${build_dir}/${dirs[${target}]}/${target}" "${build_dir}/corpus_${kind}" \
    "${build_dir}/seeds_${kind}" \
    -max_total_time="${seconds}" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
    -artifact_prefix="${artifacts}/${target}-" -print_final_stats=1 2>&1 | tee "${log}" |
    grep -v -e '^#[0-9]*[[:space:]]*\(NEW\|REDUCE\|pulse\)' -e '^[[:space:]]NEW_FUNC'
  status=${PIPESTATUS[0]}
  set -e
  runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "${log}" | tail -1)"
  corpus_size="$(find "${build_dir}/corpus_${kind}" -type f | wc -l)"
  if ((status == 0)); then
    summary+=("${target}: ${runs:-?} executions in ${seconds} s, corpus ${corpus_size} files, no crash")
  else
    failed=1
    summary+=("${target}: FAILED (exit ${status}) after ${runs:-?} executions; input in ${artifacts}/")
  fi
done
printf 'fuzz: %s\n' "${summary[@]}"
exit "${failed}"
