-- wrk script: GET of one fixed path (the URL given to wrk); any non-200 answer stops the run
-- (a failed benchmark, not a fast one). Prints p99.9 for Bench/lib.sh. Env BFS_COUNT: stop
-- after that many answers (the fixed-count phase of run.sh; the duration then only bounds it).
local limit = tonumber(os.getenv("BFS_COUNT") or "")
local answered = 0

response = function(status, headers, body)
  answered = answered + 1
  if limit and answered >= limit then wrk.thread:stop() end
  if status ~= 200 then
    io.stderr:write("unexpected status " .. status .. ": " .. string.sub(body or "", 1, 200) .. "\n")
    wrk.thread:stop()
  end
end

done = function(summary, latency, requests)
  io.write(string.format("p99.9 %dus\n", latency:percentile(99.9)))
end
