-- Pacing per sender number: reserves the next send slot at the number's throughput
-- and answers how long to wait for it, so Meta's 130429 is the exception.
-- KEYS[1] the number's next free slot (ms)   ARGV: 1 now_ms  2 interval_ms  3 max_wait_ms
-- Returns the wait in ms, or -1 when the queue ahead is longer than max_wait (retry later, nothing reserved).
local now = tonumber(ARGV[1])
local interval = tonumber(ARGV[2])
local slot = tonumber(redis.call('GET', KEYS[1]) or '0')
if slot < now then slot = now end
local wait = slot - now
if wait > tonumber(ARGV[3]) then return -1 end
redis.call('SET', KEYS[1], tostring(slot + interval), 'PX', math.ceil(wait + interval) + 1000)
return math.floor(wait)
