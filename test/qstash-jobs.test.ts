import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signDelivery } from "../dev/qstash/signing.js";
import { createTestStack, type TestStack } from "./support/stack.js";
import { connectTestNumber } from "./support/senders.js";

const CURRENT = "sig_currentLocalSigningKey0123456789";
const NEXT = "sig_nextLocalSigningKey01234567890123";
// @upstash/qstash's public development key: what QSTASH_DEV=1 would make the Receiver trust.
const QSTASH_DEV_KEY = "sig_7kYjw48mhY7kAjqNGcy6cr29RJ6r";
const PUBLIC_URL = "https://sandesh.example.com";

let stack: TestStack;
beforeAll(async () => {
  stack = await createTestStack({ PUBLIC_URL, QSTASH_TOKEN: "qstash-token-x", QSTASH_CURRENT_SIGNING_KEY: CURRENT, QSTASH_NEXT_SIGNING_KEY: NEXT });
});
afterAll(() => stack.close());

async function queuedMessage() {
  const t = await stack.tenant();
  const n = await connectTestNumber(stack, t.workspaceId);
  const id = crypto.randomUUID();
  await stack.owner`insert into messages (id, workspace_id, whatsapp_number_id, direction, recipient, type, payload, status)
    values (${id}, ${t.workspaceId}, ${n.id}, 'outbound', '919876543210', 'text', '{}', 'queued')`;
  return { id, body: JSON.stringify({ messageId: id, workspaceId: t.workspaceId }) };
}

const call = (body: string, signature: string | null) =>
  stack.request("/jobs/send", { method: "POST", body, headers: { "content-type": "application/json", ...(signature ? { "upstash-signature": signature } : {}) } });
const statusOf = async (id: string) => (await stack.owner`select status, attempts from messages where id = ${id}`)[0];
const sign = (key: string, body: string, url = `${PUBLIC_URL}/jobs/send`) => signDelivery({ key, url, body: new TextEncoder().encode(body) });

describe("POST /jobs/send: QStash's signature first", () => {
  it.each([
    ["unsigned", () => Promise.resolve(null)],
    ["signed with another key", (b: string) => sign("sig_notOurKeyAtAll0123456789abcd", b)],
    ["signed for another URL", (b: string) => sign(CURRENT, b, "https://elsewhere.example.com/jobs/send")],
    ["signed over another body", (b: string) => sign(CURRENT, b.replace("}", ',"x":1}'))],
    ["signed with @upstash/qstash's public dev key", (b: string) => sign(QSTASH_DEV_KEY, b)],
  ])("%s → 401, and the message is untouched", async (_, signature) => {
    const m = await queuedMessage();
    const res = await call(m.body, await signature(m.body));
    expect(res.status).toBe(401);
    expect(await statusOf(m.id)).toEqual({ status: "queued", attempts: 0 });
  });

  it("QSTASH_DEV in the environment does not switch verification to the dev keys", async () => {
    const m = await queuedMessage();
    process.env.QSTASH_DEV = "1";
    try {
      const res = await call(m.body, await sign(QSTASH_DEV_KEY, m.body));
      expect(res.status).toBe(401);
    } finally {
      delete process.env.QSTASH_DEV;
    }
    expect(await statusOf(m.id)).toEqual({ status: "queued", attempts: 0 });
  });

  it("signed with the current or the next key, the job runs", async () => {
    for (const key of [CURRENT, NEXT]) {
      const m = await queuedMessage();
      const res = await call(m.body, await sign(key, m.body));
      expect(res.status).not.toBe(401);
      expect((await statusOf(m.id))!.attempts).toBe(1);
    }
  });

  it("a signed body that is not a send job is refused as non-retryable (489)", async () => {
    const body = JSON.stringify({ hello: "world" });
    const res = await call(body, await sign(CURRENT, body));
    expect(res.status).toBe(489);
    expect(res.headers.get("upstash-nonretryable-error")).toBe("true");
  });
});
