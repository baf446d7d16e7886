-- wrk: count answers other than 200 (a redirect to the login page is an error here too),
-- and print the figures as one JSON line for bench/run.py.
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  bad = 0
end

function response(status, headers, body)
  if status ~= 200 then
    bad = bad + 1
  end
end

function done(summary, latency, requests)
  local bad_total = 0
  for _, thread in ipairs(threads) do
    bad_total = bad_total + thread:get("bad")
  end
  local errors = summary.errors
  io.write(string.format(
    '{"requests": %d, "seconds": %.3f, "p50": %.3f, "p95": %.3f, "p99": %.3f, ' ..
    '"not_200": %d, "socket_errors": %d}\n',
    summary.requests, summary.duration / 1e6,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, bad_total,
    errors.connect + errors.read + errors.write + errors.timeout))
end
