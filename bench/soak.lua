-- wrk script for bench/soak.sh: sends a mix of KMS calls, round robin over a request list,
-- and counts the answers that are not 2xx.
--
-- Read from the environment:
--   MIX_FILE      one call per line: <Operation> TAB <JSON body>; a line repeated weighs more
--   CREATE_EVERY  one CreateKey in every CREATE_EVERY calls of each connection (0: none), so
--                 that the key count grows slowly and steadily rather than with the load
--
-- At the end one line is printed for the calling script:
--   soak-result calls=.. non2xx=.. socket_errors=.. first_error=<status op body...>

local mix_file = assert(os.getenv("MIX_FILE"), "MIX_FILE is not set")
local create_every = tonumber(os.getenv("CREATE_EVERY") or "0") or 0

local requests, ops = {}, {}
for line in io.lines(mix_file) do
  local op, body = string.match(line, "^(%w+)\t(.*)$")
  if op then
    requests[#requests + 1] = wrk.format("POST", "/", {
      ["Content-Type"] = "application/x-amz-json-1.1",
      ["X-Amz-Target"] = "TrentService." .. op,
    }, body)
    ops[#ops + 1] = op
  end
end
assert(#requests > 0, "the mix is empty")
local create_request = wrk.format("POST", "/", {
  ["Content-Type"] = "application/x-amz-json-1.1",
  ["X-Amz-Target"] = "TrentService.CreateKey",
}, '{"Description":"soak"}')

local threads = {}
function setup(thread)
  thread:set("offset", #threads * 7)
  threads[#threads + 1] = thread
end

-- Per-thread state.
offset = 0
n = 0
calls = 0
non2xx = 0
first_error = nil
-- The operation of each request in flight, in order (HTTP/1.1 answers come in order per
-- connection, and wrk keeps one request in flight per connection; the last one sent is the
-- one answered next on a connection-less view, which is good enough for the first error).
last_op = "-"

function request()
  n = n + 1
  if create_every > 0 and n % create_every == 0 then
    last_op = "CreateKey"
    return create_request
  end
  local i = (n + offset) % #requests + 1
  last_op = ops[i]
  return requests[i]
end

function response(status, headers, body)
  calls = calls + 1
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
    if first_error == nil then
      first_error = status .. " (around " .. last_op .. ") " .. string.sub(body or "", 1, 200)
    end
  end
end

function done(summary, latency, reqs)
  local total_calls, total_non2xx, err = 0, 0, nil
  for _, t in ipairs(threads) do
    total_calls = total_calls + (t:get("calls") or 0)
    total_non2xx = total_non2xx + (t:get("non2xx") or 0)
    err = err or t:get("first_error")
  end
  local e = summary.errors
  local socket_errors = e.connect + e.read + e.write + e.timeout
  err = err and string.gsub(err, "[\r\n]", " ") or "-"
  io.write(string.format("soak-result calls=%d non2xx=%d socket_errors=%d first_error=%s\n",
    total_calls, total_non2xx, socket_errors, err))
end
