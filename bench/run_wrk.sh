#!/usr/bin/env bash
# Data-plane benchmark: a fast upstream double (a private nginx answering fixed OpenAI bodies),
# loaded with wrk directly, through nginx `proxy_pass`, through beast_floor_proxy (the bare
# Asio + Beast stack, when BUILD_DIR/bench has it) and through Gatehouse with API-key auth,
# non-streamed and streamed, at 1 and 64 connections. Prints the tables bench/README.md
# describes.
#
#   bench/run_wrk.sh [BUILD_DIR]        (default: build; `make bench` passes its BUILD_DIR)
#
# Environment: DURATION (5s), ROUNDS (3: measured runs per target, the targets taking turns;
# the table gives medians, and ratios are medians of ratios within a round), WARMUP (2s),
# WORKERS (1: nginx proxy worker_processes and Gatehouse [server] threads; the upstream
# always has 1), GATEHOUSE_BIN (overrides BUILD_DIR/apps/gatehouse/gatehouse), CHECK_EVERY=1
# (check every response body in the measured runs too, at some wrk CPU cost), KEEP_TMP=1 (keep
# the temp dir with configs and logs), STRICT=1 (exit 3 when a target is missed), PIN=1 (wrk
# and the upstream double on the first half of the cores, the proxy under test on the other
# half: each proxy is then measured by its own CPU cost per request, not by how the scheduler
# shares the cores with the load generator; see bench/README.md).
#
# Everything listens on 127.0.0.1 only, on free ports, in a temp dir from mktemp; every
# process started here is stopped on exit.

set -euo pipefail
export LC_ALL=C

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH="$ROOT/bench"
BUILD_DIR=${1:-build}
DURATION=${DURATION:-5s}
ROUNDS=${ROUNDS:-3}
WARMUP=${WARMUP:-2s}
WORKERS=${WORKERS:-1}
CHECK_EVERY=${CHECK_EVERY:-0}
KEEP_TMP=${KEEP_TMP:-0}
STRICT=${STRICT:-0}
PIN=${PIN:-0}
# "connections:threads" for wrk.
LOADS=("1:1" "64:2")
SCENARIOS=(nonstream stream)
# "guarded" is the same Gatehouse with a caller key whose policy runs every detector (PII,
# secrets, injection) on input and output, flagging what it finds: the difference between
# it and "gatehouse" in one run is what guardrails cost a request.
TARGETS=(direct nginx gatehouse guarded)
# "floor" is bench/beast_floor_proxy when it was built: Asio and Beast relaying and nothing
# else. Beside nginx it shows what the stack Gatehouse stands on costs; beside Gatehouse, what
# Gatehouse's own work (auth, JSON scans, routing, metering) costs.
# The issue's targets.
MIN_RPS_RATIO=0.80   # Gatehouse req/s over nginx's at 64 connections
MAX_ADDED_P50_US=100 # Gatehouse p50 minus the direct upstream's at 1 connection

say() { printf '%s\n' "$*" >&2; }
die() { say "run_wrk.sh: $*"; exit 1; }
show() { head -c 2000 "$1" >&2; echo >&2; } # a response body, on failure

# --- prerequisites -------------------------------------------------------------------------

for tool in nginx wrk curl; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool is not installed (apt-get install nginx-light wrk curl)"
done
if [[ -n "${GATEHOUSE_BIN:-}" ]]; then
  BIN=$GATEHOUSE_BIN
elif [[ -x "$BUILD_DIR/apps/gatehouse/gatehouse" ]]; then
  BIN=$BUILD_DIR/apps/gatehouse/gatehouse
else
  BIN=$ROOT/$BUILD_DIR/apps/gatehouse/gatehouse
fi
[[ -x "$BIN" ]] || die "no gatehouse binary at $BIN (build first: make build)"
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
FLOOR_BIN=
for candidate in "$BUILD_DIR/bench/beast_floor_proxy" "$ROOT/$BUILD_DIR/bench/beast_floor_proxy"; do
  if [[ -x "$candidate" ]]; then
    FLOOR_BIN=$candidate
    TARGETS=(direct nginx floor gatehouse guarded)
    break
  fi
