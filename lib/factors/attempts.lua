-- Second-factor attempts of one person in a fixed window. 'take' counts an attempt before
-- the code is checked (so parallel guesses cannot all slip under the limit) and answers
-- the count; 'refund' gives one back when the code was right, so only failures add up.
-- KEYS[1] the counter   ARGV: 1 window ms, 2 'take' | 'refund'
-- Returns {count, ms until the window ends}
if ARGV[2] == 'refund' then
  local n = tonumber(redis.call('GET', KEYS[1]) or '0')
  if n > 0 then n = redis.call('DECR', KEYS[1]) end
  return {n, math.max(redis.call('PTTL', KEYS[1]), 0)}
end
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {n, ttl}
