import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { uuidv7 } from "../lib/ids.js";
import type { NewMessage } from "../lib/messages/writer.js";
import { connectTestNumber } from "./support/senders.js";
import { createTestStack, type TestStack } from "./support/stack.js";

let stack: TestStack;
beforeAll(async () => {
  stack = await createTestStack({}, { localQueue: true });
});
afterAll(() => stack.close());

const row = (workspaceId: string, numberId: string, over: Partial<NewMessage> = {}): NewMessage => ({
  id: uuidv7(),
  workspaceId,
  whatsappNumberId: numberId,
  recipient: "919876543210",
  type: "text",
  payload: { to: "919876543210", type: "text", text: { body: "hi" } },
  idempotencyKey: null,
  createdAt: new Date(),
  ...over,
});

const count = async (table: "messages" | "sandesh_queue.job", ids: string[]) =>
  Number((await stack.owner`select count(*)::int as n from ${stack.owner(table)} where id = any(${ids}::uuid[])`)[0]!.n);

describe("the message writer (group commit, jobs in the same transaction)", () => {
  it("writes a mixed batch of tenants, keyed and unkeyed rows, each with exactly one job", async () => {
    const a = await stack.tenant();
    const b = await stack.tenant();
    const na = await connectTestNumber(stack, a.workspaceId);
    const nb = await connectTestNumber(stack, b.workspaceId);
    const rows = [
      ...Array.from({ length: 20 }, () => row(a.workspaceId, na.id)),
      ...Array.from({ length: 20 }, (_, i) => row(b.workspaceId, nb.id, { idempotencyKey: `k-${i}` })),
    ];
    await Promise.all(rows.map((r) => stack.services.messageWriter.add(r)));
    const ids = rows.map((r) => r.id);
    expect(await count("messages", ids)).toBe(40);
    expect(await count("sandesh_queue.job", ids)).toBe(40);
    expect(rows.every((r) => r.queued === true && !r.existing)).toBe(true);
  });

  it("a key the table already holds names the first message: no second row, no second job", async () => {
    const t = await stack.tenant();
    const n = await connectTestNumber(stack, t.workspaceId);
    const first = row(t.workspaceId, n.id, { idempotencyKey: "order-7" });
    await stack.services.messageWriter.add(first);
    const again = [row(t.workspaceId, n.id, { idempotencyKey: "order-7" }), row(t.workspaceId, n.id)];
    await Promise.all(again.map((r) => stack.services.messageWriter.add(r)));
    expect(again[0]!.existing?.id).toBe(first.id);
    expect(again[0]!.queued).toBeFalsy();
    expect(await count("messages", [again[0]!.id])).toBe(0);
    expect(await count("sandesh_queue.job", [again[0]!.id])).toBe(0);
    expect(await count("sandesh_queue.job", [first.id, again[1]!.id])).toBe(2);
  });

  it("a row the database refuses fails alone; its neighbours commit, and it leaves neither row nor job", async () => {
    const t = await stack.tenant();
    const n = await connectTestNumber(stack, t.workspaceId);
    const good = Array.from({ length: 5 }, () => row(t.workspaceId, n.id));
    // A sender number that does not exist: the foreign key refuses the row.
    const bad = row(t.workspaceId, uuidv7());
    const settled = await Promise.allSettled([...good, bad].map((r) => stack.services.messageWriter.add(r)));
    expect(settled.map((s) => s.status)).toEqual(["fulfilled", "fulfilled", "fulfilled", "fulfilled", "fulfilled", "rejected"]);
    expect(await count("messages", good.map((r) => r.id))).toBe(5);
    expect(await count("sandesh_queue.job", good.map((r) => r.id))).toBe(5);
    expect(await count("messages", [bad.id])).toBe(0);
    expect(await count("sandesh_queue.job", [bad.id])).toBe(0);
  });
});

describe("what the application role may do in the queue's schema", () => {
  it("insert into the send queue's job table and read queue settings, nothing else", async () => {
    const [{ t }] = (await stack.owner`select table_name as t from sandesh_queue.queue where name = 'send'`) as unknown as [{ t: string }];
    const can = async (table: string, priv: string) =>
      (await stack.owner`select has_table_privilege('sandesh_app', ${`sandesh_queue.${table}`}, ${priv}) as ok`)[0]!.ok as boolean;
    expect(await can(t, "INSERT")).toBe(true);
    expect(await can("queue", "SELECT")).toBe(true);
    // pg-boss's migration runner executes SQL stored in `bam` as the owner: never writable by the app.
    const tables = await stack.owner<{ name: string }[]>`select tablename as name from pg_tables where schemaname = 'sandesh_queue'`;
    for (const { name } of tables) {
      for (const priv of ["UPDATE", "DELETE", "TRUNCATE"]) expect(await can(name, priv), `${priv} on ${name}`).toBe(false);
      if (name !== t) expect(await can(name, "INSERT"), `INSERT on ${name}`).toBe(false);
    }
    expect(tables.map((x) => x.name)).toContain("bam");
  });
});

describe("a batch whose commit landed but whose answer was lost", () => {
  it.each([
    ["without an idempotency key", null],
    ["with an idempotency key", "resent-1"],
  ])("%s: writing the same rows again succeeds with one row and one job", async (_name, key) => {
    const t = await stack.tenant();
    const n = await connectTestNumber(stack, t.workspaceId);
    const r = row(t.workspaceId, n.id, { idempotencyKey: key });
    await stack.services.messageWriter.add(r);
    // The caller never heard of the first commit and writes the very same row again.
    await stack.services.messageWriter.add(r);
    expect(r.existing).toBeUndefined();
    expect(r.queued).toBe(true);
    expect(await count("messages", [r.id])).toBe(1);
    expect(await count("sandesh_queue.job", [r.id])).toBe(1);
  });
});
