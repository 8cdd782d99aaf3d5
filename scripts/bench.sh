#!/usr/bin/env bash
# Benchmarks convscope's engines against PyTorch in one run (same shapes, same thread counts) and prints the
# ratio ours/PyTorch per shape. Needs a build (scripts/build.sh). Figures only; nothing is asserted.
set -euo pipefail
cd "$(dirname "$0")/.."
ours=$(build/bench/bench_fast "$@")
theirs=$(/usr/bin/python3 bench/bench_torch.py 1 2)
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "$ours" | grep -E '^# (OpenBLAS|sgemm)' || true
echo "$theirs" | grep '^#' || true
printf '%-4s %7s %12s %10s %10s %7s %10s %8s  %s\n' shape threads reference_ms fast_ms torch_ms ratio cursor_ns GFLOPS engine
join -j1 <(echo "$ours" | grep -v '^#' | awk '{print $1"_"$2, $3, $4, $5, $6, $7}' | sort) \
         <(echo "$theirs" | grep -v '^#' | awk '{print $1"_"$2, $3}' | sort) |
  awk '{split($1, k, "_"); printf "%-4s %7s %12.3f %10.3f %10.3f %7.2f %10.0f %8.1f  %s\n", k[1], k[2], $2, $3, $7, $3/$7, $4, $5, $6}' |
  sort -k1,1 -k2,2n
echo "ratio = fast_ms / torch_ms (<= 1.0: convscope is faster); S7 is MaxPool2d (pool_fast); S8 is"
echo "ConvTranspose2d(64, 32, 4, stride=2, padding=1) on 1x64x56x56 (GEMM + col2im; cursor_ns = one gather state)"
build/bench/bench_cifar
scripts/bench_export.sh || echo "export benchmark skipped (needs build/convscope, xvfb-run, ffmpeg)"
