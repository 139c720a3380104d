-- Gives back one second-factor attempt (lib/factors/attempts.ts) when the code was right,
-- so only failures add up. The window is left as it is; a counter at zero stays at zero.
-- KEYS[1] the counter (the one lib/redis/attempts.lua counts)
local n = tonumber(redis.call('GET', KEYS[1]) or '0')
if n > 0 then n = redis.call('DECR', KEYS[1]) end
return n
