#!/usr/bin/env bash
# `make test`: format check, then the whole suite three ways:
#   1. RelWithDebInfo build: unit + integration tests (ctest)
#   2. ASan + UBSan build: the same tests
#   3. clang libFuzzer build: corpus replay + a bounded fuzz run per target
# Ends with one summary line CI can read: "gatehouse: N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
JOBS=${JOBS:-$(nproc)}
FUZZ_SECONDS=${FUZZ_SECONDS:-20}
passed=0
failed=0
status=0

# Adds one ctest run's counts to the totals.
count() {
  local log=$1 line total failures
  line=$(grep -E '[0-9]+% tests passed, [0-9]+ tests? failed out of [0-9]+' "$log" | tail -n 1)
  if [ -z "$line" ]; then
    failed=$((failed + 1))
    return
  fi
  failures=$(sed -E 's/.* ([0-9]+) tests? failed out of ([0-9]+).*/\1/' <<<"$line")
  total=$(sed -E 's/.* out of ([0-9]+).*/\1/' <<<"$line")
  passed=$((passed + total - failures))
  failed=$((failed + failures))
}

stage() { printf '\n=== %s ===\n' "$*"; }

stage "format"
unformatted=$(git ls-files '*.cc' '*.h' | xargs clang-format --dry-run --Werror 2>&1 | grep -c 'error:' || true)
if [ "$unformatted" != "0" ]; then
  git ls-files '*.cc' '*.h' | xargs clang-format --dry-run --Werror 2>&1 | grep 'error:' | head -20
  echo "clang-format: $unformatted lines need formatting (run: make format)"
  failed=$((failed + 1))
  status=1
else
  passed=$((passed + 1))
fi

stage "integration test dependencies (npm ci)"
(cd tests/integration && npm ci --no-audit --no-fund --loglevel=error) || { status=1; failed=$((failed + 1)); }

run_suite() {
  local dir=$1; shift
  stage "build $dir ($*)"
  if ! cmake -S . -B "$dir" -G Ninja "$@" >"$dir.configure.log" 2>&1; then
    cat "$dir.configure.log"; failed=$((failed + 1)); status=1; return
  fi
  if ! cmake --build "$dir" -j "$JOBS"; then
    failed=$((failed + 1)); status=1; return
  fi
  stage "test $dir"
  (cd "$dir" && ctest --output-on-failure -j "$JOBS" 2>&1) | tee "$dir.ctest.log"
  [ "${PIPESTATUS[0]}" -eq 0 ] || status=1
  count "$dir.ctest.log"
}

mkdir -p build build-asan build-fuzz
# The main build is the one `make run` serves: profile-guided (scripts/build.sh), whose
# configuration run_suite then keeps.
stage "build build (profile-guided: scripts/build.sh)"
JOBS=$JOBS bash scripts/build.sh build || { failed=$((failed + 1)); status=1; }
run_suite build -DCMAKE_BUILD_TYPE=RelWithDebInfo
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  run_suite build-asan -DCMAKE_BUILD_TYPE=Debug -DGATEHOUSE_SANITIZE=ON
FUZZ_SECONDS=$FUZZ_SECONDS run_suite build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DGATEHOUSE_FUZZ=ON -DCMAKE_CXX_COMPILER=clang++ -DGATEHOUSE_FUZZ_SECONDS="$FUZZ_SECONDS"

printf '\n'
echo "gatehouse: $passed passed, $failed failed"
[ "$failed" -eq 0 ] || status=1
exit $status
