-- The send gate: everything POST /v1/messages must pass, in one round trip, atomically.
-- Checks first, consumes after: when any check refuses, nothing is consumed.
-- All keys carry the workspace's hash tag {w:<id>}, so the script is valid on Redis Cluster.
--
-- KEYS[1] revocation tombstone of the API key      KEYS[5] idempotency record
-- KEYS[2] GCRA state, API key                      KEYS[6] sender's 1-second window (ZSET of reservations)
-- KEYS[3] GCRA state, client IP                    KEYS[7] sender's daily counter
-- KEYS[4] GCRA state, workspace                    KEYS[8] sender's unique recipients, rolling 24 h (ZSET)
--
-- ARGV: 1 now_ms  2 reservation id
--       3 key_limit 4 key_period_ms 5 ip_limit 6 ip_period_ms 7 ws_limit 8 ws_period_ms
--       9 idempotency (1/0) 10 body hash 11 in-flight ttl ms
--       12 per-second limit 13 per-day limit 14 day ttl s
--       15 unique-recipient limit (0 = unlimited) 16 recipient 17 counts toward the tier (1/0)
--
-- Returns {"ok", new_recipient} | {"revoked"} | {"replay", stored} | {"in_progress"} | {"reused"}
--       | {"limited", which, retry_after_ms}

local now = tonumber(ARGV[1])
local reservation = ARGV[2]

-- Every plain value the checks need, in one call: revocation, three GCRA states,
-- the idempotency record and today's count.
local v = redis.call('MGET', KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[7])
if v[1] then return {'revoked'} end

-- Idempotency comes before limits: a replay costs nothing and consumes nothing.
local idem = ARGV[9] == '1'
if idem then
  local rec = v[5]
  if rec then
    local state, hash = string.sub(rec, 1, 1), string.sub(rec, 3, 66)
    if hash ~= ARGV[10] then return {'reused'} end
    if state == 'P' then return {'in_progress'} end
    return {'replay', string.sub(rec, 68)}
  end
end

-- GCRA: one key per limiter holding the theoretical arrival time.
local function gcra(stored, limit, period)
  local interval = period / limit
  local tat = tonumber(stored) or now
  -- More than one period ahead only happens after the clock went back: start afresh.
  if tat < now or tat > now + period then tat = now end
  local new_tat = tat + interval
  local allow_at = new_tat - period
  if now < allow_at then return nil, math.ceil(allow_at - now) end
  return new_tat, 0
end

local limiters = {
  {KEYS[2], tonumber(ARGV[3]), tonumber(ARGV[4]), 'rate_limited_api_key', v[2]},
  {KEYS[3], tonumber(ARGV[5]), tonumber(ARGV[6]), 'rate_limited_ip', v[3]},
  {KEYS[4], tonumber(ARGV[7]), tonumber(ARGV[8]), 'rate_limited_workspace', v[4]},
}
local tats = {}
for i, l in ipairs(limiters) do
  local tat, retry = gcra(l[5], l[2], l[3])
  if not tat then return {'limited', l[4], retry} end
  tats[i] = tat
end

-- Sender per second: a sliding window of reservations, exact at any instant.
local per_second = tonumber(ARGV[12])
redis.call('ZREMRANGEBYSCORE', KEYS[6], '-inf', now - 1000)
if redis.call('ZCARD', KEYS[6]) >= per_second then
  local oldest = redis.call('ZRANGE', KEYS[6], 0, 0, 'WITHSCORES')
  return {'limited', 'quota_sender_per_second', math.max(1, tonumber(oldest[2]) + 1000 - now)}
end

local per_day = tonumber(ARGV[13])
local today = tonumber(v[6] or '0')
if today >= per_day then
  return {'limited', 'quota_sender_per_day', math.max(1, redis.call('PTTL', KEYS[7]))}
end

-- Meta's messaging tier caps unique recipients of business-initiated messages per rolling 24 h.
local unique_limit = tonumber(ARGV[15])
local recipient = ARGV[16]
local counts = ARGV[17] == '1' and unique_limit > 0
local new_recipient = 0
if counts then
  redis.call('ZREMRANGEBYSCORE', KEYS[8], '-inf', now - 86400000)
  if not redis.call('ZSCORE', KEYS[8], recipient) then
    if redis.call('ZCARD', KEYS[8]) >= unique_limit then
      local oldest = redis.call('ZRANGE', KEYS[8], 0, 0, 'WITHSCORES')
      return {'limited', 'quota_messaging_tier', math.max(1, tonumber(oldest[2]) + 86400000 - now)}
    end
    new_recipient = 1
  end
end

-- Every check passed: consume.
for i, l in ipairs(limiters) do
  redis.call('SET', l[1], tostring(tats[i]), 'PX', math.ceil(tats[i] - now) + 1)
end
redis.call('ZADD', KEYS[6], now, reservation)
redis.call('PEXPIRE', KEYS[6], 2000)
if redis.call('INCR', KEYS[7]) == 1 then redis.call('EXPIRE', KEYS[7], tonumber(ARGV[14])) end
if counts then
  redis.call('ZADD', KEYS[8], now, recipient)
  redis.call('PEXPIRE', KEYS[8], 86400000)
end
-- The in-flight record names its reservation: only this request may release it.
if idem then redis.call('SET', KEYS[5], 'P:' .. ARGV[10] .. ':' .. reservation, 'PX', tonumber(ARGV[11])) end
return {'ok', new_recipient}
