-- Counts one attempt in a fixed window and answers the count so far: the caller refuses
-- past its limit. Counting comes first, so parallel attempts cannot all slip under it.
-- KEYS[1] the counter   ARGV: 1 window ms
-- Returns {count, ms until the window ends}
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {n, ttl}
