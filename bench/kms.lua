-- wrk script for kmsd: sends one KMS JSON 1.1 call over and over and counts the answers.
--
-- Read from the environment:
--   OP         operation name; the request carries X-Amz-Target: TrentService.$OP
--   BODY_FILE  file with the JSON request body, sent as it is
--   CAP        optional: send at most CAP calls of $OP per wrk thread (0 or unset: no cap).
--              Past the cap a connection sends `GET /health` instead, which changes nothing,
--              and the thread stops once all of its CAP answers are in, so a capped
--              CreateKey run creates exactly CAP keys per thread.
--
-- At the end one line is printed for the calling script:
--   kms-result calls=.. non2xx=.. socket_errors=.. capped=0|1 first_error=<status body...>
-- Latencies and the request rate come from wrk's own report (run wrk with --latency).

local op = assert(os.getenv("OP"), "OP is not set")
local body_file = assert(os.getenv("BODY_FILE"), "BODY_FILE is not set")
local cap = tonumber(os.getenv("CAP") or "0") or 0

local f = assert(io.open(body_file, "rb"))
local body = f:read("*a")
f:close()

local headers = {
  ["Content-Type"] = "application/x-amz-json-1.1",
  ["X-Amz-Target"] = "TrentService." .. op,
}
local call_request = wrk.format("POST", "/", headers, body)
local idle_request = wrk.format("GET", "/health")

-- Every thread is kept so that done() can add up their counters.
local threads = {}

function setup(thread)
  threads[#threads + 1] = thread
  -- wrk calls request() once on the first thread's state before the run, to check the request
  -- (script_verify_request); that call sends nothing, so it must not count.
  if #threads == 1 then
    thread:set("unsent", 1)
  end
end

-- Per-thread state (each wrk thread has its own Lua state; done() reads these with get).
sent = 0        -- calls of $OP sent
unsent = 0      -- request() calls still to come that send nothing (see setup)
calls = 0       -- answers to calls of $OP
non2xx = 0      -- of which not 2xx
first_error = nil

function request()
  if unsent > 0 then
    unsent = unsent - 1
    return call_request
  end
  if cap > 0 and sent >= cap then
    return idle_request
  end
  sent = sent + 1
  return call_request
end

function response(status, resp_headers, resp_body)
  -- Past the cap, answers to GET /health are not counted: those are 200s with an
  -- "uptimeSeconds" member, which no KMS answer has.
  if cap > 0 and status == 200 and resp_body and string.find(resp_body, '"uptimeSeconds":', 1, true) then
    return
  end
  calls = calls + 1
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
    if first_error == nil then
      first_error = status .. " " .. string.sub(resp_body or "", 1, 200)
    end
  end
  if cap > 0 and calls >= cap then
    wrk.thread:stop()
  end
end

function done(summary, latency, requests)
  local total_calls, total_non2xx, capped, err = 0, 0, 0, nil
  for _, t in ipairs(threads) do
    local c = t:get("calls") or 0
    total_calls = total_calls + c
    total_non2xx = total_non2xx + (t:get("non2xx") or 0)
    if cap > 0 and c >= cap then
      capped = 1
    end
    err = err or t:get("first_error")
  end
  local e = summary.errors
  local socket_errors = e.connect + e.read + e.write + e.timeout
  err = err and string.gsub(err, "[\r\n]", " ") or "-"
  io.write(string.format("kms-result calls=%d non2xx=%d socket_errors=%d capped=%d first_error=%s\n",
    total_calls, total_non2xx, socket_errors, capped, err))
end
