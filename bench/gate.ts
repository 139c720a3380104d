import { Ratelimit } from "@upstash/ratelimit";
import { Redis } from "@upstash/redis";
import { systemClock } from "../lib/clock.js";
import { passGate, type GateInput } from "../lib/gate/gate.js";
import { createUpstashRedis } from "../lib/redis/upstash.js";
import { createTcpRedis } from "../lib/redis/tcp.js";
import type { RedisPort } from "../lib/redis/port.js";
import { startUpstashFront } from "../dev/upstash-rest/server.js";
import { Redis as IORedis } from "ioredis";
import { percentile, REDIS_URL } from "./support/env.js";

/** Average Redis CPU per EVALSHA since the last call (and resets the counters). */
async function scriptCpu(stats: IORedis): Promise<number> {
  const line = (await stats.info("commandstats")).split("\n").find((l) => l.startsWith("cmdstat_evalsha:"));
  await stats.config("RESETSTAT");
  return Number(/usec_per_call=([\d.]+)/.exec(line ?? "")?.[1] ?? NaN);
}

const CONCURRENCY = 64;
const ROUNDS = 3;
const gatePassed = (r: { kind: string }) => r.kind === "ok";
const median = <T extends { perS: number }>(xs: T[]): T => [...xs].sort((a, b) => a.perS - b.perS)[Math.floor(xs.length / 2)]!;
const DURATION_MS = Number(process.env.BENCH_SECONDS ?? 5) * 1000;

/**
 * Runs `call` from CONCURRENCY loops for DURATION_MS; calls/s count only the calls that
 * `passed` (a refused check is no throughput), latency percentiles cover every call.
 */
async function drive<T>(call: (i: number) => Promise<T>, passed: (r: T) => boolean = () => true) {
  const lat: number[] = [];
  let n = 0;
  let refused = 0;
  const end = performance.now() + DURATION_MS;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < end) {
        const t = performance.now();
        if (!passed(await call(n++))) refused++;
        lat.push(performance.now() - t);
      }
    }),
  );
  lat.sort((a, b) => a - b);
  return { perS: (lat.length - refused) / (DURATION_MS / 1000), refused, p50: percentile(lat, 50), p99: percentile(lat, 99) };
}

const input = (i: number): GateInput => ({
  workspaceId: "0195a3c1-0000-7000-8000-00000000b0b0",
  keyId: "0195a3c1-0000-7000-8000-00000000cafe",
  ip: "198.51.100.7",
  limits: { apiKey: { limit: 1e9, periodMs: 1000 }, ip: { limit: 1e9, periodMs: 1000 }, workspace: { limit: 1e9, periodMs: 1000 }, perNumberPerDay: 1e12 },
  idempotencyKeyHash: `${i.toString(16).padStart(8, "0")}${"a".repeat(56)}`,
  bodyHash: "b".repeat(64),
  reservationId: `r${i}`,
  numberId: "0195a3c1-0000-7000-8000-0000000000aa",
  perSecond: 1e9,
  uniqueRecipientLimit: 0,
  recipient: "919000000000",
  countsTowardTier: false,
});

