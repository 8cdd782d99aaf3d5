#!/usr/bin/env bash
# Installs every Debian package convscope needs to build, test and run. Idempotent, non-interactive.
# Works as root or through sudo.
set -euo pipefail

packages=(
  g++ cmake pkg-config make git
  libimgui-dev libglfw3-dev python3-glad libstb-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libcli11-dev nlohmann-json3-dev
  libopenblas-dev libgif-dev libprotobuf-dev protobuf-compiler libonnx-dev libonnx-testdata libarchive-dev
  python3-torch python3-numpy python3-onnx ffmpeg python3-pil zlib1g-dev
  clang libclang-rt-14-dev clang-format
  xvfb xauth libgl1-mesa-dri
)

if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#packages[@]} packages already installed"
  exit 0
fi

echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
