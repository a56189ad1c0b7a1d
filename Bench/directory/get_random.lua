-- GET /get?bucket=bench&filename=f-<chain>-<n> for a random committed file. The upload driver
-- names files f-<0..31>-<0..>; BFS_PER_CHAIN bounds n so every name exists.
local chains = 32
local per_chain = tonumber(os.getenv("BFS_PER_CHAIN") or "100")
math.randomseed(os.time())
request = function()
    local name = string.format("f-%d-%d", math.random(0, chains - 1), math.random(0, per_chain - 1))
    return wrk.format("GET", "/get?bucket=bench&filename=" .. name)
end
