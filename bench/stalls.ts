import { monitorEventLoopDelay } from "node:perf_hooks";
import { connectNumber } from "../lib/whatsapp/numbers.js";
// The fault harness's free-port finder (node only): Sandesh must know its port before it starts.
import { freePort } from "../test/support/private-servers.js";
import { benchTenant } from "./support/tenant.js";
import { freshDatabase, percentile, REDIS_URL, SECRETS, startServer } from "./support/env.js";
import { startSandesh } from "./support/sandesh.js";
import { createTally, describeRefusals } from "./support/tally.js";

/**
 * Periodic accept stalls: Sandesh as `npm start` runs it (dev/server.ts: workers, sweeps,
 * pg-boss supervision), sending to the Meta sandbox in its own process, whose status
 * webhooks (sent, delivered, read) flow back into Sandesh, while an open-loop client
 * sends `BENCH_RATE` (134) POST /v1/messages per second for `BENCH_SECONDS` (60).
 * Every request's latency is recorded by the second it was sent; a stall is an answer
 * slower than 500 ms. The same load without status webhooks runs first (`BENCH_QUIET_SECONDS`,
 * 15). The baseline in the same run: a Hono hello-world probed at 20/s
 * at the same moments, and the client's own event-loop delay, so a stall of the machine
 * (other processes) is told apart from one of Sandesh.
 */
const RATE = Number(process.env.BENCH_RATE ?? 134);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 60);
const STALL_MS = 500;
const QUIET_S = Number(process.env.BENCH_QUIET_SECONDS ?? 15);
// Ending in 7777, which no sandbox failure recipe uses (…0190 would flag the token as refused).
const RECIPIENTS = 5000;

type Sample = { at: number; ms: number; status: number };

export async function benchStalls() {
  const db = await freshDatabase("sandesh_bench_stalls");
  const port = await freePort();
  const env = { ...SECRETS, SANDESH_ENV: "development", DATABASE_URL: db.appUrl, DATABASE_MIGRATION_URL: db.ownerUrl, REDIS_URL, REDIS_PREFIX: `stalls${Date.now()}:`, PORT: String(port), HOST: "127.0.0.1", PUBLIC_URL: `http://127.0.0.1:${port}`, LOG_LEVEL: "warn" };
  const { setup, owner, workspaceId, apiKey } = await benchTenant(env, db.ownerUrl, "Stalls");
  const ws = { id: workspaceId };
  const key = { key: apiKey };
  const token = "EAABenchStallsToken0123456789abcdef";
  await connectNumber(setup, { workspaceId: ws.id, phoneNumberId: "2000001", wabaId: "102290129340398", token, throughputMps: 1000 }, { actorType: "operator" });
  await owner`update whatsapp_numbers set messaging_tier = 'TIER_UNLIMITED'`;
  await setup.close();

  // No webhooks at first: the same load without statuses flowing back is the in-run comparison.
  const meta = await startServer("bench/servers/meta-sandbox-webhooks.ts", { META_APP_SECRET: SECRETS.META_APP_SECRET });
  const sandesh = await startSandesh({ ...env, META_GRAPH_URL: `http://127.0.0.1:${meta.port}` });
  const hello = await startServer("bench/servers/hello.ts", {});
  const loop = monitorEventLoopDelay({ resolution: 10 });
  let tally = createTally();
  try {
    const send = async (i: number): Promise<number> => {
      const res = await fetch(`http://127.0.0.1:${port}/v1/messages`, {
        method: "POST",
        headers: { authorization: `Bearer ${key.key}`, "content-type": "application/json", "idempotency-key": `stall-${i}-${Date.now()}` },
        body: JSON.stringify({ to: `91${String(i % RECIPIENTS).padStart(6, "0")}7777`, type: "template", template: { name: "order_update", language: { code: "en_US" }, category: "UTILITY", components: [{ type: "body", parameters: [{ type: "text", text: `#${i}` }] }] } }),
      });
      tally.record(res.status, await res.text());
      return res.status;
    };
    const probe = async () => {
      const res = await fetch(`http://127.0.0.1:${hello.port}/`);
      await res.arrayBuffer();
      return res.status;
    };
    await openLoop(send, 50, 5); // warm-up: JIT, pools, scripts
    const quiet = await openLoop(send, RATE, QUIET_S);
    const quietRefused = describeRefusals(tally);
    await fetch(`http://127.0.0.1:${meta.port}/_sandbox/config`, { method: "POST", body: JSON.stringify({ webhook_url: `http://127.0.0.1:${port}/webhooks/meta` }) });
    tally = createTally();
    loop.enable();
    const [sends, base] = await Promise.all([openLoop(send, RATE, SECONDS), openLoop(probe, 20, SECONDS)]);
    loop.disable();
    await new Promise((r) => setTimeout(r, 3000));
    const counts = await owner<{ status: string; n: number }[]>`select status, count(*)::int as n from messages group by status order by status`;
    const statusEvents = (await owner<{ n: number }[]>`select count(*)::int as n from message_events where status in ('delivered', 'read')`)[0]!.n;
    return { name: `accept stalls at ${RATE} sends/s with status webhooks flowing back (${SECONDS} s)`, lines: [...report(`without status webhooks (first ${QUIET_S} s): Sandesh POST /v1/messages`, quiet), `  refused: ${quietRefused}`, ...report("with status webhooks: Sandesh POST /v1/messages", sends), `  refused: ${describeRefusals(tally)}`, ...report("baseline hello-world GET / (20/s, same moments)", base), `client event-loop delay: p99 ${(loop.percentile(99) / 1e6).toFixed(1)} ms, max ${(loop.max / 1e6).toFixed(1)} ms`, `messages by status 3 s after: ${counts.map((c) => `${c.status} ${c.n}`).join(", ")}; delivered/read events recorded: ${statusEvents}`] };
  } finally {
    await Promise.all([sandesh.stop(), hello.stop(), meta.stop()]);
    await owner.end();
    await db.drop();
  }
}

