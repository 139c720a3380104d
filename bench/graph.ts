import type autocannon from "autocannon";
// The fault harness's free-port finder (node only): Sandesh must know its port before it starts.
import { freePort } from "../test/support/private-servers.js";
import { benchTenant } from "./support/tenant.js";
import { cannon, CONNECTIONS } from "./support/cannon.js";
import { freshDatabase, REDIS_URL, SECRETS, startServer } from "./support/env.js";
import { startSandesh } from "./support/sandesh.js";
import { benchSenders } from "./support/senders.js";

// The bench measures the path, not the quota (bench/support/senders.ts).
const NUMBERS = 64;
const THROUGHPUT = 1000;
// Ending in 7777, which no sandbox failure recipe uses: every send is one Meta takes.
const RECIPIENTS = 1000;
const DRAIN_MS = Number(process.env.BENCH_TIMEOUT_MS ?? 120_000);

/**
 * `npm run bench -- graph`: the Graph-compatible route beside `/v1/messages`, both on one
 * Sandesh as `npm start` runs it (its local-queue workers consuming), sending to the Meta
 * sandbox in its own process. `/v1/messages` answers 202 once the message is queued;
 * POST /v21.0/{phone-number-id}/messages answers once the one send job has recorded Meta's
 * wamid, so its figure is the whole path: accept, queue, worker, Meta, the row read back.
 */
export async function benchGraph() {
  const meta = await startServer("bench/servers/meta-sandbox.ts", { META_APP_SECRET: SECRETS.META_APP_SECRET });
  const db = await freshDatabase("sandesh_bench_graph");
  const port = await freePort();
  const env = { ...SECRETS, SANDESH_ENV: "development", DATABASE_URL: db.appUrl, DATABASE_MIGRATION_URL: db.ownerUrl, REDIS_URL, REDIS_PREFIX: `benchgraph${Date.now()}:`, PORT: String(port), HOST: "127.0.0.1", PUBLIC_URL: `http://127.0.0.1:${port}`, LOG_LEVEL: "warn", META_GRAPH_URL: `http://127.0.0.1:${meta.port}` };
  const { setup, owner, workspaceId, apiKey } = await benchTenant(env, db.ownerUrl, "Graph");
  const recipients = Array.from({ length: RECIPIENTS }, (_, g) => `91${String(g).padStart(6, "0")}7777`);
  // The sandbox registers each number on its first send with that send's token, at its default 1,000/s.
  const numbers = await benchSenders(setup, owner, workspaceId, { count: NUMBERS, throughput: THROUGHPUT, recipients });
  await setup.close();
  const sandesh = await startSandesh(env);
  const url = `http://127.0.0.1:${port}`;
  const headers = { authorization: `Bearer ${apiKey}`, "content-type": "application/json" };
  let i = 0;
  const next = () => {
    const n = numbers[i % NUMBERS]!;
    const to = recipients[i++ % RECIPIENTS]!;
    return { n, body: { to, type: "text", text: { body: `Your order #${i} has shipped` } } };
  };
  const v1Req: autocannon.Request = { method: "POST", path: "/v1/messages", headers, setupRequest: (r) => { const { n, body } = next(); return { ...r, body: JSON.stringify({ from: n.phone, ...body }) }; } };
  const graphReq: autocannon.Request = { method: "POST", path: "/", headers, setupRequest: (r) => { const { n, body } = next(); return { ...r, path: `/v21.0/${n.phone}/messages`, body: JSON.stringify({ messaging_product: "whatsapp", ...body }) }; } };
  // A 200 is a send only with Meta's wamid; one past GRAPH_SEND_WAIT_MS carries Sandesh's id and message_status "accepted".
  const graphAnswers = () => {
    const c = { wamid: 0, accepted: 0, other2xx: 0 };
    const on = (status: number, body: string | undefined) => {
      if (status < 200 || status >= 300) return;
      const m = (JSON.parse(body ?? "{}") as { messages?: { id?: string; message_status?: string }[] }).messages?.[0];
      if (m?.id?.startsWith("wamid.")) c.wamid++;
      else if (m?.message_status === "accepted") c.accepted++;
      else c.other2xx++;
    };
    return { c, on };
  };
  const unsent = async () => (await owner<{ n: number }[]>`select count(*)::int as n from messages where status in ('queued', 'sending', 'retrying')`)[0]!.n;
  // Between the phases the queue empties, so each is measured from the same idle start.
  const drain = async () => {
    const t0 = performance.now();
    while ((await unsent()) > 0 && performance.now() - t0 < DRAIN_MS) await new Promise((r) => setTimeout(r, 200));
    return (performance.now() - t0) / 1000;
  };
  try {
    await cannon(url, v1Req, 2); // warm-up: JIT, pools, script cache, the sandbox's numbers
    await cannon(url, graphReq, 2, graphAnswers().on);
    await drain();
    const v1 = await cannon(url, v1Req);
    const v1Drain = await drain();
    const g = graphAnswers();
    const graph = await cannon(url, graphReq, undefined, g.on);
    const graphDrain = await drain();
    const left = await unsent();
    const statuses = (await owner<{ status: string; n: number }[]>`select status, count(*)::int as n from messages group by 1 order by 1`).map((r) => `${r.status} ${r.n}`).join(", ");
    const wamidPerS = g.c.wamid / graph.seconds;
    const ceiling = NUMBERS * THROUGHPUT;
    return {
      name: `Graph-compatible route beside POST /v1/messages (one Sandesh as npm start runs it, workers consuming; Meta sandbox in its own process; ${CONNECTIONS} connections)`,
      lines: [
        `/v1/messages accept-only: ${v1.rps.toFixed(0)} sends/s (202s: queued, not yet at Meta; ${v1.answers.toFixed(0)} answers/s), p50 ${v1.p50} ms, p99 ${v1.p99} ms (all answers), refused ${v1.refused}, errors ${v1.errors}; its backlog then took ${v1Drain.toFixed(1)} s to reach Meta`,
        `Graph route: ${wamidPerS.toFixed(0)} sends/s (200s carrying Meta's wamid: accepted, queued, sent by a worker and read back; ${graph.answers.toFixed(0)} answers/s), p50 ${graph.p50} ms, p99 ${graph.p99} ms (all answers), refused ${graph.refused}, errors ${graph.errors}`,
        `Graph route 200s without a wamid: ${g.c.accepted} with message_status "accepted" (GRAPH_SEND_WAIT_MS passed; sent later, not counted as sends)${g.c.other2xx ? `, ${g.c.other2xx} other 2xx` : ""}`,
        `end-to-end ceiling: ${NUMBERS} numbers × ${THROUGHPUT.toLocaleString("en-US")}/s = ${ceiling.toLocaleString("en-US")} sends/s (what the senders' quota and Meta would allow); Graph route at ${((100 * wamidPerS) / ceiling).toFixed(2)} % of it, at ${((100 * wamidPerS) / v1.rps).toFixed(1)} % of accept-only`,
        `check: after the Graph phase the queue drained in ${graphDrain.toFixed(1)} s, ${left} still unsent; messages by status: ${statuses}`,
      ],
      figures: { v1_sends_per_s: Math.round(v1.rps), v1_p99_ms: v1.p99, graph_sends_per_s: Math.round(wamidPerS), graph_p99_ms: graph.p99, graph_accepted: g.c.accepted, ceiling_per_s: ceiling },
    };
  } finally {
    await sandesh.stop();
    await owner.end();
    await db.drop();
    await meta.stop();
  }
}
