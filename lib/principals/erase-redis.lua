-- Erasure reaches Redis: a data principal's number leaves every key that holds it.
-- KEYS: the workspace's per-sender sets of unique recipients (ZSET, member = the digits,
--       score = ms; the send gate's KEYS[5] and the broadcast tier's), then the
--       idempotency records of the principal's messages. All carry the workspace's hash tag.
-- ARGV: 1 the number   2 its keyed hash   3 how many of KEYS are recipient sets
-- A set holding the number keeps its count: the hash takes the number's place and time,
-- so the messaging tier still counts that recipient for the rest of its 24 h.
-- Returns how many keys changed.
local sets = tonumber(ARGV[3])
local changed = 0
for i = 1, sets do
  local score = redis.call('ZSCORE', KEYS[i], ARGV[1])
  if score then
    redis.call('ZREM', KEYS[i], ARGV[1])
    local kept = redis.call('ZSCORE', KEYS[i], ARGV[2])
    if not kept or tonumber(kept) < tonumber(score) then redis.call('ZADD', KEYS[i], score, ARGV[2]) end
    changed = changed + 1
  end
end
for i = sets + 1, #KEYS do changed = changed + redis.call('DEL', KEYS[i]) end
return changed
