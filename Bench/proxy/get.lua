-- wrk script: GET of one fixed path (the URL given to wrk); any non-200 answer stops the run
-- (a failed benchmark, not a fast one). Prints p99.9 for Bench/lib.sh.
response = function(status, headers, body)
  if status ~= 200 then
    io.stderr:write("unexpected status " .. status .. ": " .. string.sub(body or "", 1, 200) .. "\n")
    wrk.thread:stop()
  end
end

done = function(summary, latency, requests)
  io.write(string.format("p99.9 %dus\n", latency:percentile(99.9)))
end
