-- wrk script: GET /get of a random needle among those the loader stored.
-- Env: BFS_VID (volume id), BFS_KEYS (number of keys; keys are 1..N), BFS_COOKIE.
local vid = os.getenv("BFS_VID") or "1"
local n = tonumber(os.getenv("BFS_KEYS") or "100000")
local cookie = os.getenv("BFS_COOKIE") or "7"
local key_base = tonumber(os.getenv("BFS_KEY_BASE") or "0")

function setup(thread)
  math.randomseed(os.time() + tonumber(tostring(thread):match("0x(%x+)") or "1", 16) % 100000)
end

request = function()
  local key = key_base + math.random(1, n)
  return wrk.format("GET", "/get?vid=" .. vid .. "&key=" .. key .. "&cookie=" .. cookie)
end

-- BFS_MAX_REQUESTS (optional): stop after that many answers and create BFS_DONE_FILE
-- (fixed-count runs for counters; wrk itself runs on until -d, so run.sh stops it then).
local max_requests = tonumber(os.getenv("BFS_MAX_REQUESTS") or "0")
local done_file = os.getenv("BFS_DONE_FILE")
local answered = 0
local function count_answer()
  answered = answered + 1
  if max_requests > 0 and answered == max_requests then
    wrk.thread:stop()
    if done_file then io.open(done_file, "w"):close() end
  end
end

-- wrk's --latency table has no 99.9th percentile; run.sh reads this line.
done = function(summary, latency, requests)
  io.write(string.format("p999_us %d\n", latency:percentile(99.9)))
end

-- Any non-200 answer is a failed benchmark, not a fast one.
response = function(status, headers, body)
  count_answer()
  if status ~= 200 then
    io.stderr:write("unexpected status " .. status .. ": " .. string.sub(body or "", 1, 200) .. "\n")
    wrk.thread:stop()
  end
end
