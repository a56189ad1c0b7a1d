-- wrk script: PUT /bfs/<bucket>/<name> of one payload, end to end through the proxy, a fresh
-- precomputed (name, token) pair per request: wrk cannot compute HMAC-SHA1, and bfs tokens are
-- good for 900 s either side of their time, so the pairs are signed just before the run.
-- Env: BFS_BUCKET, BFS_TOKENS (file of "name token" lines), BFS_BODY (payload file), BFS_COUNT
-- (optional: stop after that many answers).
local bucket = os.getenv("BFS_BUCKET") or "bench"
local entries = {}
local next_entry = 0
local payload
local threads = {}
local limit = tonumber(os.getenv("BFS_COUNT") or "")
local answered = 0
-- Globals of each thread's Lua state, read back in done() through thread:get.
failures = 0
first_failure = ""

setup = function(thread)
  table.insert(threads, thread)
end

init = function(args)
  for line in io.lines(os.getenv("BFS_TOKENS")) do
    local name, token = line:match("^(%S+) (%S+)$")
    entries[#entries + 1] = { name, token }
  end
  local f = assert(io.open(os.getenv("BFS_BODY"), "rb"))
  payload = f:read("*a")
  f:close()
end

request = function()
  next_entry = next_entry + 1
  local e = entries[next_entry]
  if e == nil then
    -- Out of fresh names: stop rather than measure overwrites.
    io.stderr:write("ran out of precomputed names after " .. (next_entry - 1) .. " requests\n")
    wrk.thread:stop()
    e = entries[#entries]
  end
  return wrk.format("PUT", "/bfs/" .. bucket .. "/" .. e[1],
    { ["Content-Type"] = "application/octet-stream", ["Authorization"] = e[2] }, payload)
end

response = function(status, headers, body)
  answered = answered + 1
  if limit and answered >= limit then wrk.thread:stop() end
  if status ~= 201 then
    failures = failures + 1
    if failures == 1 then first_failure = status .. " " .. string.sub(body or "", 1, 200) end
  end
end

done = function(summary, latency, requests)
  io.write(string.format("p99.9 %dus\n", latency:percentile(99.9)))
  for _, thread in ipairs(threads) do
    local n = thread:get("failures")
    if n > 0 then
      io.stderr:write("PUT answers other than 201: " .. n .. ", first: " .. thread:get("first_failure") .. "\n")
    end
  end
end
