#!/usr/bin/env bash
# End-to-end tests of the `xgrad` program, one case per CTest test:
#   cli_test.sh CASE XGRAD_BINARY WORK_DIR
# Each case prints "ok: ..." / "FAIL: ..." lines, ends with "N passed, M failed", and exits
# non-zero when a check failed. Only generated data is used, so every case runs in seconds.
set -u

case_name=$1
xgrad=$2
work=$3
rm -rf "$work"
mkdir -p "$work"
cd "$work" || exit 1

passed=0
failed=0
ok() { echo "ok: $*"; passed=$((passed + 1)); }
fail() { echo "FAIL: $*"; failed=$((failed + 1)); }
check() {  # check DESCRIPTION COMMAND...: passes when the command succeeds
  local what=$1
  shift
  if "$@"; then ok "$what"; else fail "$what"; fi
}

# Runs xgrad with the given arguments; leaves rc, out (stdout file), err (stderr file).
run() {
  out=$work/stdout.txt
  err=$work/stderr.txt
  "$xgrad" "$@" >"$out" 2>"$err"
  rc=$?
}

expect_success() {  # expect_success ARGS...: exit 0, nothing on stderr
  run "$@"
  if [[ $rc -eq 0 ]]; then ok "xgrad $* exits 0"; else
    fail "xgrad $* exited $rc"
    cat "$err"
  fi
}

# A mistake must give exit status 1..127 (not a crash: signals give >= 128, and CLI11's
# parse errors are >= 100 but below 128), exactly one line on stderr naming the problem.
expect_error() {  # expect_error FRAGMENT ARGS...
  local fragment=$1
  shift
  run "$@"
  local lines
  lines=$(wc -l <"$err")
  if [[ $rc -ge 1 && $rc -lt 128 ]]; then ok "xgrad $* exits $rc"; else fail "xgrad $* exited $rc"; fi
  if [[ $lines -eq 1 ]]; then ok "one line on stderr"; else
    fail "xgrad $*: $lines lines on stderr:"
    cat "$err"
  fi
  if grep -qi -- "$fragment" "$err"; then ok "stderr names '$fragment'"; else
    fail "stderr does not contain '$fragment': $(cat "$err")"
  fi
  if grep -qiE "terminate|what\(\)|Segmentation|Aborted" "$err"; then fail "crash text on stderr"; fi
}

# "test: accuracy 97.50%" -> 97 (integer part), from the last training output.
test_accuracy() { sed -n 's/^test: accuracy \([0-9]*\)\..*/\1/p' "$out"; }

files_exist() {
  local f
  for f in "$@"; do [[ -s $f ]] || { echo "missing or empty: $f"; return 1; }; done
}

case $case_name in
help)
  for cmd in "" train eval gradcheck; do
    # shellcheck disable=SC2086
    run $cmd --help
    if [[ $rc -eq 0 ]] && grep -q "Usage:" "$out" && [[ ! -s $err ]]; then ok "xgrad $cmd --help"; else
      fail "xgrad $cmd --help exited $rc"
    fi
  done
  run train --help
  for flag in --dataset --hidden --activation --loss --optimizer --lr --momentum --weight-decay \
    --nesterov --betas --eps --epochs --batch-size --val-fraction --early-stopping --l1 --l2 \
    --dropout --input-noise --max-norm --seed --threads --save --plot; do
    grep -q -- "$flag" "$out" || fail "train --help does not mention $flag"
  done
  ok "train --help lists every flag"
  run eval --help
  check "eval --help lists --model, --data, --json, --plot" \
    grep -q -- "--model.*" "$out"
  run --version
  check "--version exits 0" test "$rc" -eq 0
  ;;

train_xor)
  expect_success train --dataset xor --hidden 8 --epochs 40 --lr 0.02 --batch-size 32 \
    --save xor.safetensors --plot plots
  acc=$(test_accuracy)
  check "xor test accuracy ${acc}% >= 90%" test "${acc:-0}" -ge 90
  check "plots written" files_exist plots/loss.svg plots/accuracy.svg plots/roc.svg \
    plots/confusion.svg plots/regions.svg
  check "model saved" files_exist xor.safetensors
  expect_success eval --model xor.safetensors --json report.json --plot eval_plots
  check "eval prints the accuracy" grep -q "^accuracy" "$out"
  check "eval prints the confusion matrix" grep -q "confusion matrix" "$out"
  check "eval prints ROC AUC" grep -q "ROC AUC" "$out"
  check "eval prints per-class specificity" grep -q "specificity" "$out"
  check "eval writes json and plots" files_exist report.json eval_plots/roc.svg \
    eval_plots/confusion.svg eval_plots/regions.svg
  check "json has roc_auc and macro avg" grep -q '"roc_auc"' report.json
  check "json has macro avg" grep -q '"macro avg"' report.json
  expect_success eval --model xor.safetensors --data xor --split all
  check "--split all evaluates 1000 samples" grep -q "(1000 samples)" "$out"
  ;;

