#!/usr/bin/env bash
# The C++ sources follow .clang-format (clang-format 14, Debian's). `bash scripts/format.sh` rewrites them in place;
# `bash scripts/format.sh --check` changes nothing and fails, listing the files, when one differs (scripts/test.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(find app bench core fuzz tests -type f \( -name '*.cpp' -o -name '*.hpp' -o -name '*.h' \) | sort)
if [ "${1:-}" = "--check" ]; then
  bad=()
  for f in "${files[@]}"; do
    clang-format --style=file --dry-run --Werror "$f" > /dev/null 2>&1 || bad+=("$f")
  done
  if [ ${#bad[@]} -gt 0 ]; then
    echo "format: ${#bad[@]} of ${#files[@]} files differ from .clang-format (run: bash scripts/format.sh):"
    printf '  %s\n' "${bad[@]}"
    exit 1
  fi
  echo "format: all ${#files[@]} C++ files follow .clang-format"
else
  clang-format --style=file -i "${files[@]}"
fi
