-- A broadcast page's share of the sender's messaging tier, taken in the gate's own set of
-- unique recipients (rolling 24 h), so single sends and broadcasts count against one tier.
-- KEYS[1] the sender's unique recipients (ZSET, score = ms), the gate's KEYS[5]
-- KEYS[2] (optional) the broadcast's own takings (HASH contact id -> the score it added):
--         what a pause or cancel gives back (tier-release.lua); ids only, never the digits
-- ARGV: 1 now_ms  2 unique-recipient limit (0 = unlimited)  3.. recipients, then (with
--       KEYS[2]) as many contact ids, in the same order
-- Returns {recipients in the set after this page, then per recipient 1 (within the tier,
-- taken now: already in the set, or added) or 0 (beyond it: it waits for the next window)}.
local now = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local n = #ARGV - 2
if KEYS[2] then n = n / 2 end
local out = {0}
if limit == 0 then
  for i = 1, n do out[#out + 1] = 1 end
  return out
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - 86400000)
local card = redis.call('ZCARD', KEYS[1])
local added = 0
for i = 1, n do
  local r = ARGV[2 + i]
  if redis.call('ZSCORE', KEYS[1], r) then
    out[#out + 1] = 1
  elseif card < limit then
    redis.call('ZADD', KEYS[1], now, r)
    if KEYS[2] then redis.call('HSET', KEYS[2], ARGV[2 + n + i], ARGV[1]) end
    card = card + 1
    added = added + 1
    out[#out + 1] = 1
  else
    out[#out + 1] = 0
  end
end
if n > 0 then redis.call('PEXPIRE', KEYS[1], 86400000) end
if KEYS[2] and added > 0 then redis.call('PEXPIRE', KEYS[2], 86400000) end
out[1] = card
return out
