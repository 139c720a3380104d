import type autocannon from "autocannon";
import { benchTenant } from "./support/tenant.js";
import { cannon } from "./support/cannon.js";
import { freshDatabase, REDIS_URL, SECRETS, startServer } from "./support/env.js";
import { benchSenders } from "./support/senders.js";

// The bench measures the path, not the quota (bench/support/senders.ts).
const NUMBERS = 64;
const THROUGHPUT = 1000;
const RECIPIENTS = 1000;

/** POST /v1/messages at 64 concurrent clients, beside a Hono hello-world in the same run. */
export async function benchAccept() {
  const db = await freshDatabase("sandesh_bench_accept");
  const env = { ...SECRETS, SANDESH_ENV: "test", DATABASE_URL: db.appUrl, DATABASE_MIGRATION_URL: db.ownerUrl, REDIS_URL, REDIS_PREFIX: `bench${Date.now()}:` };
  const { setup, owner, workspaceId, apiKey } = await benchTenant(env, db.ownerUrl, "Bench");
  const ws = { id: workspaceId };
  const key = { key: apiKey };
  const recipients = Array.from({ length: RECIPIENTS }, (_, g) => String(919000000000 + g));
  const numbers = await benchSenders(setup, owner, ws.id, { count: NUMBERS, throughput: THROUGHPUT, recipients });
  await setup.close();

  const sandesh = await startServer("bench/servers/sandesh.ts", env);
  const hello = await startServer("bench/servers/hello.ts", {});
  let i = 0;
  const body = () => {
    const n = numbers[i % NUMBERS]!;
    const to = 919000000000 + (i++ % RECIPIENTS);
    return JSON.stringify({ from: n.phone, to: String(to), type: "text", text: { body: `Your order #${i} has shipped` } });
  };
  try {
    const headers = { authorization: `Bearer ${key.key}`, "content-type": "application/json" };
    const sendReq: autocannon.Request = { method: "POST", path: "/v1/messages", headers, setupRequest: (r) => ({ ...r, body: body() }) };
    const helloReq: autocannon.Request = { method: "POST", path: "/", headers: { "content-type": "application/json" }, body: body() };
    await cannon(`http://127.0.0.1:${sandesh.port}`, sendReq, 3); // warm-up: JIT, pools, script cache
    await cannon(`http://127.0.0.1:${hello.port}`, helloReq, 2);
    const h = await cannon(`http://127.0.0.1:${hello.port}`, helloReq);
    const s = await cannon(`http://127.0.0.1:${sandesh.port}`, sendReq);
    // As careful clients send: an Idempotency-Key on every request (the writer then needs
    // a second round trip, and the answer is stored for replays).
    let k = 0;
    const keyedReq: autocannon.Request = { ...sendReq, setupRequest: (r) => ({ ...r, headers: { ...headers, "idempotency-key": `bench-${Date.now()}-${k++}` }, body: body() }) };
    const keyed = await cannon(`http://127.0.0.1:${sandesh.port}`, keyedReq);
    // autocannon stops with requests in flight; let the server finish them before counting.
    let rows = 0;
    let jobs = -1;
    for (let i = 0; i < 50 && rows !== jobs; i++) {
      await new Promise((r) => setTimeout(r, 100));
      rows = (await owner<{ n: number }[]>`select count(*)::int as n from messages`)[0]!.n;
      jobs = (await owner<{ n: number }[]>`select count(*)::int as n from sandesh_queue.job where name = 'send'`)[0]!.n;
    }
    return {
      name: "accept path (POST /v1/messages)",
      lines: [
        `hello-world Hono: ${h.rps.toFixed(0)} req/s, p50 ${h.p50} ms, p99 ${h.p99} ms`,
        `Sandesh accept:   ${s.rps.toFixed(0)} sends/s (2xx only; ${s.answers.toFixed(0)} answers/s), p50 ${s.p50} ms, p99 ${s.p99} ms (all answers), refused ${s.refused}, errors ${s.errors}`,
        `Sandesh accept with an Idempotency-Key on every request: ${keyed.rps.toFixed(0)} sends/s (2xx only), p50 ${keyed.p50} ms, p99 ${keyed.p99} ms, refused ${keyed.refused}, errors ${keyed.errors}`,
        `ratio: Sandesh is ${((s.rps / h.rps) * 100).toFixed(1)}% of hello-world throughput`,
        `check: ${rows} message rows and ${jobs} queued jobs after ${s.ok + keyed.ok}+warm-up accepted of ${s.total + keyed.total}+warm-up requests (rows = jobs: ${rows === jobs})`,
      ],
      figures: { sends_per_s: Math.round(s.rps), p50_ms: s.p50, p99_ms: s.p99, keyed_per_s: Math.round(keyed.rps), keyed_p99_ms: keyed.p99, hello_rps: Math.round(h.rps), ratio: s.rps / h.rps },
    };
  } finally {
    await Promise.all([sandesh.stop(), hello.stop()]);
    await owner.end();
    await db.drop();
  }
}
