#!/usr/bin/env bash
# Installs everything, builds, and opens convscope on its built-in default scene:
# the seed's Conv2d(3, 192, kernel_size=5, stride=1, padding=2) on a 32x32x3 picture.
# Without a display (no $DISPLAY), it prints the same explanation in the terminal instead.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
if [ -n "${DISPLAY:-}" ] || [ -n "${WAYLAND_DISPLAY:-}" ]; then
  exec build/convscope "$@"
fi
echo "no display found: showing the default scene in the terminal (convscope-cli demo)" >&2
exec build/convscope-cli demo
