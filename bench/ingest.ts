import autocannon from "autocannon";
import { createHmac } from "node:crypto";
import postgres from "postgres";
import { parseConfig } from "../lib/config.js";
import { createLogger } from "../lib/logger.js";
import { connectNumber } from "../lib/whatsapp/numbers.js";
import { createWorkspace } from "../lib/workspaces/workspaces.js";
import { createNodeServices } from "../dev/services.js";
import { freshDatabase, REDIS_URL, SECRETS, startServer } from "./support/env.js";
import { createTally, describeRefusals } from "./support/tally.js";

const DURATION_S = Number(process.env.BENCH_SECONDS ?? 10);
const MESSAGES = 20_000;
const STATUSES = ["sent", "delivered", "read"];

/** Status events/s through POST /webhooks/meta (signed, real PostgreSQL), batched and one per call. */
export async function benchIngest() {
  const db = await freshDatabase("sandesh_bench_ingest");
  const env = { ...SECRETS, SANDESH_ENV: "test", DATABASE_URL: db.appUrl, DATABASE_MIGRATION_URL: db.ownerUrl, REDIS_URL, REDIS_PREFIX: `benchin${Date.now()}:` };
  const parsed = parseConfig(env);
  if (!parsed.ok) throw new Error(parsed.problems.join("\n"));
  const setup = createNodeServices(parsed.config, { databaseUrl: db.ownerUrl, logger: createLogger("silent") });
  const ws = await createWorkspace(setup, "Bench");
  const n = await connectNumber(setup, { workspaceId: ws.id, phoneNumberId: "300000001", wabaId: "1", token: "EAABenchIngestToken0123456789abcdef" }, { actorType: "operator" });
  await setup.close();
  const owner = postgres(db.ownerUrl, { max: 1, onnotice: () => {} });
  await owner`insert into messages (id, workspace_id, whatsapp_number_id, direction, recipient, type, payload, status, wamid)
    select gen_random_uuid(), ${ws.id}, ${n.id}, 'outbound', '919000000001', 'text', '{}', 'sent', 'wamid.bench' || g
    from generate_series(0, ${MESSAGES - 1}) g`;
  await owner`analyze messages`;
  const server = await startServer("bench/servers/sandesh.ts", env);

  let seq = 0;
  const status = () => {
    const i = seq++;
    return { id: `wamid.bench${i % MESSAGES}`, status: STATUSES[Math.floor(i / MESSAGES) % 3], timestamp: String(1_790_000_000 + Math.floor(i / MESSAGES)), recipient_id: "919000000001",
      pricing: { billable: true, pricing_model: "PMP", category: "utility" }, conversation: { id: "c1", origin: { type: "utility" } } };
  };
  const body = (per: number) =>
    JSON.stringify({ object: "whatsapp_business_account", entry: [{ id: "1", changes: [{ field: "messages", value: { messaging_product: "whatsapp", metadata: { display_phone_number: "15550000000", phone_number_id: "300000001" }, statuses: Array.from({ length: per }, status) } }] }] });
  const run = async (per: number, duration = DURATION_S) => {
    const tally = createTally();
    const r = await autocannon({
      url: `http://127.0.0.1:${server.port}`,
      connections: 16,
      duration,
      requests: [{ method: "POST", path: "/webhooks/meta", onResponse: (status, b) => tally.record(status, b), setupRequest: (req) => {
        const b = body(per);
        return { ...req, body: b, headers: { "content-type": "application/json", "x-hub-signature-256": `sha256=${createHmac("sha256", SECRETS.META_APP_SECRET).update(b).digest("hex")}` } };
      } }],
    });
    // Only a 2xx ingested its statuses: the rest are counted apart, by status and code.
    const calls = tally.ok / (r.duration || duration);
    return { calls, events: calls * per, p99: r.latency.p99, refused: describeRefusals(tally) };
  };
  try {
    await run(50, 3); // warm-up
    const batched = await run(50);
    const single = await run(1);
    const events = (await owner<{ n: number }[]>`select count(*)::int as n from message_events`)[0]!.n;
    return {
      name: "Meta webhook ingest (POST /webhooks/meta, signed, 16 concurrent senders)",
      lines: [
        `batched (50 statuses per call): ${batched.events.toFixed(0)} status events/s (${batched.calls.toFixed(0)} calls/s, p99 ${batched.p99} ms, refused ${batched.refused})`,
        `single (1 status per call):     ${single.events.toFixed(0)} status events/s (p99 ${single.p99} ms, refused ${single.refused})`,
        `check: ${events} distinct events recorded (each (wamid, status) once, however often Meta repeats it)`,
      ],
      figures: { batched_events_per_s: batched.events, single_events_per_s: single.events },
    };
  } finally {
    await server.stop();
    await owner.end();
    await db.drop();
  }
}
