-- One script for every wrk scenario; the harness sets it up through environment variables:
--   BENCH_METHOD, BENCH_BODY, BENCH_HEADERS ("Name: value" lines)    the request (static unless a mode below)
--   BENCH_MODE=lines   BENCH_FILE: Authorization "Bearer <line>", the next line of the file on every request (built at init)
--   BENCH_MODE=randtoken         a new random well-formed ek_live_ token on every request
--   BENCH_MODE=bulk    BENCH_ENV, BENCH_BATCH: a bulk create of BENCH_BATCH secrets with keys never used before
--   BENCH_MODE=update  BENCH_ENV: the URL's secret updated in that environment to a new value each time
--   BENCH_DELAY_MS     with any mode: a pause after each answer on each connection (a paced load, not a flood)
--   BENCH_RATE         with any mode: requests a second for each wrk thread, on a fixed schedule over its connections
--                      (the soak's paced load: at most that rate whatever the answers' latency, given enough connections)
-- done() prints one line "BENCH {json}" that the harness reads.
local mode = os.getenv("BENCH_MODE") or "static"
local method = os.getenv("BENCH_METHOD") or "GET"
local body = os.getenv("BENCH_BODY")
local threads = {}
local counter = 0
local lines = {}

wrk.method = method
if body and body ~= "" then wrk.body = body end
for line in string.gmatch(os.getenv("BENCH_HEADERS") or "", "[^\n]+") do
  local name, value = string.match(line, "^([^:]+):%s*(.*)$")
  if name then wrk.headers[name] = value end
end

function setup(thread)
  thread:set("thread_id", #threads)
  table.insert(threads, thread)
end

-- lines mode builds every request once, here: per-request string building in Lua would take client CPU from the
-- two cores the server shares, and more for a flood of distinct tokens than for one repeated token
function init(args)
  thread_id = thread_id or 0
  if mode == "lines" then
    for line in io.lines(os.getenv("BENCH_FILE")) do
      if line ~= "" then
        local headers = {}
        for name, value in pairs(wrk.headers) do headers[name] = value end
        headers["Authorization"] = "Bearer " .. line
        table.insert(lines, wrk.format(nil, nil, headers))
      end
    end
    counter = (thread_id * 7919) % #lines
  end
  math.randomseed(os.time() * 1000 + thread_id)
end

local alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
local function random_token()
  local chars = {}
  for i = 1, 43 do
    local k = math.random(1, 62)
    chars[i] = string.sub(alphabet, k, k)
  end
  return "ek_live_" .. table.concat(chars)
end

if mode == "lines" then
  request = function()
    counter = counter + 1
    if counter > #lines then counter = 1 end
    return lines[counter]
  end
elseif mode == "randtoken" then
  request = function()
    wrk.headers["Authorization"] = "Bearer " .. random_token()
    return wrk.format()
  end
elseif mode == "bulk" then
  local env = os.getenv("BENCH_ENV")
  local batch = tonumber(os.getenv("BENCH_BATCH") or "20")
  local run = os.getenv("BENCH_RUN") or "r"
  request = function()
    counter = counter + 1
    local parts = {}
    for i = 1, batch do
      parts[i] = string.format('{"key":"K_%s_%d_%d_%d","value":"value-%d-%d-%s"}', run, thread_id, counter, i, counter, i,
        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx")
    end
    return wrk.format("POST", nil, nil, '{"environments":["' .. env .. '"],"secrets":[' .. table.concat(parts, ",") .. ']}')
  end
elseif mode == "update" then
  -- a single secret's update: BENCH_ENV, a new value every time (an update to the same value would still write)
  local env = os.getenv("BENCH_ENV")
  local run = os.getenv("BENCH_RUN") or "r"
  request = function()
    counter = counter + 1
    return wrk.format("PUT", nil, nil, string.format('{"values":[{"environmentId":"%s","value":"v-%s-%d-%d"}]}', env, run,
      thread_id, counter))
  end
end

-- BENCH_DELAY_MS: each connection waits this long after an answer before its next request (the soak's paced load)
local pause = tonumber(os.getenv("BENCH_DELAY_MS") or "0")
if pause > 0 then
  delay = function()
    return pause
  end
end

-- BENCH_RATE: a schedule of slots 1/rate apart shared by the thread's connections; before each request a connection
-- waits for the next free slot, so the rate is the schedule's as long as some connection is free when a slot comes.
-- A connection waits at most until its slot: when every connection was busy, the slots missed are caught up, but no
-- more than a second's worth (a stall must not be followed by an unbounded burst). wrk's delays are whole ms and Lua
-- has no wall clock finer than a second, so the time is the monotonic clock through LuaJIT's ffi.
local rate = tonumber(os.getenv("BENCH_RATE") or "0")
if rate > 0 then
  local ffi = require("ffi")
  ffi.cdef[[
    typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
    int clock_gettime(int clock, bench_timespec *ts);
  ]]
  local ts = ffi.new("bench_timespec")
  local CLOCK_MONOTONIC = 1
  local function now_ms()
    ffi.C.clock_gettime(CLOCK_MONOTONIC, ts)
    return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
  end
  local every = 1000 / rate
  local slot = nil
  delay = function()
    local now = now_ms()
    if slot == nil or slot < now - 1000 then slot = now end
    local wait = slot - now
    slot = slot + every
    if wait <= 0 then return 0 end
    return math.floor(wait)
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('BENCH {"requests":%d,"durationUs":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,' ..
    '"p50":%d,"p99":%d,"p999":%d,"max":%d,"mean":%.1f}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99), latency:percentile(99.9), latency.max, latency.mean))
end
