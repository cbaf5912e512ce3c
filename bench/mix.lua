-- wrk script of bench.http: the write mix of Accord's API (creates, and steps with If-Match and Idempotency-Key).
--
--   wrk -t 8 -c 8 -d 10s --timeout 10s -s bench/mix.lua http://127.0.0.1:PORT -- RUN ALICE BRUNO CREATES_EVERY [ping]
--
-- Run it with as many threads as connections (-t N -c N): wrk keeps one Lua state per thread, so each thread
-- then drives one connection, which owns one agreement at a time and tracks its version from the ETag of each
-- response. Every CREATES_EVERY-th request of a connection creates a new agreement (POST /api/v1/agreements,
-- whose Location names it); the others take the next step of the cycle attach_text (alice) ->
-- request_legal_review (alice) -> complete_legal_review (bruno: changes requested) -> attach_text ...
-- Any answer but the expected 201/200 counts as a failure and the connection starts a new agreement.
-- With "ping" as the fifth argument every request is GET /ping (the client's own ceiling).
-- done() prints one line "BENCH_JSON {...}" with the counts, errors and latency percentiles (microseconds).

local threads = {}

function setup(thread)
  thread:set("number", #threads + 1)
  table.insert(threads, thread)
end

local prefix, tokens, creates_every, ping, texts
local path, version, stepno, taken, sent, inflight = nil, 0, 0, 0, 0, nil
creates, steps, failures = 0, 0, 0

local cycle = {
  {"attach_text", "alice"},
  {"request_legal_review", "alice"},
  {"complete_legal_review", "bruno"},
}

function init(args)
  prefix = args[1] .. "-" .. number
  tokens = {alice = args[2], bruno = args[3]}
  creates_every = tonumber(args[4] or "10")
  ping = args[5] == "ping"
  texts = {args[6], args[7]}  -- the sha256s of two uploaded drafts (version 2 attaches stored texts)
end

local function headers_for(user, key)
  return {["Authorization"] = "Bearer " .. tokens[user], ["Content-Type"] = "application/json",
          ["Idempotency-Key"] = key}
end

function request()
  sent = sent + 1
  if ping then
    inflight = "ping"
    return wrk.format("GET", "/ping")
  end
  local key = prefix .. "-" .. sent
  if path == nil or taken >= creates_every - 1 then
    inflight = "create"
    local body = string.format('{"title": "Memorandum of Understanding between CERN and the University of '
      .. 'Benchmarks %s on detector development", "kind": "memorandum_of_understanding", "counterparties": '
      .. '[{"name": "University of Benchmarks %s", "kind": "institute", "country": "CL"}], '
      .. '"reason": "Benchmark create."}', key, key)
    return wrk.format("POST", "/api/v1/agreements", headers_for("alice", key), body)
  end
  local step = cycle[stepno % 3 + 1]
  inflight = step[1]
  local headers = headers_for(step[2], key)
  headers["If-Match"] = '"' .. version .. '"'
  local body
  if step[1] == "attach_text" then
    body = string.format('{"document": {"title": "Draft %s", "sha256": "%s"}, "reason": "Benchmark step."}',
      key, texts[sent % 2 + 1])
  elseif step[1] == "complete_legal_review" then
    body = '{"outcome": "changes_requested", "comments": "See the marked-up text.", "reason": "Benchmark step."}'
  else
    body = '{"reason": "Benchmark step."}'
  end
  return wrk.format("POST", path .. "/steps/" .. step[1], headers, body)
end

local function header(headers, name)
  return headers[name] or headers[string.lower(name)]
end

function response(status, headers, body)
  if inflight == "ping" then
    if status ~= 200 then failures = failures + 1 end
    return
  end
  local etag = header(headers, "ETag")
  if inflight == "create" and status == 201 and etag then
    path = string.gsub(header(headers, "Location"), "^https?://[^/]+", "")
    version = tonumber(string.match(etag, "%d+"))
    stepno, taken = 0, 0
    creates = creates + 1
  elseif inflight ~= "create" and status == 200 and etag then
    version = tonumber(string.match(etag, "%d+"))
    stepno, taken = stepno + 1, taken + 1
    steps = steps + 1
  else
    failures = failures + 1
    path = nil
  end
end

function done(summary, latency, requests)
  local c, s, f = 0, 0, 0
  for _, thread in ipairs(threads) do
    c = c + thread:get("creates")
    s = s + thread:get("steps")
    f = f + thread:get("failures")
  end
  local e = summary.errors
  io.write(string.format('BENCH_JSON {"requests": %d, "duration_us": %d, "bytes": %d, "errors": {"connect": %d, '
    .. '"read": %d, "write": %d, "status": %d, "timeout": %d}, "latency_us": {"mean": %.1f, "max": %d, '
    .. '"p50": %d, "p90": %d, "p95": %d, "p99": %d}, "creates": %d, "steps": %d, "failures": %d}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency.mean, latency.max, latency:percentile(50), latency:percentile(90), latency:percentile(95),
    latency:percentile(99), c, s, f))
end