/** Starts one request every 1/rate s for `seconds`, whatever the earlier ones are doing. */
async function openLoop(fn: (i: number) => Promise<number>, rate: number, seconds: number): Promise<Sample[]> {
  const samples: Sample[] = [];
  const running: Promise<void>[] = [];
  const t0 = performance.now();
  for (let i = 0; i < rate * seconds; i++) {
    const due = t0 + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const at = performance.now();
    running.push(fn(i).then((status) => void samples.push({ at: at - t0, ms: performance.now() - at, status }), () => void samples.push({ at: at - t0, ms: performance.now() - at, status: 0 })));
  }
  await Promise.all(running);
  return samples.sort((a, b) => a.at - b.at);
}

/** Percentiles, and the stalls grouped into episodes (answers > 500 ms sent within 1 s of each other). */
function report(label: string, samples: Sample[]): string[] {
  const ms = samples.map((s) => s.ms).sort((a, b) => a - b);
  const bad = samples.filter((s) => s.status < 200 || s.status >= 300).length;
  const episodes: { from: number; to: number; n: number; worst: number }[] = [];
  for (const s of samples.filter((x) => x.ms > STALL_MS)) {
    const last = episodes.at(-1);
    if (last && s.at - last.to < 1000) {
      last.to = s.at;
      last.n++;
      last.worst = Math.max(last.worst, s.ms);
    } else episodes.push({ from: s.at, to: s.at, n: 1, worst: s.ms });
  }
  const gaps = episodes.slice(1).map((e, i) => ((e.from - episodes[i]!.from) / 1000).toFixed(1));
  return [
    `${label}: ${samples.length} requests, ${bad} not 2xx, p50 ${percentile(ms, 50).toFixed(1)} ms, p99 ${percentile(ms, 99).toFixed(1)} ms, max ${(ms.at(-1) ?? 0).toFixed(0)} ms; ${samples.filter((s) => s.ms > STALL_MS).length} answers > ${STALL_MS} ms in ${episodes.length} episodes`,
    ...(episodes.length ? [`  episodes (s from start: requests, worst ms): ${episodes.map((e) => `${(e.from / 1000).toFixed(1)}: ${e.n}, ${e.worst.toFixed(0)}`).join("; ")}; apart (s): ${gaps.join(", ") || "-"}`] : []),
  ];
}
