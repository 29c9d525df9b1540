#!/usr/bin/env bash
# compose/Dockerfile builds the same code as a local checkout, so its build
# stage must install every library package that scripts/install-deps does
# (a package missing there fails `cmake --preset default` or the compile, and
# only for Docker users). Needs no Docker: it compares the two package lists.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../.." && pwd)"
DEPS="$REPO_ROOT/scripts/install-deps"
DOCKERFILE="$REPO_ROOT/compose/Dockerfile"

# PACKAGES=( ... ) of install-deps, one name per line.
wanted="$(sed -n '/^PACKAGES=(/,/^)/p' "$DEPS" | sed '1d;$d' | tr -s ' \t' '\n' | sed '/^$/d')"
[[ -n "$wanted" ]] || { echo "FAIL: no PACKAGES=( ... ) list found in $DEPS"; exit 1; }
# The build stage: from the first FROM to the second.
build_stage="$(awk '/^FROM /{n++} n==1' "$DOCKERFILE")"

missing=()
while read -r pkg; do
  # Libraries and headers are what CMake and the compiler need; the rest of
  # install-deps is the broker, benchmark and browser tooling of a developer.
  case "$pkg" in
    libclang-rt-*) continue ;;  # sanitizer runtimes of the asan preset, not built in the image
    lib*-dev | nlohmann-json3-dev | protobuf-compiler | pkg-config | cmake | ninja-build) ;;
    *) continue ;;
  esac
  grep -qwF -- "$pkg" <<<"$build_stage" || missing+=("$pkg")
done <<<"$wanted"

if ((${#missing[@]})); then
  echo "FAIL: compose/Dockerfile's build stage does not install: ${missing[*]} (scripts/install-deps does)"
  exit 1
fi
echo "PASS: compose/Dockerfile's build stage installs every library package of scripts/install-deps"
