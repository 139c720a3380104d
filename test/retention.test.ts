import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { purgeExpiredContent } from "../lib/retention/purge.js";
import { createTestStack, type TestStack } from "./support/stack.js";
import { connectTestNumber } from "./support/senders.js";

// Retention: message content older than the workspace keeps is purged by the sweep; the
// rows, their statuses and so every count stay.
let stack: TestStack;
beforeAll(async () => {
  stack = await createTestStack();
});
afterAll(() => stack.close());

describe("retention", () => {
  it("PUT /v1/workspace/retention; the sweep purges old content in batches, keeps statuses and unsent messages, and is idempotent", async () => {
    const t = await stack.tenant();
    const n = await connectTestNumber(stack, t.workspaceId);
    const call = async (method: string, body?: unknown) => {
      const res = await stack.request("/v1/workspace/retention", { method, headers: { authorization: `Bearer ${t.key}`, "content-type": "application/json" }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
      return { status: res.status, json: await res.json() };
    };
    expect(await call("GET")).toEqual({ status: 200, json: { message_retention_days: null } });
    expect((await call("PUT", { message_retention_days: 0 })).status).toBe(422);
    expect((await call("PUT", { message_retention_days: 1.5 })).status).toBe(422);

    const day = 86_400_000;
    const seed = async (ageDays: number, status: string) => {
      const id = crypto.randomUUID();
      const body = `content ${crypto.randomUUID()}`;
      await stack.owner`insert into messages (id, workspace_id, whatsapp_number_id, direction, recipient, type, payload, status, created_at)
        values (${id}, ${t.workspaceId}, ${n.id}, 'outbound', '919800000001', 'template',
                ${stack.owner.json({ type: "template", template: { name: "t", components: [{ type: "body", parameters: [{ type: "text", text: body }] }] } })},
                ${status}, ${new Date(Date.now() - ageDays * day)})`;
      return { id, body };
    };
    const old = await Promise.all(Array.from({ length: 7 }, (_, i) => seed(40 + i, i % 2 ? "read" : "delivered")));
    const fresh = await seed(5, "delivered");
    const unsent = await seed(45, "queued");

    // Nothing is purged while the workspace keeps content.
    expect(await purgeExpiredContent(stack.services)).toBe(0);
    expect(await call("PUT", { message_retention_days: 30 })).toEqual({ status: 200, json: { message_retention_days: 30 } });

    expect(await purgeExpiredContent(stack.services, 3)).toBe(7); // three batches of at most 3
    expect(await purgeExpiredContent(stack.services, 3)).toBe(0); // idempotent
    const rows = await stack.owner<{ id: string; status: string; payload: unknown; content_removed_at: Date | null }[]>`
      select id, status, payload, content_removed_at from messages where workspace_id = ${t.workspaceId}`;
    const byId = new Map(rows.map((r) => [r.id, r]));
    expect(rows).toHaveLength(9);
    for (const [i, m] of old.entries()) {
      const r = byId.get(m.id)!;
      expect(r.payload).toEqual({ type: "template", removed: true });
      expect(r.status).toBe(i % 2 ? "read" : "delivered");
      expect(r.content_removed_at).not.toBeNull();
    }
    expect(JSON.stringify(byId.get(fresh.id)!.payload)).toContain(fresh.body);
    expect(JSON.stringify(byId.get(unsent.id)!.payload)).toContain(unsent.body);
    const audit = await stack.owner`select details from audit_log where workspace_id = ${t.workspaceId} and action = 'workspace.retention_set'`;
    expect(audit).toEqual([{ details: { before: null, after: 30 } }]);
  });
});
