#!/usr/bin/env bash
# End-to-end tests of the `xgrad` program, one case per CTest test:
#   cli_test.sh CASE XGRAD_BINARY WORK_DIR
# Each case prints "ok: ..." / "FAIL: ..." lines, ends with "N passed, M failed", and exits
# non-zero when a check failed. Only generated data and small CSV files written here are
# used, so every case runs in seconds.
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
  timeout 120 "$xgrad" "$@" >"$out" 2>"$err"  # a run blocked on a FIFO fails, not hangs
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

# The id of a process that has ended.
dead_pid() {
  sh -c 'exit 0' &
  local pid=$!
  wait $pid
  echo $pid
}

# The value of KEY in the JSON object stored under the metadata key META of a model file.
training_meta() {  # training_meta FILE META KEY
  python3 - "$@" <<'PY'
import json, struct, sys
with open(sys.argv[1], "rb") as f:
    (n,) = struct.unpack("<Q", f.read(8))
    meta = json.loads(f.read(n))["__metadata__"]
print(json.loads(meta[sys.argv[2]])[sys.argv[3]])
PY
}

# Starts a long training in the background with the given extra arguments, waits for its
# first epoch line, sends SIGNAL; leaves rc and the output in $out.
interrupt_training() {  # interrupt_training SIGNAL ARGS...
  local signal=$1
  shift
  out=$work/stdout.txt
  err=$work/stderr.txt
  "$xgrad" train --dataset spirals --samples 200000 --epochs 1000 --hidden 64,64 "$@" \
    >"$out" 2>"$err" &
  local pid=$!
  for _ in $(seq 1 100); do  # wait for the first epoch line (at most 20 s)
    grep -q "^epoch" "$out" 2>/dev/null && break
    sleep 0.2
  done
  kill "-$signal" $pid
  wait $pid
  rc=$?
}

not_in_output() { ! grep -q -- "$1" "$out"; }
not_same() { ! cmp -s "$1" "$2"; }

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
    --dropout --input-noise --max-norm --seed --threads --save --save-on-interrupt --plot; do
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

csv_labels)
  # Classes a, b, c, told apart by the first feature; the test file lacks class a.
  rows() {  # rows CLASS...: a header, then 20 rows per class; x1 = 4 * class index + noise
    local c k i=0
    echo "x1,x2,label"
    for c in "$@"; do
      k=$(($(printf '%d' "'$c") - 97))  # a -> 0, b -> 1, c -> 2
      for _ in $(seq 1 20); do
        echo "$((k * 4)).$((i % 7)),0.$((i % 5)),$c"
        i=$((i + 1))
      done
    done
  }
  rows a b c >train.csv
  rows b c >test_bc.csv
  check "the test file has only classes b and c" \
    test "$(cut -d, -f3 test_bc.csv | sort -u | tr '\n' ' ')" = "b c label "
  expect_success train --dataset csv:train.csv,test_bc.csv --hidden 16 --epochs 60 --lr 0.02 \
    --batch-size 16 --save abc.safetensors
  acc=$(test_accuracy)
  check "test accuracy on b and c ${acc}% is 100% (labels not shifted)" test "${acc:-0}" -eq 100
  expect_success eval --model abc.safetensors --data csv:test_bc.csv --split all
  check "eval on b and c: accuracy 100%" grep -q "^accuracy 100.00%" "$out"
  { cat test_bc.csv; echo "4.5,0.1,d"; } >with_d.csv
  expect_error 'with_d.csv: line 42, column 3: label "d"' eval --model abc.safetensors \
    --data csv:with_d.csv --split all
  expect_error 'with_d.csv: line 42, column 3: label "d"' train --dataset csv:train.csv,with_d.csv
  # Class indices for training, names for evaluation.
  sed 's/,a$/,0/; s/,b$/,1/; s/,c$/,2/' train.csv >numeric.csv
  "$xgrad" train --dataset csv:numeric.csv --hidden 4 --epochs 1 --save numeric.safetensors \
    >/dev/null 2>&1
  expect_error 'test_bc.csv: line 2, column 3: label "b" is not a class index' \
    eval --model numeric.safetensors --data csv:test_bc.csv
  expect_error 'test_bc.csv: line 2, column 3: label "b" is not a class index' \
    train --dataset csv:numeric.csv,test_bc.csv
  # One stray label of 100000 (a 100001 x 100001 confusion matrix unchecked): refused
  # while reading. Memory is capped so that an unchecked run fails instead of swapping.
  { cat numeric.csv; echo "1.0,0.5,100000"; } >huge.csv
  (
    ulimit -v 4000000
    expect_error 'huge.csv: line 62, column 3: label "100000"' train --dataset csv:huge.csv \
      --hidden 4 --epochs 1
    echo "$passed $failed" >counts.txt
  )
  read -r passed failed <counts.txt
  # A model trained on a file: eval reads only data its command line names.
  expect_error "--data is required: abc.safetensors was trained on csv:train.csv,test_bc.csv" \
    eval --model abc.safetensors
  ;;

