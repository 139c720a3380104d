-- Every /v1 request other than a send: is the key still valid, and is it within its
-- request rate? One round trip, the same GCRA as the send gate, its own bucket.
-- KEYS[1] revocation tombstone of the API key   KEYS[2] GCRA state of this key's requests
-- ARGV: 1 now_ms  2 limit  3 period_ms
-- Returns {"ok"} | {"revoked"} | {"limited", retry_after_ms}
if redis.call('EXISTS', KEYS[1]) == 1 then return {'revoked'} end
local now = tonumber(ARGV[1])
local period = tonumber(ARGV[3])
local interval = period / tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[2])) or now
-- A stored time more than one period ahead can only come from a clock that went back:
-- start afresh rather than lock the key out until the clock catches up.
if tat < now or tat > now + period then tat = now end
local new_tat = tat + interval
local allow_at = new_tat - period
if now < allow_at then return {'limited', math.ceil(allow_at - now)} end
redis.call('SET', KEYS[2], tostring(new_tat), 'PX', math.ceil(new_tat - now) + 1)
return {'ok'}
