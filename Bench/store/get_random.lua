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

-- Any non-200 answer is a failed benchmark, not a fast one.
response = function(status, headers, body)
  if status ~= 200 then
    io.stderr:write("unexpected status " .. status .. ": " .. string.sub(body or "", 1, 200) .. "\n")
    wrk.thread:stop()
  end
end
