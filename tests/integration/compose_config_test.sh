#!/usr/bin/env bash
# Validates compose/docker-compose.yml with `docker compose config -q`.
# Machines without the Docker Compose plugin print "SKIP: docker compose not
# available" and exit 0 (ctest maps that line to a skip).
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../.." && pwd)"
COMPOSE_FILE="$REPO_ROOT/compose/docker-compose.yml"

if ! command -v docker >/dev/null 2>&1 || ! docker compose version >/dev/null 2>&1; then
  echo "SKIP: docker compose not available"
  exit 0
fi

[[ -f "$COMPOSE_FILE" ]] || { echo "FAIL: $COMPOSE_FILE is missing"; exit 1; }

# `config` parses, validates against the Compose schema and interpolates;
# it needs no Docker engine and builds nothing.
if ! out="$(docker compose -f "$COMPOSE_FILE" config -q 2>&1)"; then
  echo "FAIL: docker compose config rejected $COMPOSE_FILE:"
  printf '%s\n' "$out"
  exit 1
fi

# The services the README promises must be there.
services="$(docker compose -f "$COMPOSE_FILE" config --services 2>/dev/null)"
for svc in kafka projector; do
  if ! grep -qx "$svc" <<<"$services"; then
    echo "FAIL: service '$svc' not defined in $COMPOSE_FILE (have: $(tr '\n' ' ' <<<"$services"))"
    exit 1
  fi
done

echo "PASS: $COMPOSE_FILE is a valid Compose file (services: $(tr '\n' ' ' <<<"$services"))"