interrupt)
  # A long training, interrupted: exit 130 and a checkpoint that eval can read, written
  # beside the --save file, which keeps the model saved before.
  "$xgrad" train --dataset xor --epochs 1 --hidden 64,64 --save ckpt.safetensors >/dev/null
  cp ckpt.safetensors before.safetensors
  interrupt_training INT --save ckpt.safetensors
  check "interrupted run exits 130 (got $rc)" test "$rc" -eq 130
  check "says where the checkpoint is" grep -q "checkpoint saved to ckpt.safetensors.interrupted" \
    "$out"
  check "checkpoint written beside --save" files_exist ckpt.safetensors.interrupted
  check "the --save file is untouched" cmp -s ckpt.safetensors before.safetensors
  expect_success eval --model ckpt.safetensors.interrupted --samples 500
  # SIGTERM (kill's default, as from a job scheduler) is handled like Ctrl-C.
  interrupt_training TERM --save term.safetensors
  check "terminated run exits 143 (got $rc)" test "$rc" -eq 143
  check "SIGTERM checkpoint written" files_exist term.safetensors.interrupted
  check "no --save file from SIGTERM" test ! -e term.safetensors
  # Without --save; and --save-on-interrupt chooses the place (here: the --save file).
  interrupt_training INT
  check "checkpoint without --save" grep -q "checkpoint saved to xgrad-interrupted.safetensors" \
    "$out"
  check "xgrad-interrupted.safetensors written" files_exist xgrad-interrupted.safetensors
  interrupt_training INT --save ckpt.safetensors --save-on-interrupt ckpt.safetensors
  check "--save-on-interrupt overwrites when asked" grep -q \
    "checkpoint saved to ckpt.safetensors$" "$out"
  check "the --save file was replaced" not_same ckpt.safetensors before.safetensors
  ;;

