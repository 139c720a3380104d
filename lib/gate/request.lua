-- Every /v1 request, before anything else is done for it: is the key revoked, does Redis
-- still vouch for it, and is it within its request rate? One round trip, the send gate's
-- GCRA. Sends count in the key's field of the workspace's gate hash (the send gate does
-- not count them again); every other request in a bucket of its own.
-- KEYS[1] revocation tombstone   KEYS[2] the key's live marker   KEYS[3] GCRA state: a
--         string key, or the workspace's gate hash when ARGV[4] names a field
-- ARGV: 1 now_ms  2 limit  3 period_ms  4 hash field ('' for a string key)
--       5 fresh (1: the database vouched for the key just now)  6 marker ttl s
-- Returns {"ok"} | {"revoked"} | {"unverified"} | {"limited", retry_after_ms}
--
-- The marker makes revocation fail closed: a tombstone lost with Redis (a restart without
-- persistence) takes every marker with it, and a key without one is asked of the database
-- (revoked_at) before it is served again.
if redis.call('EXISTS', KEYS[1]) == 1 then return {'revoked'} end
if ARGV[5] == '1' then
  redis.call('SET', KEYS[2], '1', 'EX', tonumber(ARGV[6]))
elseif redis.call('EXISTS', KEYS[2]) == 0 then
  return {'unverified'}
end
local now = tonumber(ARGV[1])
local period = tonumber(ARGV[3])
local interval = period / tonumber(ARGV[2])
local field = ARGV[4]
local stored
if field == '' then stored = redis.call('GET', KEYS[3]) else stored = redis.call('HGET', KEYS[3], field) end
local tat = tonumber(stored) or now
-- A stored time more than one period ahead can only come from a clock that went back:
-- start afresh rather than lock the key out until the clock catches up.
if tat < now or tat > now + period then tat = now end
local new_tat = tat + interval
local allow_at = new_tat - period
if now < allow_at then return {'limited', math.ceil(allow_at - now)} end
if field == '' then
  redis.call('SET', KEYS[3], tostring(new_tat), 'PX', math.ceil(new_tat - now) + 1)
elseif redis.call('HSET', KEYS[3], field, tostring(new_tat)) > 0 then
  -- A new field: the hash lives two days past it, as the send gate keeps it.
  redis.call('PEXPIRE', KEYS[3], 172800000)
end
return {'ok'}
