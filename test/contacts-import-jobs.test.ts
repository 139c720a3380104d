import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runImport } from "../lib/contacts/import-run.js";
import { sweepImports } from "../lib/contacts/import-sweep.js";
import { eventually } from "./support/eventually.js";
import { importEnded } from "./support/import-kit.js";
import { qstashRig, type QueueRig } from "./support/queue-harness.js";
import { startTs } from "./support/spawn.js";
import { childEnv, createTestStack, type TestStack } from "./support/stack.js";
import { createNodeServices } from "../dev/services.js";
import { createLogger } from "../lib/logger.js";

// The import's 202 comes once the file is kept; its rows are the job's work, which resumes
// from its checkpoint however it was cut: by its time slice, a second run, a killed process.
// The local queue here is not consumed unless a test says so: tests run the job themselves.
let stack: TestStack;
beforeAll(async () => {
  stack = await createTestStack({}, { localQueue: true });
});
afterAll(() => stack.close());

type Tenant = Awaited<ReturnType<TestStack["tenant"]>>;
const post = async (t: Tenant, csv: string) => {
  const res = await stack.request("/v1/contacts/imports", { method: "POST", headers: { authorization: `Bearer ${t.key}`, "content-type": "text/csv" }, body: csv });
  return { status: res.status, body: await res.json() };
};
/** n good rows (every one opting in), with a bad one at each of `bad` (1-based data rows). */
function file(n: number, prefix: string, bad: number[] = []) {
  const lines = ["wa_id,name,opt_in"];
  for (let i = 1; i <= n; i++) lines.push(bad.includes(i) ? `bad${i},x,` : `91${prefix}${String(i).padStart(7, "0")},Name ${i},yes`);
  return `${lines.join("\n")}\n`;
}
const counts = async (workspaceId: string, importId: string) => {
  const [c] = await stack.owner<{ contacts: number; consent: number; distinct_consent: number }[]>`
    select (select count(*)::int from contacts where workspace_id = ${workspaceId}) as contacts,
           (select count(*)::int from contact_consent_events where workspace_id = ${workspaceId} and details->>'import_id' = ${importId}) as consent,
           (select count(distinct contact_id)::int from contact_consent_events where workspace_id = ${workspaceId} and details->>'import_id' = ${importId}) as distinct_consent`;
  return c!;
};
const chunks = async (importId: string) => (await stack.owner<{ n: number }[]>`select count(*)::int as n from contact_import_chunks where import_id = ${importId}`)[0]!.n;
async function runToEnd(t: Tenant, importId: string, sliceMs?: number, batchRows?: number) {
  const outcomes: string[] = [];
  // A run that finds another has moved the checkpoint stops: that one carries on.
  for (let o = "continued"; o === "continued"; ) outcomes.push((o = await runImport(stack.services, { workspaceId: t.workspaceId, importId }, sliceMs, batchRows)));
  return outcomes;
}

