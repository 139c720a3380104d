-- Gives back what the gate reserved when the request failed after it: the sender's
-- per-second slot, the day's count, a recipient newly counted toward the tier, and the
-- in-flight idempotency record (only if it is still this request's), so the client may retry
-- with the same key. Rate-limit tokens are not returned: they meter requests, not sends.
--
-- KEYS[1] idempotency record  KEYS[2] 1-second window  KEYS[3] daily counter  KEYS[4] unique recipients
-- ARGV: 1 reservation id  2 body hash  3 recipient  4 new recipient (1/0)

if redis.call('GET', KEYS[1]) == 'P:' .. ARGV[2] .. ':' .. ARGV[1] then redis.call('DEL', KEYS[1]) end
redis.call('ZREM', KEYS[2], ARGV[1])
if tonumber(redis.call('GET', KEYS[3]) or '0') > 0 then redis.call('DECR', KEYS[3]) end
if ARGV[4] == '1' then redis.call('ZREM', KEYS[4], ARGV[3]) end
return 1
