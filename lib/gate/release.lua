-- Gives back what the gate reserved when the request failed after it: the sender's
-- count for that second and that day, a recipient newly counted toward the tier, and the
-- in-flight idempotency record (only if it is still this request's), so the client may retry
-- with the same key. Rate-limit tokens are not returned: they meter requests, not sends.
--
-- KEYS[1] idempotency record  KEYS[2] the workspace's gate hash  KEYS[3] unique recipients
-- ARGV: 1 reservation id  2 body hash  3 recipient  4 new recipient (1/0)
--       5 number id  6 the reservation's time (ms)

if redis.call('GET', KEYS[1]) == 'P:' .. ARGV[2] .. ':' .. ARGV[1] then redis.call('DEL', KEYS[1]) end
local at = tonumber(ARGV[6])
-- Decrements a '<window>:<count>' field only while it still counts the reservation's window.
local function give_back(field, window)
  local v = redis.call('HGET', KEYS[2], field)
  if not v then return end
  local i = string.find(v, ':', 1, true)
  local n = tonumber(string.sub(v, i + 1))
  if tonumber(string.sub(v, 1, i - 1)) == window and n > 0 then
    redis.call('HSET', KEYS[2], field, window .. ':' .. (n - 1))
  end
end
give_back('s:' .. ARGV[5], math.floor(at / 1000))
give_back('d:' .. ARGV[5], math.floor(at / 86400000))
if ARGV[4] == '1' then redis.call('ZREM', KEYS[3], ARGV[3]) end
return 1