done
[[ "$WORKERS" =~ ^[1-9][0-9]*$ ]] || die "WORKERS must be a positive integer"
[[ "$ROUNDS" =~ ^[1-9][0-9]*$ ]] || die "ROUNDS must be a positive integer"
# Command prefixes that set the CPUs a process (and every thread and child it starts) runs on.
LOAD_CPUS=() PROXY_CPUS=() PINNING="not pinned"
if [[ "$PIN" == 1 ]]; then
  command -v taskset >/dev/null 2>&1 || die "PIN=1 needs taskset (apt-get install util-linux)"
  cores=$(getconf _NPROCESSORS_ONLN)
  ((cores >= 2)) || die "PIN=1 needs at least 2 cores"
  load_range=0-$((cores / 2 - 1))
  proxy_range=$((cores / 2))-$((cores - 1))
  LOAD_CPUS=(taskset -c "$load_range")
  PROXY_CPUS=(taskset -c "$proxy_range")
  PINNING="wrk and upstream on cpus $load_range, the proxy on cpus $proxy_range"
elif [[ "$PIN" != 0 ]]; then
  die "PIN must be 0 or 1"
fi
HAVE_JQ=0
command -v jq >/dev/null 2>&1 && HAVE_JQ=1
CLK_TCK=$(getconf CLK_TCK 2>/dev/null || echo 100)

# --- temp dir and cleanup ------------------------------------------------------------------

WORK=$(mktemp -d "${TMPDIR:-/tmp}/gatehouse-bench.XXXXXX")
mkdir -p "$WORK/tmp" "$WORK/data" "$WORK/runs"
PIDS=() # each started with setsid, so its pid is also its process group

stop_group() {
  local pid=$1 i
  kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || return 0
  for ((i = 0; i < 50; i++)); do
    kill -0 -- "-$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
}

