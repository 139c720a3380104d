import type autocannon from "autocannon";
import { benchTenant } from "./support/tenant.js";
import { cannon } from "./support/cannon.js";
import { freshDatabase, REDIS_URL, SECRETS, startServer } from "./support/env.js";
import { benchSenders } from "./support/senders.js";

const NUMBERS = 64;
const RECIPIENTS = 1000;

/**
 * POST /v1/messages at 64 concurrent clients on one workspace, alternately without an IP
 * allow-list and with one that admits the load generator (127.0.0.0/8), three times each
 * in turn, so drift on a shared machine falls on both sides alike; medians are compared. Every request
 * reads the workspace's allow-list stamp from Redis either way (lib/network/allowlist.ts);
 * with a list the ranges are also matched.
 */
export async function benchAcceptAllowlist() {
  const db = await freshDatabase("sandesh_bench_allowlist");
  const env = { ...SECRETS, SANDESH_ENV: "test", DATABASE_URL: db.appUrl, DATABASE_MIGRATION_URL: db.ownerUrl, REDIS_URL, REDIS_PREFIX: `benchallow${Date.now()}:` };
  const { setup, owner, workspaceId, apiKey } = await benchTenant(env, db.ownerUrl, "BenchAllowlist");
  const recipients = Array.from({ length: RECIPIENTS }, (_, g) => String(919100000000 + g));
  const numbers = await benchSenders(setup, owner, workspaceId, { count: NUMBERS, throughput: 1000, recipients });
  await setup.close();

  const sandesh = await startServer("bench/servers/sandesh.ts", env);
  const url = `http://127.0.0.1:${sandesh.port}`;
  const headers = { authorization: `Bearer ${apiKey}`, "content-type": "application/json" };
  let i = 0;
  const body = () => JSON.stringify({ from: numbers[i % NUMBERS]!.phone, to: String(919100000000 + (i++ % RECIPIENTS)), type: "text", text: { body: `Your order #${i} has shipped` } });
  const sendReq: autocannon.Request = { method: "POST", path: "/v1/messages", headers, setupRequest: (r) => ({ ...r, body: body() }) };
  const setList = async (ranges: string[]) => {
    const res = await fetch(`${url}/v1/workspace/ip-allowlist`, { method: "PUT", headers, body: JSON.stringify({ ranges }) });
    if (res.status !== 200) throw new Error(`ip-allowlist: ${res.status} ${await res.text()}`);
  };
  try {
    await cannon(url, sendReq, 6); // warm-up: JIT, pools, script cache
    const runs: { list: boolean; r: Awaited<ReturnType<typeof cannon>> }[] = [];
    for (const list of [false, true, false, true, false, true]) {
      await setList(list ? ["127.0.0.0/8"] : []);
      runs.push({ list, r: await cannon(url, sendReq) });
    }
    const median = (list: boolean) => {
      const rs = runs.filter((x) => x.list === list).map((x) => x.r);
      const rps = rs.map((r) => r.rps).sort((a, b) => a - b)[1]!;
      const p99 = rs.map((r) => r.p99).sort((a, b) => a - b)[1]!;
      return { rps, p99 };
    };
    const off = median(false);
    const on = median(true);
    return {
      name: "accept path with and without an IP allow-list (POST /v1/messages, one workspace)",
      lines: [
        ...runs.map((x, n) => `run ${n + 1} ${x.list ? "with a list   " : "without a list"}: ${x.r.rps.toFixed(0)} sends/s, p50 ${x.r.p50} ms, p99 ${x.r.p99} ms, refused ${x.r.refused}, errors ${x.r.errors}`),
        `median of 3: without ${off.rps.toFixed(0)} sends/s, p99 ${off.p99} ms; with ${on.rps.toFixed(0)} sends/s, p99 ${on.p99} ms`,
        `ratio: with a list is ${((on.rps / off.rps) * 100).toFixed(1)}% of without`,
      ],
      figures: { without_per_s: Math.round(off.rps), with_per_s: Math.round(on.rps), ratio: on.rps / off.rps },
    };
  } finally {
    await sandesh.stop();
    await owner.end();
    await db.drop();
  }
}
