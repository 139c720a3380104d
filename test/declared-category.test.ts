import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectTestNumber, setLimits } from "./support/senders.js";
import { createTestStack, type TestStack } from "./support/stack.js";

// Until a template catalogue decides a template's category, the opt-out check rests on
// the category the client declares. Every declared category is kept with its message,
// and a non-marketing one sent to a contact who opted out is audited with it.

let stack: TestStack;
beforeAll(async () => {
  stack = await createTestStack({}, { localQueue: true });
});
afterAll(() => stack.close());

const OPTED_OUT = "919844400001";
const SUBSCRIBED = "919844400002";

async function sender() {
  const t = await stack.tenant();
  await setLimits(stack, t.workspaceId, { apiKey: { limit: 1000, periodMs: 1000 }, ip: { limit: 1000, periodMs: 1000 }, workspace: { limit: 1000, periodMs: 1000 } });
  await connectTestNumber(stack, t.workspaceId);
  await stack.owner`insert into contacts (workspace_id, wa_id, opted_out_at) values (${t.workspaceId}, ${OPTED_OUT}, now()), (${t.workspaceId}, ${SUBSCRIBED}, null)`;
  const send = (to: string, category?: string, key?: string) =>
    stack.request("/v1/messages", {
      method: "POST",
      body: JSON.stringify({ to, type: "template", template: { name: "weekly_offer", language: { code: "en_US" }, ...(category ? { category } : {}) } }),
      headers: { authorization: `Bearer ${t.key}`, "content-type": "application/json", ...(key ? { "idempotency-key": key } : {}) },
    });
  const audits = () => stack.owner`select actor_type, actor_id, action, object_type, object_id, ip, details from audit_log where workspace_id = ${t.workspaceId} and action like 'message.%'`;
  return { ...t, send, audits };
}

const categoryOf = async (id: string) => (await stack.owner`select declared_category from messages where id = ${id}`)[0]!.declared_category;

describe("the declared template category", () => {
  it("is recorded with every message, as declared (none when none was given)", async () => {
    const s = await sender();
    for (const category of ["UTILITY", "AUTHENTICATION", "MARKETING"]) {
      const res = await s.send(SUBSCRIBED, category);
      expect(res.status).toBe(202);
      expect(await categoryOf((await res.json()).id)).toBe(category);
    }
    const none = await s.send(SUBSCRIBED);
    expect(await categoryOf((await none.json()).id)).toBeNull();
    expect(await s.audits()).toHaveLength(0);
  });

  it("a UTILITY template to a contact who opted out goes out on the client's word, and is audited with the message, naming the key", async () => {
    const s = await sender();
    const res = await s.send(OPTED_OUT, "UTILITY");
    expect(res.status).toBe(202);
    const { id } = await res.json();
    expect(await categoryOf(id)).toBe("UTILITY");
    expect(await s.audits()).toEqual([
      { actor_type: "api_key", actor_id: s.keyId, action: "message.category_declared_to_opted_out", object_type: "message", object_id: id, ip: "203.0.113.7", details: { declared_category: "UTILITY" } },
    ]);
  });

  it("a replay of that send is not audited twice", async () => {
    const s = await sender();
    const first = await s.send(OPTED_OUT, "AUTHENTICATION", "auth-1");
    const again = await s.send(OPTED_OUT, "AUTHENTICATION", "auth-1");
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect((await again.json()).id).toBe((await first.json()).id);
    expect(await s.audits()).toHaveLength(1);
  });

  it("a marketing template (declared or not) to a contact who opted out is refused: no message, no audit", async () => {
    const s = await sender();
    for (const category of ["MARKETING", undefined]) {
      const res = await s.send(OPTED_OUT, category);
      expect(res.status).toBe(422);
      expect((await res.json()).error.code).toBe("contact_opted_out");
    }
    expect((await stack.owner`select count(*)::int as n from messages where workspace_id = ${s.workspaceId}`)[0]!.n).toBe(0);
    expect(await s.audits()).toHaveLength(0);
  });
});
