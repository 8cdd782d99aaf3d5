#!/usr/bin/env bash
# Installs everything, checks the C++ formatting (scripts/format.sh), builds with warnings as errors, and runs every test:
#   1. the full build (core, CLI, window) and all ctest suites: unit tests, live-PyTorch differential test,
#      seed-question scenarios, CLI behaviour, GUI tests under Xvfb;
#   2. a second build with -fsanitize=address,undefined running the core and CLI tests again;
#   3. a short, seeded libFuzzer run of every loader (clang, ASan + UBSan), replaying past crashes first.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
jobs=$(nproc 2>/dev/null || echo 2)
export CTEST_OUTPUT_ON_FAILURE=1

echo "== format (.clang-format)"
bash scripts/format.sh --check

echo "== build (warnings are errors)"
BUILD_DIR=build bash scripts/build.sh -DCONVSCOPE_WERROR=ON
echo "== tests"
(cd build && ctest -j"$jobs" --timeout 900)

echo "== sanitizer build (address, undefined)"
BUILD_DIR=build-asan bash scripts/build.sh -DCONVSCOPE_WERROR=ON -DCONVSCOPE_SANITIZE=ON -DCONVSCOPE_BUILD_GUI=OFF \
  -DCONVSCOPE_BUILD_BENCH=OFF -DCMAKE_BUILD_TYPE=Debug
echo "== sanitizer tests"
(cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ctest -j"$jobs" --timeout 900)
echo "== fuzz: every loader's libFuzzer target, seeded and reproducible (longer, timed runs: fuzz/README.md)"
bash scripts/fuzz.sh --ci
echo "== all tests passed"