/** The full gate (revocation, 3 limits, idempotency, quotas) beside one @upstash/ratelimit limit(). */
export async function benchGate() {
  const front = await startUpstashFront({ redisUrl: REDIS_URL, token: "bench-token" });
  const prefix = `benchgate${Date.now()}:`;
  const viaRest: RedisPort = createUpstashRedis(front.url, front.token, prefix);
  const viaTcp: RedisPort = createTcpRedis(REDIS_URL, prefix + "tcp:");
  const stats = new IORedis(REDIS_URL);
  const ratelimit = new Ratelimit({
    redis: new Redis({ url: front.url, token: front.token, enableTelemetry: false }),
    limiter: Ratelimit.slidingWindow(1e9, "1 s"),
    prefix: `${prefix}rl`,
    analytics: false,
    enableProtection: false,
  });
  // The same checks built from @upstash/ratelimit, as a design without the gate would make
  // them: three limits, the sender's per-second and per-day quotas, and SET NX for the
  // idempotency key, sent together (auto-pipelined into one request). Unlike the gate it
  // is not all-or-nothing: a refusal by one still consumes the others.
  const rlRedis = new Redis({ url: front.url, token: front.token, enableTelemetry: false });
  const limiter = (name: string, l: ConstructorParameters<typeof Ratelimit>[0]["limiter"]) => new Ratelimit({ redis: rlRedis, limiter: l, prefix: `${prefix}eq:${name}`, analytics: false, enableProtection: false });
  const eq = {
    key: limiter("k", Ratelimit.slidingWindow(1e9, "1 s")),
    ip: limiter("ip", Ratelimit.slidingWindow(1e9, "1 s")),
    ws: limiter("ws", Ratelimit.slidingWindow(1e9, "1 s")),
    second: limiter("s", Ratelimit.slidingWindow(1e9, "1 s")),
    day: limiter("d", Ratelimit.fixedWindow(1e12, "1 d")),
  };
  const equivalent = (i: number) => {
    const g = input(i);
    return Promise.all([
      eq.key.limit(g.keyId), eq.ip.limit(g.ip), eq.ws.limit(g.workspaceId), eq.second.limit(g.numberId), eq.day.limit(g.numberId),
      rlRedis.set(`${prefix}eq:idem:${g.idempotencyKeyHash}`, "P", { nx: true, ex: 60 }),
    ]);
  };
  try {
    await passGate(viaRest, systemClock, input(-1));
    await equivalent(-1);
    await ratelimit.limit("warm");
    // Alternating rounds, median of each: drift on a shared machine hits both sides alike.
    const rls: Awaited<ReturnType<typeof drive>>[] = [];
    const gates: typeof rls = [];
    let rlCpu = 0;
    let gateCpu = 0;
    for (let round = 0; round < ROUNDS; round++) {
      await scriptCpu(stats);
      rls.push(await drive(() => ratelimit.limit("api-key-1"), (r) => r.success));
      rlCpu = await scriptCpu(stats);
      gates.push(await drive((i) => passGate(viaRest, systemClock, input(round * 1e7 + i)), gatePassed));
      gateCpu = await scriptCpu(stats);
      console.log(`  round ${round + 1}/${ROUNDS}: limit() ${rls[round]!.perS.toFixed(0)}/s, gate ${gates[round]!.perS.toFixed(0)}/s`);
    }
    const rl = median(rls);
    const gate = median(gates);
    const same = await drive((i) => equivalent(2e9 + i), (r) => r.slice(0, 5).every((x) => (x as { success: boolean }).success) && r[5] === "OK");
    const tcp = await drive((i) => passGate(viaTcp, systemClock, input(1e9 + i)), gatePassed);
    return {
      name: "send gate vs @upstash/ratelimit (same Redis, Upstash REST transport via dev/upstash-rest)",
      lines: [
        `@upstash/ratelimit slidingWindow limit(): ${rl.perS.toFixed(0)} calls/s allowed, p50 ${rl.p50.toFixed(2)} ms, p99 ${rl.p99.toFixed(2)} ms, refused ${rl.refused}`,
        `Sandesh gate (3 limits + idempotency + quotas): ${gate.perS.toFixed(0)} calls/s passed, p50 ${gate.p50.toFixed(2)} ms, p99 ${gate.p99.toFixed(2)} ms, refused ${gate.refused}`,
        `(median of ${ROUNDS} alternating rounds of ${DURATION_MS / 1000} s each)`,
        `ratio: gate is ${((gate.perS / rl.perS) * 100).toFixed(1)}% of one ratelimit limit()`,
        `the same checks from @upstash/ratelimit (5 limit() + SET NX, together): ${same.perS.toFixed(0)} requests/s, p99 ${same.p99.toFixed(2)} ms (gate = ${((gate.perS / same.perS) * 100).toFixed(0)}% of that), refused ${same.refused}`,
        `Redis CPU per script call: ratelimit ${rlCpu.toFixed(1)} µs, gate ${gateCpu.toFixed(1)} µs (INFO commandstats)`,
        `(reference, same gate over TCP: ${tcp.perS.toFixed(0)} calls/s passed, p99 ${tcp.p99.toFixed(2)} ms, refused ${tcp.refused})`,
      ],
      figures: { ratelimit_per_s: rl.perS, gate_per_s: gate.perS, equivalent_per_s: same.perS, gate_tcp_per_s: tcp.perS },
    };
  } finally {
    // Hundreds of thousands of idempotency records would otherwise expire under the next
    // benchmark's feet, taking Redis CPU it should have.
    let cursor = "0";
    do {
      const [next, keys] = await stats.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 10_000);
      cursor = next;
      if (keys.length) await stats.unlink(...keys);
    } while (cursor !== "0");
    // UNLINK frees in Redis's background thread: let it finish before the next benchmark.
    while (/lazyfree_pending_objects:(\d+)/.exec(await stats.info("memory"))?.[1] !== "0") await new Promise((r) => setTimeout(r, 100));
    await viaTcp.close();
    stats.disconnect();
    await front.close();
  }
}
