-- wrk script: rotate through the request paths listed in $BENCH_PATHS (each thread from its own starting point);
-- print the figures bench/common.py reads as "STAT <name> <value>" lines.
local paths = {}
local counter = 0
local method = os.getenv("BENCH_METHOD") or "GET"
local body = os.getenv("BENCH_BODY") or ""
local headers = {}
local thread_number = 0

function setup(thread)
  thread:set("offset", thread_number * 7919)
  thread_number = thread_number + 1
end

function init(args)
  for line in io.lines(os.getenv("BENCH_PATHS")) do paths[#paths + 1] = line end
  for line in string.gmatch(os.getenv("BENCH_HEADERS") or "", "[^\n]+") do
    local k, v = string.match(line, "^([^:]+):%s*(.*)$")
    if k then headers[k] = v end
  end
  counter = offset or 0
end

function request()
  counter = counter + 1
  local path = paths[(counter % #paths) + 1]
  local h = {}
  for k, v in pairs(headers) do h[k] = v end
  if method == "POST" then
    h["Idempotency-Key"] = "bench-" .. math.random(1, 2^30) .. "-" .. counter
    h["Content-Type"] = "application/json"
    return wrk.format("POST", path, h, body)
  end
  return wrk.format(method, path, h)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("STAT requests %d\n", summary.requests))
  io.write(string.format("STAT duration_us %d\n", summary.duration))
  io.write(string.format("STAT p50_ms %.2f\n", latency:percentile(50) / 1000))
  io.write(string.format("STAT p95_ms %.2f\n", latency:percentile(95) / 1000))
  io.write(string.format("STAT non2xx %d\n", e.status))
  io.write(string.format("STAT socket_errors %d\n", e.connect + e.read + e.write + e.timeout))
end
