-- wrk script: POST /upload of a 4 KiB needle with a fresh key per request (durable writes).
-- Env: BFS_VID, BFS_KEY_BASE (first key; each connection uses its own stride), BFS_SIZE.
local vid = os.getenv("BFS_VID") or "1"
local size = tonumber(os.getenv("BFS_SIZE") or "4096")
local next_key = tonumber(os.getenv("BFS_KEY_BASE") or "10000000")
local boundary = "bfsbenchboundary7d3a"
local payload = string.rep("x", size)
local failures = 0

local function body(key)
  return "--" .. boundary .. "\r\n" ..
    "Content-Disposition: form-data; name=\"vid\"\r\n\r\n" .. vid .. "\r\n" ..
    "--" .. boundary .. "\r\n" ..
    "Content-Disposition: form-data; name=\"key\"\r\n\r\n" .. key .. "\r\n" ..
    "--" .. boundary .. "\r\n" ..
    "Content-Disposition: form-data; name=\"cookie\"\r\n\r\n7\r\n" ..
    "--" .. boundary .. "\r\n" ..
    "Content-Disposition: form-data; name=\"file\"; filename=\"1.jpg\"\r\n" ..
    "Content-Type: application/octet-stream\r\n\r\n" .. payload .. "\r\n" ..
    "--" .. boundary .. "--\r\n"
end

request = function()
  next_key = next_key + 1
  return wrk.format("POST", "/upload",
    { ["Content-Type"] = "multipart/form-data; boundary=" .. boundary }, body(next_key))
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

response = function(status, headers, body)
  count_answer()
  if status ~= 200 or not body:find('"ret":1', 1, true) then
    failures = failures + 1
    if failures < 5 then io.stderr:write("upload failed: " .. status .. " " .. body .. "\n") end
  end
end
