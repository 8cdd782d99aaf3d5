#!/usr/bin/env bash
# Export throughput (frames/s) of the window's --export for a PNG sequence, GIF and MP4 at 1x and 2x on the
# default scene, next to the plain offscreen render + read-back time per frame measured in the same run.
# Needs a GUI build (build/convscope), xvfb-run and ffmpeg. Figures only; nothing is asserted.
set -euo pipefail
cd "$(dirname "$0")/.."
app=${1:-build/convscope}
frames=${2:-48}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
printf '%-15s %5s %11s %9s %11s %10s %7s\n' format scale size frames render_ms export_ms fps
for scale in 1 2; do
  for out in seq/ conv.gif conv.mp4; do
    line=$(xvfb-run -a -s '-screen 0 1280x800x24' "$app" --export "$tmp/$scale-$out" --steps "0:$frames" \
           --scale "$scale" --fps 10 | grep '^exported')
    # exported OUT: N frames of W x H px (FORMAT) in T s; per frame: render R ms, export E ms (F frames/s)
    echo "$line" | sed -E 's/^exported [^:]+: ([0-9]+) frames? of ([0-9]+) x ([0-9]+) px \((.*)\) in [0-9.]+ s; per frame: render ([0-9.]+) ms, export ([0-9.]+) ms \(([0-9.]+) frames\/s\)/\4|\2x\3|\1|\5|\6|\7/' |
      awk -F'|' -v s="$scale" '{printf "%-15s %5s %11s %9s %11s %10s %7s\n", $1, s"x", $2, $3, $4, $5, $6}'
  done
done
echo "render_ms: offscreen render + read-back per frame; export_ms: wall time per frame including encoding"
echo "(the encoder runs on a worker thread, overlapped with rendering)"
