#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan + UBSan) in build-fuzz/, writes seed corpora, and runs every target
# for SECONDS_PER_TARGET seconds (default 10). Fails if any target crashes, leaks, hangs or breaks an invariant;
# the crashing input is left in build-fuzz/fuzz-artifacts/. See fuzz/README.md for longer runs.
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]      e.g.  scripts/fuzz.sh 600 fuzz_scene
#   scripts/fuzz.sh --ci [TARGET...]
# --ci (what scripts/test.sh runs) makes the run reproducible: a fixed seed and a fixed number of inputs
# (CONVSCOPE_FUZZ_RUNS, default 30000) instead of a time limit, so CI passes or fails the same way on every run.
# Finding new bugs is the job of the timed runs. Every run, timed or not, first replays fuzz/regressions/<name>/:
# the inputs that once crashed a target.
set -euo pipefail

ci=0
if [ "${1:-}" = "--ci" ]; then
  ci=1
  shift
  seconds=0
else
  seconds=${1:-10}
  shift || true
fi
root=$(cd "$(dirname "$0")/.." && pwd)
build=${CONVSCOPE_FUZZ_BUILD_DIR:-$root/build-fuzz}
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then targets=(fuzz_npy fuzz_cifar fuzz_image fuzz_scene fuzz_onnx fuzz_layer fuzz_lesson fuzz_export); fi

mkdir -p "$build"
CC=clang CXX=clang++ cmake -S "$root" -B "$build" -DCONVSCOPE_BUILD_FUZZ=ON -DCONVSCOPE_BUILD_GUI=OFF \
  -DCONVSCOPE_BUILD_TESTS=OFF -DCONVSCOPE_BUILD_BENCH=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo > "$build/configure.log" \
  || { cat "$build/configure.log"; exit 1; }
cmake --build "$build" -j"$(nproc)" --target "${targets[@]}" fuzz_make_seeds

corpus=$build/fuzz-corpus
if [ $ci -eq 1 ]; then  # start from the seeds alone, as a clean clone does
  corpus=$build/fuzz-corpus-ci
  rm -rf "$corpus"
fi
artifacts=$build/fuzz-artifacts
mkdir -p "$corpus" "$artifacts"
"$build/fuzz/fuzz_make_seeds" "$corpus"
mkdir -p "$corpus/onnx"
for model in /usr/share/libonnx-testdata/data/node/test_conv_with_strides_padding/model.onnx \
             /usr/share/libonnx-testdata/data/node/test_basic_conv_with_padding/model.onnx \
             /usr/share/libonnx-testdata/data/node/test_maxpool_2d_pads/model.onnx \
             /usr/share/libonnx-testdata/data/node/test_averagepool_2d_ceil/model.onnx \
             /usr/share/libonnx-testdata/data/node/test_convtranspose_kernel_shape/model.onnx \
             /usr/share/libonnx-testdata/data/node/test_convtranspose_autopad_same/model.onnx; do
  [ -f "$model" ] && cp "$model" "$corpus/onnx/$(basename "$(dirname "$model")").onnx"
done

mkdir -p "$corpus/lesson"  # the shipped lessons are the lesson parser's seeds
cp "$root"/assets/lessons/*.lesson "$corpus/lesson/"
mkdir -p "$corpus/export"  # 24 bytes of numbers (step count, cursor, frame size), then NUL-separated --export flags
printf '\x80\x02\0\0\0\0\0\0\x10\0\0\0\0\0\0\0\x00\x05\0\x40\x03\0\0\0--export\0/tmp/x.gif\0--steps\0000:64\0--fps\00012' \
  > "$corpus/export/gif"
printf '\x80\x02\0\0\0\0\0\0\x10\0\0\0\0\0\0\0\x00\x05\0\x40\x03\0\0\0--export\0/tmp/f_%%05d.png\0--steps\0row\0--scale\0002\0--caption' \
  > "$corpus/export/sequence"

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
failed=()
for t in "${targets[@]}"; do
  name=${t#fuzz_}
  mkdir -p "$corpus/$name"
  log=$build/$t.log
  if [ $ci -eq 1 ]; then
    budget=(-seed=1 -runs="${CONVSCOPE_FUZZ_RUNS:-30000}")
    echo "== $t: seed 1, ${CONVSCOPE_FUZZ_RUNS:-30000} inputs"
  else
    budget=(-max_total_time="$seconds")
    echo "== $t: ${seconds}s"
  fi
  dirs=("$corpus/$name")
  [ -d "$root/fuzz/regressions/$name" ] && dirs+=("$root/fuzz/regressions/$name")
  if "$build/fuzz/$t" "${dirs[@]}" "${budget[@]}" -timeout=10 -rss_limit_mb=2560 \
       -max_len=65536 -print_final_stats=1 -artifact_prefix="$artifacts/$t-" > "$log" 2>&1; then
    grep -E "stat::number_of_executed_units|stat::average_exec_per_sec|stat::peak_rss_mb" "$log" | tr '\n' ' '
    echo
  else
    echo "!! $t FAILED (log: $log)"
    grep -E "ERROR|SUMMARY|Test unit written" "$log" | head -20
    failed+=("$t")
  fi
done
if [ ${#failed[@]} -ne 0 ]; then
  echo "fuzzing found problems in: ${failed[*]}"
  exit 1
fi
if [ $ci -eq 1 ]; then
  echo "all fuzz targets ran their fixed inputs without a crash"
else
  echo "all fuzz targets ran ${seconds}s without a crash"
fi
