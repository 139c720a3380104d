import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SEND_QUEUE } from "../lib/queue/pgboss.js";
import { uuidv7 } from "../lib/ids.js";
import { nodesOf, type PlanNode } from "./support/plan-kit.js";
import { createTestStack, type TestStack } from "./support/stack.js";

type Exec = (text: string, values?: unknown[]) => Promise<{ rows: Record<string, unknown>[] }>;

/**
 * A broadcast queues tens of thousands of send jobs in seconds onto a queue whose
 * statistics were taken while it was near empty. The fetch must still walk the waiting
 * jobs' index in order and stop at the batch, not read and sort every waiting job (what
 * the planner chose from such statistics: ~40 ms a fetch at 20,000 waiting).
 */
describe("the local queue's fetch, after a burst onto a queue last analyzed empty", () => {
  let stack: TestStack;
  let db: { executeSql: Exec };
  beforeAll(async () => {
    stack = await createTestStack({}, { localQueue: true });
    db = stack.queue!.boss.getDb() as unknown as { executeSql: Exec };
    await db.executeSql("analyze sandesh_queue.job_common");
    const ws = await stack.tenant();
    for (let k = 0; k < 4; k++) {
      const jobs = Array.from({ length: 5000 }, () => ({ id: uuidv7(Date.now()), data: { messageId: uuidv7(Date.now()), workspaceId: ws.workspaceId } }));
      await stack.queue!.boss.insert(SEND_QUEUE, jobs);
    }
  }, 60_000);
  afterAll(async () => {
    await stack?.queue?.close();
    await stack?.close();
  });

  it("plans an ordered index walk on the queue's own connections: no bitmap, no sort", async () => {
    // The statement pg-boss itself sends for a fetch, caught on its way out.
    const sent: { text: string; values: unknown[] }[] = [];
    const real = db.executeSql.bind(db);
    db.executeSql = (text, values) => (sent.push({ text, values: values ?? [] }), real(text, values));
    try {
      await stack.queue!.boss.fetch(SEND_QUEUE, { batchSize: 50 });
    } finally {
      db.executeSql = real;
    }
    const fetch = sent.find((s) => /FOR UPDATE OF j SKIP LOCKED/.test(s.text));
    expect(fetch, "pg-boss sent its fetch").toBeDefined();
    // Explained on the queue's pool, with the settings its sessions carry; rolled back.
    const { rows } = await real(`explain (format json) ${fetch!.text}`, fetch!.values);
    const out = rows[0]!["QUERY PLAN"];
    const plan = (typeof out === "string" ? JSON.parse(out) : out)[0].Plan as PlanNode;
    const types = nodesOf(plan).map((n) => n["Node Type"]);
    expect(types, JSON.stringify(types)).not.toContain("Bitmap Heap Scan");
    expect(types, JSON.stringify(types)).not.toContain("Sort");
    expect(nodesOf(plan).some((n) => n["Node Type"] === "Index Scan" && /i11$/.test(n["Index Name"] ?? ""))).toBe(true);
  });
});
