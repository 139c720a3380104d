-- Takes a ceremony's challenge: answers what was stored and removes it in one step, so a
-- challenge serves one verification at most, however many arrive at once (GETDEL, which
-- this spells out for every Redis and Upstash version).
-- KEYS[1] the challenge's key
-- Returns the stored value, or false when there is none (never issued, used, or expired)
local v = redis.call('GET', KEYS[1])
if v then redis.call('DEL', KEYS[1]) end
return v