saves)
  for i in $(seq 0 39); do echo "$((i % 7)),$((i % 5)),$((i % 2))"; done >d.csv
  cp d.csv d.orig
  # An output that is an input of the same run is refused before anything runs.
  expect_error "d.csv" train --dataset csv:d.csv --epochs 1 --save d.csv
  check "refused before training" not_in_output "^epoch"
  check "the data is intact" cmp -s d.csv d.orig
  ln -s d.csv alias.csv
  expect_error "alias.csv" train --dataset csv:alias.csv --epochs 1 --save d.csv
  check "the data is intact (linked name)" cmp -s d.csv d.orig
  expect_success train --dataset csv:d.csv --epochs 1 --save m.safetensors
  cp m.safetensors m.orig
  expect_error "m.safetensors" eval --model m.safetensors --data csv:d.csv --json m.safetensors
  check "eval --json onto the model: the model is intact" cmp -s m.safetensors m.orig
  expect_error "d.csv" eval --model m.safetensors --data csv:d.csv --json d.csv
  check "eval --json onto the data: the data is intact" cmp -s d.csv d.orig
  # Targets that are not regular files are refused, and left as they were.
  mkfifo fifo.safetensors
  expect_error "FIFO" train --dataset xor --epochs 1 --save fifo.safetensors
  check "refused before training" not_in_output "^epoch"
  check "the FIFO is still a FIFO" test -p fifo.safetensors
  expect_error "FIFO" eval --model m.safetensors --data csv:d.csv --json fifo.safetensors
  ln -s m.orig link.safetensors
  expect_error "symbolic link" train --dataset xor --epochs 1 --save link.safetensors
  check "the link is still a link to the same file" test "$(readlink link.safetensors)" = m.orig
  check "the linked file is intact" cmp -s m.safetensors m.orig
  mkdir plots
  echo precious >victim.txt
  ln -s ../victim.txt plots/roc.svg
  expect_error "symbolic link" eval --model m.safetensors --data csv:d.csv --plot plots
  check "a plot does not write through a link" grep -qx precious victim.txt
  # A replaced model keeps its mode.
  chmod 640 m.safetensors
  expect_success train --dataset csv:d.csv --epochs 1 --save m.safetensors
  check "mode 640 kept on re-save (got $(stat -c %a m.safetensors))" \
    test "$(stat -c %a m.safetensors)" = 640
  # The temporary file of a killed save is removed by the next save of the same file.
  stale=m.safetensors.tmp-$(dead_pid)-abc123
  live=m.safetensors.tmp-$$-abc123
  echo half >"$stale"
  echo half >"$live"
  expect_success train --dataset csv:d.csv --epochs 1 --save m.safetensors
  check "stale temporary removed" test ! -e "$stale"
  check "a live writer's temporary kept" test -e "$live"
  ;;

unwritable)
  # An unwritable --save place is found before training (sysfs refuses new files, even
  # to root).
  if [[ -d /sys ]]; then
    expect_error "/sys/xgrad-test.safetensors" train --dataset xor --epochs 1 \
      --save /sys/xgrad-test.safetensors
    check "refused before training" not_in_output "^epoch"
  fi
  touch plain
  expect_error "plain/m.safetensors" train --dataset xor --epochs 1 --save plain/m.safetensors
  # A save that fails after training (the folder was removed meanwhile) goes to a fallback
  # file in the current directory; the run says where (even though the plots fail too),
  # and fails. The run lasts seconds after its first epoch even on a fast idle machine
  # (about 0.1 s per epoch on an idle machine here), so the folder is gone before the save.
  mkdir gone
  "$xgrad" train --dataset spirals --samples 200000 --epochs 40 --hidden 64,64 \
    --save gone/m.safetensors --plot gone/plots >"$work/stdout.txt" 2>"$work/stderr.txt" &
  pid=$!
  for _ in $(seq 1 1200); do
    grep -q "^epoch" "$work/stdout.txt" 2>/dev/null && break
    sleep 0.05
  done
  rm -r gone
  wait $pid
  rc=$?
  check "the failed save fails the run (got $rc)" test "$rc" -eq 1
  check "the error names the fallback file" grep -q "saved to m.safetensors.recovered" \
    "$work/stderr.txt"
  check "the fallback file is a model" files_exist m.safetensors.recovered
  expect_success eval --model m.safetensors.recovered --samples 500
  ;;

metadata)
  # The thread count and the BLAS kernel, which decide the bits, are in the model file.
  OPENBLAS_CORETYPE=Prescott "$xgrad" train --dataset xor --epochs 1 --threads 2 \
    --save meta.safetensors >"$work/stdout.txt" 2>&1
  check "threads recorded" test "$(training_meta meta.safetensors xgrad.training threads)" = 2
  check "BLAS kernel recorded" \
    test "$(training_meta meta.safetensors xgrad.training blas_kernel)" = Prescott
  expect_success eval --model meta.safetensors
  check "eval shows them" grep -q "trained with 2 threads, BLAS kernel Prescott" "$out"
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
