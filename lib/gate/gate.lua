-- The send gate: everything POST /v1/messages must pass, in one round trip, atomically.
-- Checks first, consumes after: when any check refuses, nothing is consumed.
-- All keys carry the workspace's hash tag {w:<id>}, so the script is valid on Redis Cluster.
--
-- KEYS[1] revocation tombstone of the API key
-- KEYS[2] GCRA state of the client IP (its own key: IPs come and go, so it expires on its own)
-- KEYS[3] idempotency record
-- KEYS[4] the workspace's gate hash. Its fields: 'ws' holds a GCRA state ('k:<key id>',
--         the key's, is counted for every send request before anything else, by
--         request.lua, so a send refused before the gate counts too and one accepted counts once);
--         's:<number id>' = '<second>:<count>' and 'd:<number id>' = '<day>:<count>' the
--         sender's quotas. One HMGET and one HSET cover them all: every Redis call a script
--         makes costs CPU on the one thread every tenant shares.
-- KEYS[5] the sender's unique recipients, rolling 24 h (ZSET)
--
-- ARGV: 1 now_ms  2 reservation id  3 number id
--       4 ip_limit 5 ip_period_ms 6 ws_limit 7 ws_period_ms
--       8 idempotency (1/0) 9 body hash 10 in-flight ttl ms
--       11 per-second limit 12 per-day limit
--       13 unique-recipient limit (0 = unlimited) 14 recipient 15 counts toward the tier (1/0)
--
-- Returns {"ok", new_recipient} | {"revoked"} | {"replay", stored} | {"in_progress"} | {"reused"}
--       | {"limited", which, retry_after_ms}

local now = tonumber(ARGV[1])

local v = redis.call('MGET', KEYS[1], KEYS[2], KEYS[3])
if v[1] then return {'revoked'} end

-- Idempotency comes before limits: a replay costs nothing and consumes nothing.
local idem = ARGV[8] == '1'
if idem and v[3] then
  local rec = v[3]
  local state, hash = string.sub(rec, 1, 1), string.sub(rec, 3, 66)
  if hash ~= ARGV[9] then return {'reused'} end
  if state == 'P' then return {'in_progress'} end
  return {'replay', string.sub(rec, 68)}
end

local sf, df = 's:' .. ARGV[3], 'd:' .. ARGV[3]
local h = redis.call('HMGET', KEYS[4], 'ws', sf, df)

-- GCRA: the theoretical arrival time per limiter.
local function gcra(stored, limit, period, name)
  local interval = period / limit
  local tat = tonumber(stored) or now
  -- More than one period ahead only happens after the clock went back: start afresh.
  if tat < now or tat > now + period then tat = now end
  local new_tat = tat + interval
  local allow_at = new_tat - period
  if now < allow_at then return nil, {'limited', name, math.ceil(allow_at - now)} end
  return new_tat
end

local ip_tat, r2 = gcra(v[2], tonumber(ARGV[4]), tonumber(ARGV[5]), 'rate_limited_ip')
if not ip_tat then return r2 end
local ws_tat, r3 = gcra(h[1], tonumber(ARGV[6]), tonumber(ARGV[7]), 'rate_limited_workspace')
if not ws_tat then return r3 end

-- A '<window>:<count>' field: the count, if the field is of this window.
local function count_in(field, window)
  if not field then return 0 end
  local i = string.find(field, ':', 1, true)
  if tonumber(string.sub(field, 1, i - 1)) ~= window then return 0 end
  return tonumber(string.sub(field, i + 1))
end

-- Sender per second: at most the number's throughput within each second of the clock.
local second = math.floor(now / 1000)
local this_second = count_in(h[2], second)
if this_second >= tonumber(ARGV[11]) then
  return {'limited', 'quota_sender_per_second', 1000 - now % 1000}
end

local day = math.floor(now / 86400000)
local today = count_in(h[3], day)
if today >= tonumber(ARGV[12]) then
  return {'limited', 'quota_sender_per_day', 86400000 - now % 86400000}
end

-- Meta's messaging tier caps unique recipients of business-initiated messages per rolling 24 h.
local unique_limit = tonumber(ARGV[13])
local recipient = ARGV[14]
local counts = ARGV[15] == '1' and unique_limit > 0
local new_recipient = 0
if counts then
  redis.call('ZREMRANGEBYSCORE', KEYS[5], '-inf', now - 86400000)
  if not redis.call('ZSCORE', KEYS[5], recipient) then
    if redis.call('ZCARD', KEYS[5]) >= unique_limit then
      local oldest = redis.call('ZRANGE', KEYS[5], 0, 0, 'WITHSCORES')
      return {'limited', 'quota_messaging_tier', math.max(1, tonumber(oldest[2]) + 86400000 - now)}
    end
    new_recipient = 1
  end
end

-- Every check passed: consume.
redis.call('SET', KEYS[2], tostring(ip_tat), 'PX', math.ceil(ip_tat - now) + 1)
local added = redis.call('HSET', KEYS[4], 'ws', tostring(ws_tat),
  sf, second .. ':' .. (this_second + 1), df, day .. ':' .. (today + 1))
-- The hash lives two days past its last new field or new day, so an idle workspace's state
-- goes away on its own while an active one never loses its day's count.
if added > 0 or today == 0 then redis.call('PEXPIRE', KEYS[4], 172800000) end
if counts then
  redis.call('ZADD', KEYS[5], now, recipient)
  redis.call('PEXPIRE', KEYS[5], 86400000)
end
-- The in-flight record names its reservation: only this request may release it.
if idem then redis.call('SET', KEYS[3], 'P:' .. ARGV[9] .. ':' .. ARGV[2], 'PX', tonumber(ARGV[10])) end
return {'ok', new_recipient}
