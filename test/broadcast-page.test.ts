import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createBroadcast } from "../lib/broadcasts/create.js";
import { PAGE_SIZE, writePage } from "../lib/broadcasts/page.js";
import { runBroadcast } from "../lib/broadcasts/run.js";
import { SEND_BATCH } from "../lib/queue/port.js";
import { broadcastTenant, seedContacts, sendJobsFor, TEMPLATE } from "./support/broadcast-kit.js";
import { createTestStack, type TestStack } from "./support/stack.js";

/**
 * A page of a broadcast's run writes its rows, the cursor's move and (local queue) every
 * row's job in one round trip, optimistically (lib/broadcasts/page.ts). A page whose rows
 * are there already must still create nothing twice: no second message, no job for a row
 * that did not go in, no recipient counted twice.
 */
let stack: TestStack;
beforeAll(async () => {
  stack = await createTestStack({}, { localQueue: true });
});
afterAll(() => stack.close());

const OPERATOR = { actorType: "operator" as const, actorId: "test" };

describe("a broadcast page", () => {
  it("written again over rows that exist, it adds no message, no job and no count", async () => {
    const t = await broadcastTenant(stack, null);
    await seedContacts(stack.owner, t.workspaceId, 30, { tag: "page" });
    // Opted out, after the others in id order: the last page skips them all.
    await seedContacts(stack.owner, t.workspaceId, 5, { tag: "page", optedOut: true });
    const b = await createBroadcast(stack.services, t.workspaceId, { name: "page", from: t.number.phone_number_id, template: TEMPLATE, audience: { tag: "page" } }, OPERATOR);
    expect(b.status).toBe("running");
    const counts = async () => {
      const [r] = await stack.owner<{ rows: number; targeted: number; done: boolean; skipped: Record<string, number> }[]>`
        select (select count(*)::int from messages where broadcast_id = ${b.id}) as rows, targeted, audience_done as done, skipped from broadcasts where id = ${b.id}`;
      const j = await sendJobsFor(stack.owner, b.id);
      return { ...r!, jobs: j.single + j.batched, batches: j.batches };
    };

    const first = await writePage(stack.services, t.workspaceId, b.id, { tag: "page" }, true);
    expect(first.wrote).toBe(true);
    // On the local queue a page's sends are batch jobs: 30 messages, one job.
    expect(await counts()).toMatchObject({ rows: 30, jobs: 30, batches: 1, targeted: 30, done: true, skipped: { opted_out: 5 } });

    // The cursor back at the start, as if the page's commit had been lost: its rows are there.
    await stack.owner`update broadcasts set cursor_id = null, audience_done = false where id = ${b.id}`;
    const again = await writePage(stack.services, t.workspaceId, b.id, { tag: "page" }, true);
    expect(again.wrote).toBe(true);
    const after = await counts();
    expect(after).toMatchObject({ rows: 30, jobs: 30, targeted: 30, done: true });
  });

  it("whose contacts are all skipped writes no row and still moves the cursor to the end", async () => {
    const t = await broadcastTenant(stack, null);
    await seedContacts(stack.owner, t.workspaceId, 5, { tag: "gone", optedOut: true });
    const b = await createBroadcast(stack.services, t.workspaceId, { name: "gone", from: t.number.phone_number_id, template: TEMPLATE, audience: { tag: "gone" } }, OPERATOR);
    const page = await writePage(stack.services, t.workspaceId, b.id, { tag: "gone" }, true);
    expect(page).toMatchObject({ wrote: true, audienceDone: true, jobs: [] });
    const [row] = await stack.owner<{ done: boolean; cursor: string | null; skipped: Record<string, number> }[]>`select audience_done as done, cursor_id as cursor, skipped from broadcasts where id = ${b.id}`;
    expect(row).toMatchObject({ done: true, skipped: { opted_out: 5 } });
    expect(row!.cursor).not.toBeNull();
  });

  it("writes each recipient's whole payload: shared components once for all, placeholders filled per recipient", async () => {
    const t = await broadcastTenant(stack, null);
    const wa = await seedContacts(stack.owner, t.workspaceId, 3, { tag: "pay" });
    const fixed = { name: "festive_offer", language: { code: "en_US" }, components: [{ type: "body", parameters: [{ type: "text", text: "Diwali" }] }] };
    const payloads = async (id: string) =>
      (await stack.owner<{ recipient: string; payload: Record<string, unknown> }[]>`select recipient, payload from messages where broadcast_id = ${id} order by recipient`).map((r) => [r.recipient, r.payload]);
    const a = await createBroadcast(stack.services, t.workspaceId, { name: "fixed", from: t.number.phone_number_id, template: fixed, audience: { tag: "pay" } }, OPERATOR);
    await writePage(stack.services, t.workspaceId, a.id, { tag: "pay" }, true);
    expect(await payloads(a.id)).toEqual([...wa].sort().map((w) => [w, { to: w, type: "template", template: fixed }]));

    const b = await createBroadcast(stack.services, t.workspaceId, { name: "filled", from: t.number.phone_number_id, template: TEMPLATE, audience: { tag: "pay" } }, OPERATOR);
    await writePage(stack.services, t.workspaceId, b.id, { tag: "pay" }, true);
    const filled = { ...TEMPLATE, components: [{ type: "body", parameters: [{ type: "text", text: "Asha" }, { type: "text", text: "Pune" }] }] };
    expect(await payloads(b.id)).toEqual([...wa].sort().map((w) => [w, { to: w, type: "template", template: filled }]));
  });

  it("read ahead from where the cursor is not, it writes nothing and says so; from the cursor it writes the page", async () => {
    const t = await broadcastTenant(stack, null);
    await seedContacts(stack.owner, t.workspaceId, 20, { tag: "ahead" });
    const b = await createBroadcast(stack.services, t.workspaceId, { name: "ahead", from: t.number.phone_number_id, template: TEMPLATE, audience: { tag: "ahead" } }, OPERATOR);
    const ids = (await stack.owner<{ id: string }[]>`select id from contacts where workspace_id = ${t.workspaceId} order by id`).map((r) => r.id);
    const heard: [string | undefined, number][] = [];
    const onRead = (last: string | undefined, n: number) => heard.push([last, n]);
    const rows = async () =>
      (await stack.owner<{ rows: number; targeted: number }[]>`select (select count(*)::int from messages where broadcast_id = ${b.id}) as rows, targeted from broadcasts where id = ${b.id}`)[0];
    // As if a page before it had ended at the tenth contact: the cursor is still at the start.
    const ahead = await writePage(stack.services, t.workspaceId, b.id, { tag: "ahead" }, true, { after: ids[9]!, onRead });
    expect(ahead).toMatchObject({ wrote: false, moved: true, audienceDone: false, jobs: [] });
    expect(await rows()).toEqual({ rows: 0, targeted: 0 });
    expect(heard).toEqual([]);
    const page = await writePage(stack.services, t.workspaceId, b.id, { tag: "ahead" }, true, { onRead });
    expect(page).toMatchObject({ wrote: true, audienceDone: true });
    expect(await rows()).toEqual({ rows: 20, targeted: 20 });
    // Heard once it held the lock: the twenty it writes.
    expect(heard).toEqual([[ids[19], 20]]);
  });

  it("run twice at once over several pages, each read ahead of the one writing, writes each recipient once", async () => {
    const t = await broadcastTenant(stack, null);
    await seedContacts(stack.owner, t.workspaceId, 2 * PAGE_SIZE + 300, { tag: "twice" });
    const b = await createBroadcast(stack.services, t.workspaceId, { name: "twice", from: t.number.phone_number_id, template: TEMPLATE, audience: { tag: "twice" } }, OPERATOR);
    await Promise.all([runBroadcast(stack.services, { workspaceId: t.workspaceId, broadcastId: b.id }), runBroadcast(stack.services, { workspaceId: t.workspaceId, broadcastId: b.id })]);
    const [row] = await stack.owner<{ rows: number; contacts: number; targeted: number; done: boolean }[]>`
      select (select count(*)::int from messages where broadcast_id = ${b.id}) as rows,
        (select count(distinct contact_id)::int from messages where broadcast_id = ${b.id}) as contacts,
        targeted, audience_done as done from broadcasts where id = ${b.id}`;
    const j = await sendJobsFor(stack.owner, b.id);
    expect({ ...row, jobs: j.single + j.batched }).toEqual({ rows: 2 * PAGE_SIZE + 300, contacts: 2 * PAGE_SIZE + 300, jobs: 2 * PAGE_SIZE + 300, targeted: 2 * PAGE_SIZE + 300, done: true });
    expect(j.batches).toBe(Math.ceil(PAGE_SIZE / SEND_BATCH) * 2 + Math.ceil(300 / SEND_BATCH));
  });
});
