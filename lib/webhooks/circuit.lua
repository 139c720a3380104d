-- A circuit per webhook endpoint, shared by every process. Endpoints that time out hold
-- a delivery slot for the whole timeout; after a few in a row the circuit opens and
-- deliveries to it wait instead of calling, then one probe at a time tests it again.
-- KEYS[1] the endpoint's circuit (hash: t = timeouts in a row, until = open until ms,
--         opens = how often it opened in this streak)   KEYS[2] the probe lock
-- ARGV: 1 mode ('check' | 'timeout' | 'answered')  2 now ms
--       check:   3 probe lock ms
--       timeout: 3 threshold  4 first cool-down ms  5 longest cool-down ms
-- check returns {'closed'} | {'probe'} | {'open', ms to wait}; the others return {'ok'}
local now = tonumber(ARGV[2])
local mode = ARGV[1]
if mode == 'check' then
  local untl = tonumber(redis.call('HGET', KEYS[1], 'until') or '0')
  if untl == 0 then return {'closed'} end
  if now < untl then return {'open', untl - now} end
  if redis.call('SET', KEYS[2], '1', 'NX', 'PX', tonumber(ARGV[3])) then return {'probe'} end
  return {'open', tonumber(redis.call('PTTL', KEYS[2]))}
end
if mode == 'answered' then
  -- Any HTTP answer means the endpoint is there: the streak ends.
  redis.call('DEL', KEYS[1], KEYS[2])
  return {'ok'}
end
local t = redis.call('HINCRBY', KEYS[1], 't', 1)
local was_open = tonumber(redis.call('HGET', KEYS[1], 'until') or '0') > 0
if was_open or t >= tonumber(ARGV[3]) then
  local opens = redis.call('HINCRBY', KEYS[1], 'opens', 1)
  local cool = math.min(tonumber(ARGV[5]), tonumber(ARGV[4]) * 2 ^ (opens - 1))
  redis.call('HSET', KEYS[1], 'until', now + cool)
  redis.call('DEL', KEYS[2])
end
redis.call('PEXPIRE', KEYS[1], 86400000)
return {'ok'}
