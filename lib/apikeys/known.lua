-- The database found a valid key: remember its hash as known (it is exempt from the
-- address's failure throttle from now on, in every process) and give back the failure
-- the admission counted, so a valid key never pushes its address toward the throttle.
-- KEYS[1] the hash's 'known' record   KEYS[2] the address's failure count
-- ARGV: 1 ttl s  2 counted (1/0)
redis.call('SET', KEYS[1], '1', 'EX', tonumber(ARGV[1]))
if ARGV[2] == '1' and (tonumber(redis.call('GET', KEYS[2])) or 0) > 0 then redis.call('DECR', KEYS[2]) end
return 1
