-- wrk script: GET one of N plain files (the same payloads the store serves), for the nginx baseline.
-- Env: BFS_KEYS (files are /<prefix>/<1..N>), BFS_PREFIX.
local n = tonumber(os.getenv("BFS_KEYS") or "100000")
local prefix = os.getenv("BFS_PREFIX") or "4k"
local key_base = tonumber(os.getenv("BFS_KEY_BASE") or "0")

request = function()
  return wrk.format("GET", "/" .. prefix .. "/" .. (key_base + math.random(1, n)))
end

response = function(status, headers, body)
  if status ~= 200 then
    io.stderr:write("unexpected status " .. status .. ": " .. string.sub(body or "", 1, 200) .. "\n")
    wrk.thread:stop()
  end
end
