-- A paused or canceled broadcast gives back the tier's room of recipients it has not
-- handed to Meta: each leaves the sender's set of unique recipients only if this
-- broadcast put it there and nothing counted it since (a send through the gate moves
-- its score to the send's time; a recipient already in the set was never this one's).
-- KEYS[1] the sender's unique recipients (ZSET, score = ms)  KEYS[2] the broadcast's takings (HASH by contact id)
-- ARGV: pairs of recipient and contact id
-- Returns how many left the set.
local released = 0
for i = 1, #ARGV - 1, 2 do
  local r = ARGV[i]
  local took = redis.call('HGET', KEYS[2], ARGV[i + 1])
  if took then
    local score = redis.call('ZSCORE', KEYS[1], r)
    if score and tonumber(score) == tonumber(took) then
      redis.call('ZREM', KEYS[1], r)
      released = released + 1
    end
    redis.call('HDEL', KEYS[2], ARGV[i + 1])
  end
end
return released