describe("contacts imports run in the background", () => {
  it("202 {id} once the file is kept, before any row is written; the job writes them and drops what it kept", async () => {
    const t = await stack.tenant();
    const csv = file(2500, "71");
    const { status, body } = await post(t, csv);
    expect(status).toBe(202);
    expect(body).toMatchObject({ id: expect.any(String), status: "queued", rows_read: 0, created: 0, bytes_total: Buffer.byteLength(csv) });
    expect(await counts(t.workspaceId, body.id)).toMatchObject({ contacts: 0 });
    expect(await chunks(body.id)).toBeGreaterThan(0);
    // The job is on the queue, one per import and checkpoint.
    expect(await stack.owner`select data from sandesh_queue.job where name = 'import' and data->>'importId' = ${body.id}`).toHaveLength(1);
    expect(await runToEnd(t, body.id)).toEqual(["completed"]);
    expect(await importEnded(stack, t, body.id)).toMatchObject({ status: "completed", rows_read: 2500, created: 2500, failed: 0, bytes_done: Buffer.byteLength(csv) });
    expect(await counts(t.workspaceId, body.id)).toEqual({ contacts: 2500, consent: 2500, distinct_consent: 2500 });
    expect(await chunks(body.id)).toBe(0);
    // A job delivered again after the end does nothing.
    expect(await runImport(stack.services, { workspaceId: t.workspaceId, importId: body.id })).toBe("nothing");
  });

  it("run one batch a stretch, it ends with the counts of one run and each bad row's own line", async () => {
    const t = await stack.tenant();
    const { body } = await post(t, file(3500, "72", [1000, 1001, 2001, 3500]));
    const outcomes = await runToEnd(t, body.id, 0, 1000);
    // Each stretch hands over after its first batch (of 1,000 rows here); every continuation is a job of its own.
    expect(outcomes.filter((o) => o === "continued").length).toBeGreaterThanOrEqual(3);
    expect(outcomes.at(-1)).toBe("completed");
    const jobs = await stack.owner<{ id: string }[]>`select id from sandesh_queue.job where name = 'import' and data->>'importId' = ${body.id}`;
    expect(jobs.length).toBe(outcomes.length);
    const view = await importEnded(stack, t, body.id);
    expect(view).toMatchObject({ rows_read: 3500, created: 3496, updated: 0, unchanged: 0, failed: 4 });
    // Line numbers count from the file's first line, whichever stretch met the row.
    expect(view.errors.map((e: { line: number }) => e.line)).toEqual([1001, 1002, 2002, 3501]);
    expect(await counts(t.workspaceId, body.id)).toEqual({ contacts: 3496, consent: 3496, distinct_consent: 3496 });
  });

  it("a stretch that ends on the file's last row hands over, and the next one ends the import", async () => {
    const t = await stack.tenant();
    const { body } = await post(t, file(1000, "78"));
    expect(await runToEnd(t, body.id, 0, 1000)).toEqual(["continued", "completed"]);
    expect(await importEnded(stack, t, body.id)).toMatchObject({ status: "completed", rows_read: 1000, created: 1000 });
  });

  it("two runs of one import at once write it once: the second finds the checkpoint moved and stops", async () => {
    const t = await stack.tenant();
    const { body } = await post(t, file(6000, "73"));
    const outcomes = await Promise.all([runToEnd(t, body.id, 0, 1000), runToEnd(t, body.id, 0, 1000)]);
    expect(outcomes.flat()).toContain("completed");
    expect(await importEnded(stack, t, body.id)).toMatchObject({ status: "completed", rows_read: 6000, created: 6000, updated: 0, unchanged: 0 });
    expect(await counts(t.workspaceId, body.id)).toEqual({ contacts: 6000, consent: 6000, distinct_consent: 6000 });
  });

  it("two runs at once, each writing two batches at a time: the import is written once, the checkpoint never passes a row not committed", async () => {
    const t = await stack.tenant();
    const { body } = await post(t, file(9000, "79", [2500, 7000]));
    const outcomes = await Promise.all([runToEnd(t, body.id, undefined, 1000), runToEnd(t, body.id, undefined, 1000)]);
    expect(outcomes.flat()).toContain("completed");
    expect(await importEnded(stack, t, body.id)).toMatchObject({ status: "completed", rows_read: 9000, created: 8998, updated: 0, unchanged: 0, failed: 2 });
    expect(await counts(t.workspaceId, body.id)).toEqual({ contacts: 8998, consent: 8998, distinct_consent: 8998 });
  });

  it("a number in two batches written at once: the later row waits for the earlier and wins, counted as an update", async () => {
    const t = await stack.tenant();
    const number = (i: number) => `9180${String(i).padStart(7, "0")}`;
    const lines = ["wa_id,name,opt_in"];
    for (let i = 1; i <= 1000; i++) lines.push(`${number(i)},First ${i},`);
    // The next batch of 1,000 begins with the last 300 numbers of the first, a new name and an opt-in each.
    for (let i = 701; i <= 1000; i++) lines.push(`${number(i)},Second ${i},yes`);
    for (let i = 1001; i <= 2700; i++) lines.push(`${number(i)},First ${i},`);
    const { body } = await post(t, `${lines.join("\n")}\n`);
    expect(await runToEnd(t, body.id, undefined, 1000)).toEqual(["completed"]);
    expect(await importEnded(stack, t, body.id)).toMatchObject({ status: "completed", rows_read: 3000, created: 2700, updated: 300, unchanged: 0, failed: 0 });
    const [named] = await stack.owner<{ second: number; opted_in: number }[]>`
      select count(*) filter (where name like 'Second %')::int as second, count(*) filter (where marketing_opt_in_at is not null)::int as opted_in
      from contacts where workspace_id = ${t.workspaceId}`;
    expect(named).toEqual({ second: 300, opted_in: 300 });
    expect(await counts(t.workspaceId, body.id)).toEqual({ contacts: 2700, consent: 300, distinct_consent: 300 });
  });

  it("on a pool of one connection (as the Worker has), an import of several batches with consent events completes, each batch's events dispatched", async () => {
    const t = await stack.tenant();
    const hook = await stack.request("/v1/webhook-endpoints", { method: "POST", headers: { authorization: `Bearer ${t.key}`, "content-type": "application/json" }, body: JSON.stringify({ url: "https://hooks.example.com/consent", events: ["contact.opted_in"] }) });
    expect(hook.status).toBe(201);
    const { body } = await post(t, file(3500, "82"));
    // The suite's own queue, which this second set of services must not close.
    const one = createNodeServices(stack.config, { logger: createLogger("silent"), dbMax: 1, queue: { ...stack.services.queue, close: async () => {} } });
    try {
      expect(await runImport(one, { workspaceId: t.workspaceId, importId: body.id }, undefined, 1000)).toBe("completed");
    } finally {
      await one.close();
    }
    expect(await importEnded(stack, t, body.id)).toMatchObject({ status: "completed", rows_read: 3500, created: 3500 });
    const [r] = await stack.owner<{ deliveries: number; undispatched: number; jobs: number }[]>`
      select (select count(*)::int from webhook_deliveries where workspace_id = ${t.workspaceId}) as deliveries,
             (select count(*)::int from webhook_deliveries where workspace_id = ${t.workspaceId} and enqueued_at is null) as undispatched,
             (select count(*)::int from sandesh_queue.job where name = 'webhook' and data->>'workspaceId' = ${t.workspaceId}) as jobs`;
    expect(r).toEqual({ deliveries: 3500, undispatched: 0, jobs: 3500 });
  }, 60_000);

  it("a worker killed mid-import (SIGKILL): the next run resumes from its last commit, every row counted once", async () => {
    const t = await stack.tenant();
    const n = 30_000;
    const { body } = await post(t, file(n, "74"));
    const worker = startTs("test/support/send-worker-process.ts", childEnv(stack));
    try {
      await worker.waitFor(/send worker ready/);
      // Past its first commits, well before the end.
      await eventually(() => stack.owner<{ rows_read: number }[]>`select rows_read from contact_imports where id = ${body.id}`, (r) => (r[0]?.rows_read ?? 0) >= 2000, 60_000).catch((err) => {
        throw new Error(`${(err as Error).message}\nworker: ${worker.output()}`);
      });
    } finally {
      worker.child.kill("SIGKILL");
      await worker.exited;
    }
    const [cut] = await stack.owner<{ rows_read: number; status: string }[]>`select rows_read, status from contact_imports where id = ${body.id}`;
    expect(cut).toMatchObject({ status: "running" });
    expect(cut!.rows_read).toBeLessThan(n);
    expect(await runToEnd(t, body.id)).toContain("completed");
    expect(await importEnded(stack, t, body.id)).toMatchObject({ status: "completed", rows_read: n, created: n, updated: 0, unchanged: 0, failed: 0 });
    expect(await counts(t.workspaceId, body.id)).toEqual({ contacts: n, consent: n, distinct_consent: n });
  }, 120_000);

  it("the sweep gives a lost import a new job, and fails an upload that never finished", async () => {
    const t = await stack.tenant();
    const { body } = await post(t, file(10, "75"));
    const { body: cut } = await post(t, file(10, "76"));
    // As if the enqueue was lost long ago, and the second upload's process died mid-body.
    await stack.owner`delete from sandesh_queue.job where name = 'import' and data->>'importId' = ${body.id}`;
    await stack.owner`update contact_imports set updated_at = now() - interval '10 minutes' where id = ${body.id}`;
    await stack.owner`update contact_imports set status = 'receiving', received_at = null, updated_at = now() - interval '2 hours' where id = ${cut.id}`;
    expect(await sweepImports(stack.services)).toBeGreaterThanOrEqual(2);
    const [job] = await stack.owner<{ data: { importId: string; revival?: number } }[]>`select data from sandesh_queue.job where name = 'import' and data->>'importId' = ${body.id}`;
    expect(job!.data).toMatchObject({ importId: body.id, revival: expect.any(Number) });
    expect(await importEnded(stack, t, cut.id)).toMatchObject({ status: "failed", error: expect.stringMatching(/upload broke off/) });
    expect(await chunks(cut.id)).toBe(0);
    await runToEnd(t, body.id);
    expect(await importEnded(stack, t, body.id)).toMatchObject({ status: "completed", created: 10 });
  });
});

describe("contacts imports on QStash", () => {
  let rig: QueueRig;
  beforeAll(async () => {
    rig = await qstashRig(3);
  });
  afterAll(() => rig.close());

  it("the import's job comes back signed to /jobs/import and completes it", async () => {
    const t = await rig.stack.tenant();
    const csv = file(1500, "77");
    const res = await rig.stack.request("/v1/contacts/imports", { method: "POST", headers: { authorization: `Bearer ${t.key}`, "content-type": "text/csv" }, body: csv });
    expect(res.status).toBe(202);
    const { id } = await res.json();
    expect(await importEnded(rig.stack, t, id)).toMatchObject({ status: "completed", rows_read: 1500, created: 1500 });
  });
});
