-- Before the database is asked about a key this process does not know: a key Redis has
-- seen valid goes straight to the look-up; any other key first counts against its
-- client address, atomically, so parallel guesses cannot all reach the database.
-- KEYS[1] the hash's 'known' record   KEYS[2] the address's failure count
-- ARGV: 1 look-ups allowed per window  2 window ms
-- Returns {'known'} | {'counted'} | {'throttled', retry_after_ms}
if redis.call('EXISTS', KEYS[1]) == 1 then return {'known'} end
local n = redis.call('INCR', KEYS[2])
if n == 1 then redis.call('PEXPIRE', KEYS[2], ARGV[2]) end
if n > tonumber(ARGV[1]) then
  local ttl = redis.call('PTTL', KEYS[2])
  if ttl < 0 then
    redis.call('PEXPIRE', KEYS[2], ARGV[2])
    ttl = tonumber(ARGV[2])
  end
  return {'throttled', ttl}
end
return {'counted'}
