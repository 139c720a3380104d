-- Sign-in and invitation attempts, per client address and per account, in one round trip.
-- KEYS[1] the address's attempt count   KEYS[2] (optional) the account's failure count
-- ARGV: 1 mode ('attempt' | 'failure')  2 address limit  3 address window ms
--       4 account limit  5 account window ms
-- attempt: refused while the account has used its failures, or the address its attempts
--          (the address's count goes up by one for every admitted attempt).
-- failure: the account's failure count goes up by one.
-- Returns {'ok'} | {'limited', retry_after_ms}
local function ttl(key, window)
  local t = redis.call('PTTL', key)
  if t < 0 then
    redis.call('PEXPIRE', key, window)
    t = window
  end
  return t
end
if ARGV[1] == 'failure' then
  local n = redis.call('INCR', KEYS[2])
  if n == 1 then redis.call('PEXPIRE', KEYS[2], tonumber(ARGV[5])) end
  return {'ok'}
end
if #KEYS > 1 and (tonumber(redis.call('GET', KEYS[2])) or 0) >= tonumber(ARGV[4]) then
  return {'limited', ttl(KEYS[2], tonumber(ARGV[5]))}
end
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[3])) end
if n > tonumber(ARGV[2]) then return {'limited', ttl(KEYS[1], tonumber(ARGV[3]))} end
return {'ok'}
