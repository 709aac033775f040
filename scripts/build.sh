#!/usr/bin/env bash
# Builds BUILD_DIR (RelWithDebInfo), with profile-guided optimisation of the gateway's code:
#   1. BUILD_DIR-pgo holds an instrumented gatehouse (GATEHOUSE_PGO=GENERATE);
#   2. when that binary differs from the one last trained, bench/run_wrk.sh runs it for a
#      few seconds per scenario (streamed and not, guarded and not, 1 and 64 connections),
#      and its profile lands in BUILD_DIR/pgo-profile;
#   3. BUILD_DIR is built with that profile (GATEHOUSE_PGO=USE).
# PGO=0 builds without a profile. So does a training run that fails (it needs nginx and wrk,
# which scripts/install-deps.sh installs), with a warning: the build itself never fails for it.
#
#   scripts/build.sh [BUILD_DIR] [extra cmake arguments...]
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${1:-build}
shift || true
JOBS=${JOBS:-$(nproc)}
PGO=${PGO:-1}

mkdir -p "$BUILD_DIR"
profile=$(cd "$BUILD_DIR" && pwd)/pgo-profile
mode=OFF
if [ "$PGO" = 1 ]; then
  instrumented=$BUILD_DIR-pgo
  cmake -S . -B "$instrumented" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DGATEHOUSE_PGO=GENERATE -DGATEHOUSE_PGO_DIR="$profile" "$@" >/dev/null
  cmake --build "$instrumented" -j "$JOBS" --target gatehouse
  binary=$instrumented/apps/gatehouse/gatehouse
  stamp=$profile/trained-binary.sha256
  if [ -f "$stamp" ] && sha256sum --check --status "$stamp" 2>/dev/null; then
    mode=USE # the profile was written by this very binary
  else
    rm -rf "$profile"
    mkdir -p "$profile"
    echo "pgo: training the instrumented gatehouse under load (log: $profile/training.log)"
    if DURATION=2s ROUNDS=1 WARMUP=1s GATEHOUSE_BIN="$binary" bash bench/run_wrk.sh "$instrumented" \
      >"$profile/training.log" 2>&1 && compgen -G "$profile/*.gcda" >/dev/null; then
      sha256sum "$binary" >"$stamp"
      mode=USE
    else
      echo "pgo: the training run failed (see $profile/training.log); building without a profile" >&2
    fi
  fi
fi
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGATEHOUSE_PGO="$mode" \
  -DGATEHOUSE_PGO_DIR="$profile" "$@" >/dev/null
cmake --build "$BUILD_DIR" -j "$JOBS"