train_blobs)
  # Every regulariser at once, SGD with Nesterov momentum, early stopping.
  expect_success train --dataset blobs --centers 4 --samples 800 --hidden 16,16 \
    --activation tanh --optimizer sgd --lr 0.05 --momentum 0.9 --nesterov --epochs 30 \
    --batch-size 32 --val-fraction 0.2 --early-stopping 5 --l1 1e-5 --l2 1e-4 --dropout 0.1 \
    --input-noise 0.05 --max-norm 3 --seed 7 --save blobs.safetensors --plot plots
  acc=$(test_accuracy)
  check "blobs test accuracy ${acc}% >= 80%" test "${acc:-0}" -ge 80
  check "plots written" files_exist plots/loss.svg plots/accuracy.svg plots/roc.svg \
    plots/confusion.svg plots/regions.svg blobs.safetensors
  expect_success eval --model blobs.safetensors --json blobs.json
  check "4 classes in the report" grep -q '"labels": \[' blobs.json
  for loss in nll mse multi-margin bce-with-logits; do
    expect_success train --dataset blobs --epochs 3 --loss $loss --optimizer adamw --hidden 8 \
      --save m_$loss.safetensors
    expect_success eval --model m_$loss.safetensors
  done
  expect_success train --dataset circles --epochs 2 --optimizer rmsprop --activation gelu \
    --lr-schedule step
  expect_success train --dataset moons --epochs 2 --optimizer adagrad --activation elu \
    --hidden none --normalize none
  ;;

gradcheck)
  expect_success gradcheck --dataset xor --hidden 5,4 --activation tanh
  check "every parameter reported ok" test "$(grep -c ' ok$' "$out")" -eq 6
  expect_success gradcheck --dataset blobs --hidden 6 --activation elu --loss nll --l1 1e-3 \
    --l2 1e-2
  expect_success gradcheck --dataset spirals --hidden 7 --activation gelu --loss mse
  expect_success gradcheck --dataset xor --hidden 64 --activation sigmoid --max-elements 16
  check "large parameters checked on a block" grep -q "16/128" "$out"
  ;;

errors)
  expect_error "bogus" train --bogus
  expect_error "epochs" train --epochs abc
  expect_error "subcommand"
  expect_error "frobnicate" frobnicate
  expect_error "does not exist" eval --model missing.safetensors
  expect_error "nesterov" train --dataset xor --optimizer adam --nesterov
  expect_error "betas" train --dataset xor --optimizer sgd --betas 0.9,0.99
  expect_error "momentum" train --dataset xor --optimizer adam --momentum 0.5
  expect_error "validation" train --dataset xor --early-stopping 3 --val-fraction 0
  expect_error "unknown data set" train --dataset nosuchdata
  expect_error "cannot open" train --dataset idx:missing_images,missing_labels
  expect_error "hidden" train --dataset xor --hidden 4,x
  expect_error "activation" train --dataset xor --activation swish
  expect_error "dropout" train --dataset xor --dropout 1.5
  expect_error "does not exist" train --dataset xor --save no/such/dir/m.safetensors
  touch plotfile
  expect_error "plotfile" train --dataset xor --plot plotfile
  echo "not a model" >garbage.safetensors
  expect_error "garbage.safetensors" eval --model garbage.safetensors
  printf 'a,b,label\n1,2,0\n3,x,1\n' >bad.csv
  expect_error "bad.csv" train --dataset csv:bad.csv
  "$xgrad" train --dataset xor --epochs 1 --hidden 4 --save small.safetensors >/dev/null 2>&1
  for i in 0 1 2 3 4 5 6 7 8 9; do echo "$i,$((i * 2)),$((i % 3)),$((i % 2))"; done >three.csv
  expect_error "features" eval --model small.safetensors --data csv:three.csv --split all
  ;;

interrupt)
  # A long training, interrupted: exit 130 and a checkpoint that eval can read.
  "$xgrad" train --dataset spirals --samples 200000 --epochs 1000 --hidden 64,64 \
    --save ckpt.safetensors >"$work/stdout.txt" 2>"$work/stderr.txt" &
  pid=$!
  for _ in $(seq 1 100); do  # wait for the first epoch line (at most 20 s)
    grep -q "^epoch" "$work/stdout.txt" 2>/dev/null && break
    sleep 0.2
  done
  kill -INT $pid
  wait $pid
  rc=$?
  check "interrupted run exits 130 (got $rc)" test "$rc" -eq 130
  check "says where the checkpoint is" grep -q "checkpoint saved to ckpt.safetensors" \
    "$work/stdout.txt"
  check "checkpoint written" files_exist ckpt.safetensors
  expect_success eval --model ckpt.safetensors --samples 500
  ;;

diverge)
  expect_error "not finite\|is nan\|is inf" train --dataset blobs --optimizer sgd --lr 1e30 \
    --epochs 5
  check "diverged run exits 3" test "$rc" -eq 3
  ;;

out_of_memory)
  # Under a 1 GB address-space limit (ulimit -v, set by the wrapper): running out of memory
  # is one line naming what the command was doing, not a crash or "std::bad_alloc".
  "$xgrad" train --dataset xor --samples 200 --epochs 1 --hidden 8192 --save wide.safetensors \
    >/dev/null 2>&1
  printf '#!/usr/bin/env bash\nulimit -v 1000000 || exit 99\nexec "%s" "$@"\n' "$xgrad" >limited
  chmod +x limited
  xgrad=$work/limited
  export OPENBLAS_NUM_THREADS=1
  # 40000 x 40000 weights: 6.4 GB.
  expect_error "out of memory while building the model" train --dataset xor --samples 200 \
    --hidden 40000,40000 --threads 1
  # A batch of 40000 through 8192 hidden units: 1.3 GB of activations.
  expect_error "out of memory while training epoch 1" train --dataset spirals --samples 50000 \
    --hidden 8192 --batch-size 40000 --val-fraction 0 --epochs 1 --threads 1
  # 100000 samples through 8192 hidden units in one batch: 3.3 GB.
  expect_error "out of memory while evaluating" eval --model wide.safetensors --samples 100000 \
    --split all --batch-size 100000 --threads 1
  ;;

*)
  echo "unknown case $case_name"
  exit 2
  ;;
esac

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
