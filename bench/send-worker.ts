import postgres from "postgres";
import { parseConfig } from "../lib/config.js";
import { createLogger } from "../lib/logger.js";
import { createLocalQueue, SEND_QUEUE } from "../lib/queue/pgboss.js";
import { uuidv7 } from "../lib/ids.js";
import { connectNumber } from "../lib/whatsapp/numbers.js";
import { createWorkspace } from "../lib/workspaces/workspaces.js";
import { createNodeServices } from "../dev/services.js";
import { startWorkers } from "../dev/queue.js";
import { freshDatabase, REDIS_URL, SECRETS, startServer } from "./support/env.js";

const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 3000);

/** Messages/s the in-process local-queue worker delivers to the Meta sandbox, one number at 1,000/s. */
export async function benchSendWorker() {
  const meta = await startServer("bench/servers/meta-sandbox.ts", { META_APP_SECRET: SECRETS.META_APP_SECRET });
  const sandboxUrl = `http://127.0.0.1:${meta.port}`;
  const db = await freshDatabase("sandesh_bench_send");
  const parsed = parseConfig({ ...SECRETS, SANDESH_ENV: "test", DATABASE_URL: db.appUrl, DATABASE_MIGRATION_URL: db.ownerUrl, REDIS_URL, REDIS_PREFIX: `benchsend${Date.now()}:`, META_GRAPH_URL: sandboxUrl });
  if (!parsed.ok) throw new Error(parsed.problems.join("\n"));
  const logger = createLogger("silent");
  const queue = await createLocalQueue({ connectionString: db.ownerUrl, logger, pollSeconds: 0.5 });
  const s = createNodeServices({ ...parsed.config, logLevel: "silent" }, { logger, queue, dbMax: 16 });
  const owner = postgres(db.ownerUrl, { max: 2, onnotice: () => {} });
  try {
    const ws = await createWorkspace(s, "Bench");
    const token = "EAABenchSendToken0123456789abcdefghij";
    const n = await connectNumber(s, { workspaceId: ws.id, phoneNumberId: "200000001", wabaId: "1", token, throughputMps: 1000 }, { actorType: "operator" });
    await fetch(`${sandboxUrl}/_sandbox/numbers`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ phone_number_id: "200000001", token, throughput_mps: 1000 }) });
    // The backlog, as the accept path leaves it: queued rows, one job each. Recipients
    // end in 7777, which no sandbox failure recipe uses.
    const ids = Array.from({ length: MESSAGES }, () => uuidv7());
    await owner`insert into messages (id, workspace_id, whatsapp_number_id, direction, recipient, type, payload, status)
      select id::uuid, ${ws.id}, ${n.id}, 'outbound', '9190' || lpad(g::text, 4, '0') || '7777', 'text',
             jsonb_build_object('to', '9190' || lpad(g::text, 4, '0') || '7777', 'type', 'text', 'text', jsonb_build_object('body', 'hello')), 'queued'
      from unnest(${ids}::text[]) with ordinality as t(id, g)`;
    for (let i = 0; i < ids.length; i += 500) await queue.boss.insert(SEND_QUEUE, ids.slice(i, i + 500).map((id) => ({ id, data: { messageId: id, workspaceId: ws.id } })));

    const t0 = performance.now();
    const stop = await startWorkers(s, { concurrency: Number(process.env.BENCH_WORKERS ?? 16) });
    let sent = 0;
    const samples: { t: number; n: number }[] = [];
    while (sent < MESSAGES) {
      await new Promise((r) => setTimeout(r, 100));
      sent = (await owner<{ n: number }[]>`select count(*)::int as n from messages where status <> 'queued' and status <> 'sending' and status <> 'retrying'`)[0]!.n;
      samples.push({ t: performance.now(), n: sent });
      if (performance.now() - t0 > Number(process.env.BENCH_TIMEOUT_MS ?? 120_000)) break;
    }
    const seconds = (performance.now() - t0) / 1000;
    stop();
    const byStatus = await owner<{ status: string; n: number }[]>`select status || coalesce(' (' || error_code || ': ' || left(error_title, 60) || ')', '') as status, count(*)::int as n from messages group by 1 order by 1`;
    const rate = sent / seconds;
    // Steady state: from the sample where 10 % were done to the one where 90 % were,
    // leaving out the workers' start and the last batch's finish.
    const at = (share: number) => samples.find((x) => x.n >= MESSAGES * share)!;
    const lo = at(0.1);
    const hi = at(0.9);
    const steady = (hi.n - lo.n) / ((hi.t - lo.t) / 1000);
    const [retried] = await owner<{ n: number; codes: string | null }[]>`
      select count(*)::int as n, string_agg(distinct details->>'code', ', ') as codes from message_events where status = 'retrying'`;
    return {
      name: "send worker (local queue → Meta sandbox)",
      lines: [
        `${sent} of ${MESSAGES} messages finished in ${seconds.toFixed(1)} s: ${rate.toFixed(0)} messages/s from the workers' start; steady state (10 % → 90 % done) ${steady.toFixed(0)} messages/s`,
        `final statuses: ${byStatus.map((r) => `${r.status} ${r.n}`).join(", ")}; retries on the way: ${retried!.n}${retried!.codes ? ` (Meta codes ${retried!.codes})` : ""}`,
        `baseline in the same run: the sandbox's own ceiling for this number is 1,000/s (exact over any 1,000 ms; it runs in its own process, as Meta would)`,
      ],
      figures: { messages_per_s: rate, steady_per_s: steady },
    };
  } finally {
    await s.close();
    await owner.end();
    await db.drop();
    await meta.stop();
  }
}
