#!/usr/bin/env bash
# allocator_test.sh BINARY...: each executable allocates with jemalloc (see
# the allocator section of CMakeLists.txt), not merely links it. jemalloc
# prints its statistics at exit when MALLOC_CONF says so; libc's malloc
# ignores the variable.
set -euo pipefail
for bin in "$@"; do
  if ! MALLOC_CONF=stats_print:true "$bin" --help 2>&1 >/dev/null | grep -q "Begin jemalloc statistics"; then
    echo "FAIL: $bin does not allocate with jemalloc"
    exit 1
  fi
done
echo "PASS: $* allocate with jemalloc"
