-- Shared by chat.lua and chat_stream.lua (bench/run_wrk.sh loads one of those with `wrk -s`).
--
-- Every request is the same POST of a small OpenAI Chat Completions body (BENCH_BODY, which
-- run_wrk.sh sets to the body it has just checked with curl; a built-in copy otherwise) with
-- the caller key (BENCH_API_KEY) in `Authorization`. Every target gets the same bytes.
--
-- BENCH_CHECK_BODY=1 (run_wrk.sh sets it for warm-ups) also checks every response: a status
-- outside 2xx, or a body without its marker (`"chat.completion"` and `"usage"` for a
-- completion; `data: [DONE]` and no `"error"` for a stream), counts as `bad`. It costs wrk
-- CPU per response, so measured runs leave it off and rely on wrk's own counters.
--
-- done() prints one machine-readable line (latencies in microseconds):
--
--   WRK_RESULT requests=N duration_us=N rps=X p50_us=N p90_us=N p99_us=N max_us=N
--     connect=N read=N write=N timeout=N status=N bad=N
--
-- `status` is wrk's count of responses with status >= 400; `bad` is this script's count
-- (0 when checking is off).

local M = {}

local function request_body(stream)
  local model = stream and "bench-stream" or "bench"
  local body = '{"model":"' .. model .. '",'
  if stream then
    body = body .. '"stream":true,"stream_options":{"include_usage":true},'
  end
  return body
    .. '"messages":[{"role":"system","content":"You are a helpful assistant. Answer briefly."},'
    .. '{"role":"user","content":"Tell me one surprising fact about octopuses, in two sentences."}],'
    .. '"temperature":0.7,"max_tokens":256}'
end

local threads = {}

function M.configure(stream)
  local key = os.getenv("BENCH_API_KEY") or ""
  local check = os.getenv("BENCH_CHECK_BODY") == "1"

  wrk.method = "POST"
  local body = os.getenv("BENCH_BODY")
  wrk.body = (body and body ~= "") and body or request_body(stream)
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Accept"] = stream and "text/event-stream" or "application/json"
  if key ~= "" then
    wrk.headers["Authorization"] = "Bearer " .. key
  end

  -- Runs once per wrk thread, in the main Lua state, before the threads start.
  setup = function(thread)
    table.insert(threads, thread)
  end

  if check then
    bad = 0
    local find = string.find
    if stream then
      response = function(status, headers, body)
        if status < 200 or status > 299 or not find(body, "data: [DONE]", 1, true)
            or find(body, '"error"', 1, true) then
          bad = bad + 1
        end
      end
    else
      response = function(status, headers, body)
        if status < 200 or status > 299 or not find(body, '"chat.completion"', 1, true)
            or not find(body, '"usage"', 1, true) then
          bad = bad + 1
        end
      end
    end
  end

  done = function(summary, latency, requests)
    local bad_total = 0
    for _, thread in ipairs(threads) do
      bad_total = bad_total + (tonumber(thread:get("bad")) or 0)
    end
    local seconds = summary.duration / 1e6
    local e = summary.errors
    io.write(string.format(
      "WRK_RESULT requests=%d duration_us=%d rps=%.1f p50_us=%d p90_us=%d p99_us=%d max_us=%d "
        .. "connect=%d read=%d write=%d timeout=%d status=%d bad=%d\n",
      summary.requests, summary.duration, summary.requests / seconds,
      latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
      e.connect, e.read, e.write, e.timeout, e.status, bad_total))
  end
end

return M