cleanup() {
  local status=$? pid
  trap - EXIT INT TERM
  if [[ -n "${WRK_PID:-}" ]]; then
    { kill -TERM "$WRK_PID" && wait "$WRK_PID"; } 2>/dev/null || true
  fi
  for pid in "${PIDS[@]}"; do
    stop_group "$pid"
  done
  wait 2>/dev/null || true
  if [[ "$KEEP_TMP" == 1 ]]; then
    say "kept $WORK"
  else
    rm -rf "$WORK"
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- helpers -------------------------------------------------------------------------------

# A port nothing listens on, below the ephemeral range (so no outgoing connection holds it).
free_port() {
  local low _ port i
  read -r low _ </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || low=32768
  ((low > 11000)) || low=32768
  for ((i = 0; i < 200; i++)); do
    port=$((10000 + RANDOM % (low - 10000)))
    if command -v ss >/dev/null 2>&1; then
      [[ -z "$(ss -Htan "sport = :$port" 2>/dev/null)" ]] || continue
    elif (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      continue
    fi
    echo "$port"
    return 0
  done
  die "no free port found"
}

# Waits until something answers HTTP on the port while `pid` is alive.
wait_http() {
  local port=$1 pid=$2 i
  for ((i = 0; i < 100; i++)); do
    kill -0 "$pid" 2>/dev/null || return 1
    if curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$port/"; then
      kill -0 "$pid" 2>/dev/null && return 0
      return 1
    fi
    sleep 0.1
  done
  return 1
}

# start_server NAME LAUNCHER [ARGS...]: `LAUNCHER PORT ARGS...` starts a server in the
# background, in its own process group, on PORT. Retries on another free port if it does not
# answer, then sets SERVER_PORT and SERVER_PID.
start_server() {
  local name=$1 launcher=$2 attempt port pid
  shift 2
  for ((attempt = 0; attempt < 5; attempt++)); do
    port=$(free_port)
    "$launcher" "$port" "$@"
    pid=$!
    PIDS+=("$pid")
    if wait_http "$port" "$pid"; then
      SERVER_PORT=$port
      SERVER_PID=$pid
      return 0
    fi
    stop_group "$pid"
  done
  cat "$WORK/$name.out" "$WORK/$name.error.log" >&2 2>/dev/null || true
  die "$name did not start"
}

# launch_nginx PORT NAME TEMPLATE [UPSTREAM_PORT]: renders the template and starts nginx in
# the foreground.
launch_nginx() {
  local port=$1 name=$2 template=$3 upstream_port=${4:-0} conf=$WORK/$2.conf workers=$WORKERS
  local -a cpus=("${PROXY_CPUS[@]}")
  if [[ $name == upstream ]]; then # the double: one worker, on the load generator's cores
    workers=1
    cpus=("${LOAD_CPUS[@]}")
  fi
  sed -e "s|@PREFIX@|$WORK|g" -e "s|@PORT@|$port|g" -e "s|@UPSTREAM_PORT@|$upstream_port|g" \
    -e "s|@WORKERS@|$workers|g" "$template" >"$conf"
  setsid "${cpus[@]}" nginx -p "$WORK" -e "$WORK/$name.error.log" -c "$conf" -g 'daemon off;' \
    >>"$WORK/$name.out" 2>&1 </dev/null &
}

# launch_floor PORT: starts beast_floor_proxy in front of the double.
launch_floor() {
  setsid "${PROXY_CPUS[@]}" "$FLOOR_BIN" "$1" "$UP_PORT" "$WORKERS" >>"$WORK/floor.out" 2>&1 </dev/null &
}

# CPU time, in clock ticks, used so far by every process in a process group.
group_ticks() {
  local pgid=$1 total=0 stat rest
  local -a f
  for stat in /proc/[0-9]*/stat; do
    { rest=$(<"$stat"); } 2>/dev/null || continue
    rest=${rest##*) }
    read -ra f <<<"$rest"
    [[ "${f[2]}" == "$pgid" ]] || continue
    total=$((total + f[11] + f[12]))
  done
  echo "$total"
}

json_check_completion() { # FILE
  if ((HAVE_JQ)); then
    jq -e '.object == "chat.completion" and (.choices[0].message.content | length > 0)
           and .choices[0].finish_reason == "stop" and (.usage.total_tokens > 0)' "$1" >/dev/null
  else
    grep -q '"object":"chat.completion"' "$1" && grep -q '"usage":{' "$1"
  fi
}

json_check_stream() { # FILE
  local file=$1 events
  # Every event is a `data:` line; the last is [DONE]; no error event.
  [[ "$(grep -c '^data: ' "$file")" -ge 3 ]] || return 1
  [[ "$(grep '^data: ' "$file" | tail -n 1 | tr -d '\r')" == "data: [DONE]" ]] || return 1
  ! grep -q '"error"' "$file" || return 1
  if ((HAVE_JQ)); then
    events=$(grep '^data: ' "$file" | grep -v '^data: \[DONE\]' | sed 's/^data: //')
    jq -e -s 'all(.object == "chat.completion.chunk")
              and any(.choices[0].delta.content? | strings | length > 0)
              and any(.choices == [] and .usage.total_tokens > 0)' <<<"$events" >/dev/null
  else
    grep -q '"object":"chat.completion.chunk"' "$file" && grep -q '"choices":\[\],"usage":{' "$file"
  fi
}

# check_target NAME SCENARIO URL: one request with curl; status 200 and the body's shape.
check_target() {
  local name=$1 scenario=$2 url=$3 out=$WORK/check-$1-$2 body accept meta code type
  body=$([[ $scenario == stream ]] && echo "$STREAM_BODY" || echo "$CHAT_BODY")
  accept=$([[ $scenario == stream ]] && echo text/event-stream || echo application/json)
  meta=$(curl -sS --max-time 10 -o "$out" -w '%{http_code} %{content_type}' \
    -H "Authorization: Bearer ${KEY_OF[$name]}" -H 'Content-Type: application/json' -H "Accept: $accept" \
    --data-binary "$body" "$url") || die "$name/$scenario: curl failed ($url)"
  read -r code type <<<"$meta"
  [[ "$code" == 200 ]] || { show "$out"; die "$name/$scenario: HTTP $code from $url"; }
  if [[ $scenario == stream ]]; then
    [[ "$type" == text/event-stream* ]] || die "$name/$scenario: content-type $type"
    json_check_stream "$out" || { show "$out"; die "$name/$scenario: not an OpenAI stream"; }
  else
    [[ "$type" == application/json* ]] || die "$name/$scenario: content-type $type"
    json_check_completion "$out" || { show "$out"; die "$name/$scenario: not a chat.completion"; }
  fi
}

# run_wrk OUT CHECK THREADS CONNS DURATION SCRIPT URL BODY. In the background, so that a
# signal to this script stops the run at once rather than after it.
WRK_PID=
run_wrk() {
  BENCH_API_KEY=${KEY_OF[$TARGET]} BENCH_BODY=$8 BENCH_CHECK_BODY=$2 \
    "${LOAD_CPUS[@]}" wrk -t "$3" -c "$4" -d "$5" --timeout 5s -s "$6" "$7" >"$1" 2>&1 </dev/null &
  WRK_PID=$!
  wait "$WRK_PID" || true
  WRK_PID=
}

# Parses a WRK_RESULT line into the associative array R.
declare -A R
parse_result() { # FILE
  local line kv
  R=()
  line=$(grep '^WRK_RESULT ' "$1" | tail -n 1) || return 1
  for kv in ${line#WRK_RESULT }; do
    R[${kv%%=*}]=${kv#*=}
  done
}

# --- request bodies (also what wrk sends) --------------------------------------------------

MESSAGES='"messages":[{"role":"system","content":"You are a helpful assistant. Answer briefly."},{"role":"user","content":"Tell me one surprising fact about octopuses, in two sentences."}],"temperature":0.7,"max_tokens":256'
CHAT_BODY="{\"model\":\"bench\",$MESSAGES}"
# The streamed body asks for the usage chunk (stream_options.include_usage), as the double sends it.
STREAM_BODY="{\"model\":\"bench-stream\",\"stream\":true,\"stream_options\":{\"include_usage\":true},$MESSAGES}"

# --- start the servers ---------------------------------------------------------------------

say "work dir: $WORK"
start_server upstream launch_nginx upstream "$BENCH/nginx/upstream.conf.template"
UP_PORT=$SERVER_PORT
UP_PID=$SERVER_PID
start_server proxy launch_nginx proxy "$BENCH/nginx/proxy.conf.template" "$UP_PORT"
PROXY_PORT=$SERVER_PORT
PROXY_PID=$SERVER_PID
FLOOR_PORT=
if [[ -n "$FLOOR_BIN" ]]; then
  start_server floor launch_floor
  FLOOR_PORT=$SERVER_PORT
  FLOOR_PID=$SERVER_PID
else
  say "no beast_floor_proxy in $BUILD_DIR/bench: the floor target is left out"
fi

cat >"$WORK/gatehouse.toml" <<EOF
# Written by bench/run_wrk.sh.
[server]
listen = "127.0.0.1:0"
threads = $WORKERS
access_log = false
shutdown_grace_ms = 1000

[[providers]]
name = "up"
type = "openai-compatible"
base_url = "http://127.0.0.1:$UP_PORT/v1"

[[providers]]
name = "upstream-stream"
type = "openai-compatible"
base_url = "http://127.0.0.1:$UP_PORT/stream/v1"

[[models]]
name = "bench"
  [[models.deployments]]
  provider = "up"
  model = "bench-upstream"

[[models]]
name = "bench-stream"
  [[models.deployments]]
  provider = "upstream-stream"
  model = "bench-upstream"
EOF

# The keys exist before the server starts, so the server loads them at start-up.
unset GATEHOUSE_PEPPER GATEHOUSE_PEPPER_FILE GATEHOUSE_MASTER_KEY GATEHOUSE_MASTER_KEY_FILE
# A master key of the bench's own, so the server does not warn that it generated one.
(umask 077 && od -An -tx1 -N32 /dev/urandom | tr -d ' \n' >"$WORK/master.key")
export GATEHOUSE_MASTER_KEY_FILE=$WORK/master.key
create_key() { # NAME: prints "id key"
  "$BIN" keys create --name "$1" --json --config "$WORK/gatehouse.toml" --data-dir "$WORK/data" \
    2>>"$WORK/gatehouse.log" | sed -n 's/.*"id":"\([^"]*\)".*"key":"\([^"]*\)".*/\1 \2/p'
}
read -r _ API_KEY < <(create_key bench) || true
read -r GUARDED_ID GUARDED_KEY < <(create_key bench-guarded) || true
[[ -n "$API_KEY" && -n "$GUARDED_KEY" ]] || die "gatehouse keys create failed (see $WORK/gatehouse.log)"
cat >"$WORK/guard-all.toml" <<EOF
name = "bench-all-detectors"
[input]
PII = "flag"
SECRETS = "flag"
INJECTION = "flag"
[output]
PII = "flag"
SECRETS = "flag"
EOF
cat >>"$WORK/gatehouse.toml" <<EOF

[guardrails]
[[guardrails.policies]]
name = "all"
file = "$WORK/guard-all.toml"
[guardrails.keys]
"$GUARDED_ID" = "all"
EOF
declare -A KEY_OF=([direct]=$API_KEY [nginx]=$API_KEY [floor]=$API_KEY [gatehouse]=$API_KEY [guarded]=$GUARDED_KEY)

: >"$WORK/gatehouse.out"
setsid "${PROXY_CPUS[@]}" "$BIN" serve --config "$WORK/gatehouse.toml" --data-dir "$WORK/data" \
  >>"$WORK/gatehouse.out" 2>>"$WORK/gatehouse.log" </dev/null &
GH_PID=$!
PIDS+=("$GH_PID")
GH_PORT=
for ((i = 0; i < 200; i++)); do
  kill -0 "$GH_PID" 2>/dev/null || { cat "$WORK/gatehouse.log" >&2; die "gatehouse exited at start-up"; }
  GH_PORT=$(sed -n 's|^listening on http://127\.0\.0\.1:\([0-9]*\)$|\1|p' "$WORK/gatehouse.out" 2>/dev/null || true)
  [[ -n "$GH_PORT" ]] && break
  sleep 0.1
done
[[ -n "$GH_PORT" ]] || die "gatehouse did not print 'listening on' within 20 s"

declare -A URL PID_OF
URL[nonstream/direct]=http://127.0.0.1:$UP_PORT/v1/chat/completions
URL[nonstream/nginx]=http://127.0.0.1:$PROXY_PORT/v1/chat/completions
URL[nonstream/gatehouse]=http://127.0.0.1:$GH_PORT/v1/chat/completions
URL[stream/direct]=http://127.0.0.1:$UP_PORT/stream/v1/chat/completions
URL[stream/nginx]=http://127.0.0.1:$PROXY_PORT/stream/v1/chat/completions
URL[stream/gatehouse]=http://127.0.0.1:$GH_PORT/v1/chat/completions
URL[nonstream/guarded]=${URL[nonstream/gatehouse]}
URL[stream/guarded]=${URL[stream/gatehouse]}
PID_OF[direct]=$UP_PID
PID_OF[nginx]=$PROXY_PID
if [[ -n "$FLOOR_PORT" ]]; then
  URL[nonstream/floor]=http://127.0.0.1:$FLOOR_PORT/v1/chat/completions
  URL[stream/floor]=http://127.0.0.1:$FLOOR_PORT/stream/v1/chat/completions
  PID_OF[floor]=$FLOOR_PID
fi
PID_OF[gatehouse]=$GH_PID
PID_OF[guarded]=$GH_PID

# --- sanity checks: the bench must never measure error responses ---------------------------

for scenario in "${SCENARIOS[@]}"; do
  for target in "${TARGETS[@]}"; do
    check_target "$target" "$scenario" "${URL[$scenario/$target]}"
  done
done
# Key auth is on: no key and a wrong key are both refused.
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 -H 'Content-Type: application/json' \
  --data-binary "$CHAT_BODY" "${URL[nonstream/gatehouse]}")
[[ "$code" == 401 ]] || die "gatehouse answered $code without a key (expected 401)"
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 -H 'Content-Type: application/json' \
  -H "Authorization: Bearer ${API_KEY%?}x" --data-binary "$CHAT_BODY" "${URL[nonstream/gatehouse]}")
[[ "$code" == 401 ]] || die "gatehouse answered $code to a wrong key (expected 401)"
say "checked: 200 and OpenAI-shaped bodies from all targets; gatehouse refuses missing/wrong keys"

# --- runs ----------------------------------------------------------------------------------

say "ports: upstream $UP_PORT, nginx $PROXY_PORT, floor ${FLOOR_PORT:-none}, gatehouse $GH_PORT; workers $WORKERS;" \
  "warm-up $WARMUP, then $ROUNDS rounds of $DURATION per target; $(nproc) cores, $PINNING; load $(cut -d' ' -f1-3 /proc/loadavg)"

declare -A RPS P50 P99 ERR CPU RATIO ROUND_RATIOS GUARD_RATIO ADDED_DIRECT ADDED_NGINX ADDED_GUARD \
  FLOOR_RATIO GH_FLOOR_RATIO
WARN=()
total_errors=0
# The median of the numbers given; "-" when one is not a number.
median() {
  printf '%s\n' "$@" | sort -g | awk '!/^-?[0-9.]+$/ { bad = 1 } { v[NR] = $1 }
    END { if (bad || NR == 0) print "-"; else if (NR % 2) print v[(NR + 1) / 2];
          else printf "%.10g\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
# One line per round from ARRAY (ROUND_RPS, ROUND_P50, ..., keyed "target/round"):
#   per_round ARRAY TARGET            the target's figure
#   per_round ARRAY TARGET / OTHER    its ratio to OTHER's figure in the same round
#   per_round ARRAY TARGET - OTHER    its difference from OTHER's figure in the same round
per_round() {
  local -n figures=$1
  local target=$2 op=${3:-} other=${4:-} round
  for ((round = 1; round <= ROUNDS; round++)); do
    if [[ -z "$op" ]]; then
      echo "${figures[$target/$round]}"
    else
      awk -v a="${figures[$target/$round]}" -v b="${figures[$other/$round]}" -v op="$op" \
        'BEGIN { if (op == "/") printf "%.4f\n", (b > 0 ? a / b : 0); else print a - b }'
    fi
  done
}
for scenario in "${SCENARIOS[@]}"; do
  script=$BENCH/wrk/$([[ $scenario == stream ]] && echo chat_stream.lua || echo chat.lua)
  body=$([[ $scenario == stream ]] && echo "$STREAM_BODY" || echo "$CHAT_BODY")
  for load in "${LOADS[@]}"; do
    conns=${load%%:*}
    threads=${load##*:}
    declare -A ROUND_RPS=() ROUND_P50=() ROUND_P99=() ROUND_CPU=()
    for target in "${TARGETS[@]}"; do
      key=$scenario/$target/$conns
      log=$WORK/runs/${key//\//-}
      say "  $scenario $target c=$conns: warm-up"
      TARGET=$target
      # Warm-up, with every response's status and body checked.
      run_wrk "$log.warmup" 1 "$threads" "$conns" "$WARMUP" "$script" "${URL[$scenario/$target]}" "$body"
      parse_result "$log.warmup" || die "$key: wrk warm-up failed: $(cat "$log.warmup")"
      warm_errors=$((R[connect] + R[read] + R[write] + R[timeout] + R[status] + R[bad]))
      if ((warm_errors > 0)); then
        WARN+=("$key: warm-up had $warm_errors bad responses of ${R[requests]} (status>=400 ${R[status]}, bad body or non-2xx ${R[bad]}, socket ${R[connect]}/${R[read]}/${R[write]}/${R[timeout]})")
        total_errors=$((total_errors + warm_errors))
      fi
    done
    # The measured runs, the targets taking turns round by round: the machine's speed drifts
    # over seconds (other tenants of the host), and a drift should touch every target alike.
    for ((round = 1; round <= ROUNDS; round++)); do
      for target in "${TARGETS[@]}"; do
        key=$scenario/$target/$conns
        log=$WORK/runs/${key//\//-}.$round
        say "  $scenario $target c=$conns: round $round of $ROUNDS"
        TARGET=$target
        ticks_before=$(group_ticks "${PID_OF[$target]}")
        run_wrk "$log" "$CHECK_EVERY" "$threads" "$conns" "$DURATION" "$script" "${URL[$scenario/$target]}" "$body"
        ticks_after=$(group_ticks "${PID_OF[$target]}")
        parse_result "$log" || die "$key: wrk failed: $(cat "$log")"
        ROUND_RPS[$target/$round]=${R[rps]}
        ROUND_P50[$target/$round]=${R[p50_us]}
        ROUND_P99[$target/$round]=${R[p99_us]}
        errors=$((R[connect] + R[read] + R[write] + R[timeout] + R[status] + R[bad]))
        ERR[$key]=$((${ERR[$key]:-0} + errors))
        total_errors=$((total_errors + errors))
        ROUND_CPU[$target/$round]=$(awk -v t=$((ticks_after - ticks_before)) -v hz="$CLK_TCK" \
          -v n="${R[requests]}" 'BEGIN { if (n > 0) printf "%.1f", t * 1e6 / hz / n; else print "-" }')
      done
    done
    for target in "${TARGETS[@]}"; do
      key=$scenario/$target/$conns
      RPS[$key]=$(median $(per_round ROUND_RPS "$target"))
      P50[$key]=$(median $(per_round ROUND_P50 "$target"))
      P99[$key]=$(median $(per_round ROUND_P99 "$target"))
      CPU[$key]=$(median $(per_round ROUND_CPU "$target"))
    done
    # Ratios and differences are taken within a round, where both sides met the same machine;
    # the median of those is what the targets are judged by.
    ratios=$(per_round ROUND_RPS gatehouse / nginx)
    RATIO[$scenario/$conns]=$(median $ratios)
    ROUND_RATIOS[$scenario/$conns]=$(printf '%.2f ' $ratios | sed 's/ $//')
    GUARD_RATIO[$scenario/$conns]=$(median $(per_round ROUND_RPS guarded / gatehouse))
    ADDED_DIRECT[$scenario/$conns]=$(median $(per_round ROUND_P50 gatehouse - direct))
    ADDED_NGINX[$scenario/$conns]=$(median $(per_round ROUND_P50 gatehouse - nginx))
    ADDED_GUARD[$scenario/$conns]=$(median $(per_round ROUND_P50 guarded - gatehouse))
    if [[ -n "$FLOOR_PORT" ]]; then
      FLOOR_RATIO[$scenario/$conns]=$(median $(per_round ROUND_RPS floor / nginx))
      GH_FLOOR_RATIO[$scenario/$conns]=$(median $(per_round ROUND_RPS gatehouse / floor))
    fi
  done
done

# --- report --------------------------------------------------------------------------------

GH_WARNINGS=$(grep -c '"level":"\(warn\|error\)"' "$WORK/gatehouse.log" 2>/dev/null || true)
NGINX_ERRORS=$(cat "$WORK/upstream.error.log" "$WORK/proxy.error.log" 2>/dev/null | grep -c '\[\(error\|crit\|alert\|emerg\)\]' || true)

echo
echo "Gatehouse data-plane benchmark: wrk, $ROUNDS rounds of ${DURATION} per target taking turns (after a ${WARMUP} warm-up; medians), 127.0.0.1,"
echo "$(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), nginx proxy and gatehouse with $WORKERS worker(s), $PINNING"
echo
printf '%-10s %-10s %5s %11s %9s %9s %7s %12s\n' scenario target conns 'req/s' 'p50 us' 'p99 us' errors 'cpu us/req'
printf '%-10s %-10s %5s %11s %9s %9s %7s %12s\n' ---------- ---------- ----- ----------- --------- --------- ------- ------------
for scenario in "${SCENARIOS[@]}"; do
  for load in "${LOADS[@]}"; do
    conns=${load%%:*}
    for target in "${TARGETS[@]}"; do
      key=$scenario/$target/$conns
      printf '%-10s %-10s %5s %11.0f %9s %9s %7s %12s\n' "$scenario" "$target" "$conns" \
        "${RPS[$key]}" "${P50[$key]}" "${P99[$key]}" "${ERR[$key]}" "${CPU[$key]}"
    done
  done
done

lo=${LOADS[0]%%:*}
hi=${LOADS[-1]%%:*}
echo
echo "Gatehouse against the targets (>= ${MIN_RPS_RATIO}x nginx req/s at $hi connections;"
echo "< ${MAX_ADDED_P50_US} us added p50 over the direct upstream at $lo connection)"
echo
printf '%-10s %16s %16s %20s %20s\n' scenario "gh/nginx rps@$lo" "gh/nginx rps@$hi" "gh-nginx p50@$lo us" "gh-direct p50@$lo us"
printf '%-10s %16s %16s %20s %20s\n' ---------- ---------------- ---------------- -------------------- --------------------
missed=0
for scenario in "${SCENARIOS[@]}"; do
  read -r ratio_lo ratio_hi dn dd ok_ratio ok_p50 < <(awk \
    -v rl="${RATIO[$scenario/$lo]}" -v rh="${RATIO[$scenario/$hi]}" \
    -v dn="${ADDED_NGINX[$scenario/$lo]}" -v dd="${ADDED_DIRECT[$scenario/$lo]}" \
    -v minr="$MIN_RPS_RATIO" -v maxp="$MAX_ADDED_P50_US" -v pinned="$PIN" \
    'BEGIN { printf "%.2f %.2f %+d %+d %s %s\n", rl, rh, dn, dd, (rh >= minr ? "PASS" : "MISS"),
               (pinned == 1 ? "n/a" : dd < maxp ? "PASS" : "MISS") }')
  [[ $ok_ratio == PASS && $ok_p50 != MISS ]] || missed=1
  printf '%-10s %16s %16s %20s %20s\n' "$scenario" "${ratio_lo}x" "${ratio_hi}x $ok_ratio" "$dn" "$dd $ok_p50"
done
echo
for scenario in "${SCENARIOS[@]}"; do
  echo "gh/nginx rps@$hi, $scenario, round by round: ${ROUND_RATIOS[$scenario/$hi]}"
done
if [[ "$PIN" == 1 ]]; then
  # At one connection every hop (wrk, proxy, upstream, proxy, wrk) wakes an idle core of the
  # other set, so the latencies there measure the machine's cross-core wake-up, not the proxy.
  echo "pinned: the p50 target is judged unpinned (PIN=0); at $lo connection each hop crosses cores"
fi

if [[ -n "$FLOOR_PORT" ]]; then
  echo
  echo "The bare stack (beast_floor_proxy: Asio + Beast relaying, nothing else) against nginx,"
  echo "and Gatehouse against it (medians of ratios within a round)"
  echo
  printf '%-10s %16s %16s %16s %16s\n' scenario "floor/nginx@$lo" "floor/nginx@$hi" "gh/floor@$lo" "gh/floor@$hi"
  printf '%-10s %16s %16s %16s %16s\n' ---------- ---------------- ---------------- ---------------- ----------------
  for scenario in "${SCENARIOS[@]}"; do
    awk -v s="$scenario" -v a="${FLOOR_RATIO[$scenario/$lo]}" -v b="${FLOOR_RATIO[$scenario/$hi]}" \
      -v c="${GH_FLOOR_RATIO[$scenario/$lo]}" -v d="${GH_FLOOR_RATIO[$scenario/$hi]}" \
      'BEGIN { printf "%-10s %15.2fx %15.2fx %15.2fx %15.2fx\n", s, a, b, c, d }'
  done
fi

echo
echo "Guardrails (every detector on input and output, flag) against the same Gatehouse unguarded"
echo
printf '%-10s %22s %22s %20s\n' scenario "added p50@$lo us" "rps guarded/plain@$hi" "added cpu us/req@$lo"
printf '%-10s %22s %22s %20s\n' ---------- ---------------------- ---------------------- --------------------
for scenario in "${SCENARIOS[@]}"; do
  awk -v s="$scenario" -v added="${ADDED_GUARD[$scenario/$lo]}" -v ratio="${GUARD_RATIO[$scenario/$hi]}" \
    -v gc="${CPU[$scenario/guarded/$lo]}" -v pc="${CPU[$scenario/gatehouse/$lo]}" \
    'BEGIN { printf "%-10s %+22d %21.2fx %+20.1f\n", s, added, ratio, gc - pc }'
done

echo
if ((${#WARN[@]})); then
  printf 'warning: %s\n' "${WARN[@]}"
fi
((GH_WARNINGS == 0)) || echo "warning: gatehouse logged $GH_WARNINGS warning/error lines (KEEP_TMP=1 keeps $WORK/gatehouse.log)"
((NGINX_ERRORS == 0)) || echo "warning: nginx logged $NGINX_ERRORS error lines (KEEP_TMP=1 keeps $WORK/*.error.log)"
if ((total_errors > 0)); then
  echo "FAILED: $total_errors error responses; the numbers above are not trustworthy"
  exit 2
fi
echo "errors: none (every warm-up response checked for status and body)"
if [[ "$STRICT" == 1 ]] && ((missed)); then
  exit 3
fi
