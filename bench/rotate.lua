-- wrk script: rotate through the request paths listed in $BENCH_PATHS; report p95 latency.
local paths = {}
local counter = 0
local method = os.getenv("BENCH_METHOD") or "GET"
local body = os.getenv("BENCH_BODY") or ""
local headers = {}

function init(args)
  for line in io.lines(os.getenv("BENCH_PATHS")) do paths[#paths + 1] = line end
  for line in string.gmatch(os.getenv("BENCH_HEADERS") or "", "[^\n]+") do
    local k, v = string.match(line, "^([^:]+):%s*(.*)$")
    if k then headers[k] = v end
  end
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
  io.write(string.format("STAT p95 %.1fms\n", latency:percentile(95) / 1000))
end
