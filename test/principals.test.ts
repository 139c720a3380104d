import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestStack, TEST_SECRETS, type TestStack } from "./support/stack.js";
import { connectTestNumber, setLimits } from "./support/senders.js";
import { envelope, inboundValue, INBOUND_SAMPLES, sign, statusValue } from "./support/meta-payloads.js";
import { PG, REDIS_URL } from "./support/servers.js";
import { createDatabase } from "../db/client.js";
import { verifyChain } from "../lib/audit/verify.js";
import { wamidMask } from "../lib/permissions/phones.js";
import { newWamid } from "../dev/meta-sandbox/index.js";

// Data principals: a contact's data as JSON, and erase, proven against a pg_dump of the
// suite's own database (nothing of the number or what was said may remain but the hash).
const run = promisify(execFile);
let stack: TestStack;
beforeAll(async () => {
  stack = await createTestStack({}, { localQueue: true });
});
afterAll(() => stack.close());

const deliver = (payload: unknown) => {
  const body = JSON.stringify(payload);
  return stack.request("/webhooks/meta", { method: "POST", body, headers: { "content-type": "application/json", "x-hub-signature-256": sign(TEST_SECRETS.META_APP_SECRET, body) } });
};
const dump = async () => (await run("pg_dump", ["--data-only", "-h", PG.host, "-p", String(PG.port), "-U", PG.user, stack.database], { maxBuffer: 256 << 20 })).stdout;

/** Every key under the suite's Redis prefix with everything it holds, as one text. */
async function redisDump(): Promise<string> {
  const r = new Redis(REDIS_URL, { lazyConnect: true });
  await r.connect();
  try {
    const out: string[] = [];
    let cursor = "0";
    do {
      const [next, keys] = await r.scan(cursor, "MATCH", `${stack.config.redis.prefix}*`, "COUNT", "1000");
      cursor = next;
      for (const key of keys) {
        const type = await r.type(key);
        const value =
          type === "string" ? await r.get(key)
          : type === "hash" ? JSON.stringify(await r.hgetall(key))
          : type === "zset" ? JSON.stringify(await r.zrange(key, "0", "-1", "WITHSCORES"))
          : type === "set" ? JSON.stringify(await r.smembers(key))
          : type === "list" ? JSON.stringify(await r.lrange(key, 0, -1))
          : `<${type}>`;
        out.push(`${key} ${type} ${value}`);
      }
    } while (cursor !== "0");
    return out.join("\n");
  } finally {
    r.disconnect();
  }
}

async function seeded() {
  const t = await stack.tenant();
  await setLimits(stack, t.workspaceId, { apiKey: { limit: 1000, periodMs: 1000 }, ip: { limit: 1000, periodMs: 1000 }, workspace: { limit: 1000, periodMs: 1000 } });
  const n = await connectTestNumber(stack, t.workspaceId);
  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await stack.request(path, { method, headers: { authorization: `Bearer ${t.key}`, "content-type": "application/json", ...headers }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    return { status: res.status, json: await res.json() };
  };
  expect((await call("POST", "/v1/webhook-endpoints", { url: "https://hooks.example.com/principals" })).status).toBe(201);
  const number = `9198${String(Math.floor(Math.random() * 1e8)).padStart(8, "0")}`;
  const body = `Secret words ${crypto.randomUUID()}`;
  const name = `Asha ${crypto.randomUUID()}`;
  const profile = `Asha WA ${crypto.randomUUID()}`;
  const created = await call("POST", "/v1/contacts", { wa_id: `+${number}`, name, attributes: { city: "Pune" }, tags: ["vip"], marketing_opt_in: { source: "web_form" } });
  expect(created.status).toBe(201);
  const ts = Math.floor(Date.now() / 1000) - 60;
  // Wamids in Meta's shape: base64 of a record that holds the number.
  const wamids = [newWamid(number), newWamid(number), newWamid(number)];
  const text = { ...INBOUND_SAMPLES.text!(number, wamids[0]!, ts), text: { body } };
  const image = INBOUND_SAMPLES.image!(number, wamids[1]!, ts + 1);
  for (const m of [text, image]) expect((await deliver(envelope(n.phone_number_id, inboundValue(m, profile)))).status).toBe(200);
  // An outbound message with its status events, as the send job and Meta leave them.
  const outId = crypto.randomUUID();
  const wamid = wamids[2]!;
  await stack.owner`insert into messages (id, workspace_id, whatsapp_number_id, contact_id, direction, recipient, type, payload, status, wamid)
    values (${outId}, ${t.workspaceId}, ${n.id}, ${created.json.id}, 'outbound', ${number}, 'text', ${stack.owner.json({ to: number, type: "text", text: { body: `Reply ${body}` } })}, 'sent', ${wamid})`;
  expect((await deliver(envelope(n.phone_number_id, statusValue(wamid, "delivered", ts + 5, number)))).status).toBe(200);
  // Sends through the API with Idempotency-Keys: a template (it counts toward the sender's
  // tier, so the number joins the gate's unique-recipient set) and a reply quoting the body.
  const tpl = { to: `+${number}`, type: "template", template: { name: "order_update", language: { code: "en_US" } } };
  expect((await call("POST", "/v1/messages", tpl, { "idempotency-key": `erase-tpl-${crypto.randomUUID()}` })).status).toBe(202);
  const reply = { to: number, type: "text", text: { body: `Echo ${body}` } };
  expect((await call("POST", "/v1/messages", reply, { "idempotency-key": `erase-txt-${crypto.randomUUID()}` })).status).toBe(202);
  return { ...t, n, call, number, body, name, profile, id: created.json.id as string, outId, wamids };
}

describe("a contact's data and its erasure", () => {
  it("GET /v1/contacts/{id}/data holds the profile, consent, messages with content, events and media", async () => {
    const t = await seeded();
    const got = await t.call("GET", `/v1/contacts/${t.id}/data`);
    expect(got.status).toBe(200);
    expect(got.json.contact).toMatchObject({ id: t.id, wa_id: t.number, name: t.name, profile_name: t.profile, attributes: { city: "Pune" }, tags: ["vip"] });
    expect(got.json.consent_history.map((e: { kind: string }) => e.kind)).toEqual(["opt_in"]);
    expect(got.json.messages).toHaveLength(5);
    expect(JSON.stringify(got.json.messages)).toContain(t.body);
    const out = got.json.messages.find((m: { id: string }) => m.id === t.outId);
    expect(out.events.map((e: { status: string }) => e.status)).toContain("delivered");
    expect(got.json.media.map((m: { media_id: string }) => m.media_id)).toEqual(["1003383421387256"]);
    expect((await t.call("GET", `/v1/contacts/${crypto.randomUUID()}/data`)).status).toBe(404);
  });

  it("erase leaves neither the number nor a body anywhere in a pg_dump or in Redis but the keyed hash; idempotent; a later STOP still matches", async () => {
    const t = await seeded();
    const before = await dump();
    expect(before).toContain(t.number);
    expect(before).toContain(t.body);
    const b64 = Buffer.from(t.number).toString("base64");
    expect(before).toContain(b64);
    for (const w of t.wamids) expect(before).toContain(w);
    expect(before).toContain(`meta:${t.wamids[2]}:delivered`);
    // Redis holds the number (the sender's unique recipients) and the sends' idempotency records.
    const redisBefore = await redisDump();
    expect(redisBefore).toContain(t.number);
    expect(redisBefore).toContain(`{w:${t.workspaceId}}:idem:`);

    const first = await t.call("POST", `/v1/contacts/${t.id}/erase`);
    expect(first.status).toBe(200);
    const again = await t.call("POST", `/v1/contacts/${t.id}/erase`);
    expect(again).toEqual(first);

    const after = await dump();
    expect(after).not.toContain(t.number);
    expect(after).not.toContain(t.body);
    expect(after).not.toContain(t.name);
    expect(after).not.toContain(t.profile);
    // A wamid encodes the number: none remains, nor the number's base64 form; each is its digest, the status event's key too.
    expect(after).not.toContain(b64);
    const mask = wamidMask(stack.services.vault, t.workspaceId);
    for (const w of t.wamids) {
      expect(after).not.toContain(w);
      expect(after).toContain(mask(w));
    }
    expect(after).toContain(`meta:${mask(t.wamids[2]!)}:delivered`);
    const hash = await stack.services.vault.keyedHash(t.number);
    expect(after).toContain(hash);
    // Redis, scanned key by key under the suite's prefix: neither the number nor a body, in
    // a name or a value; the tier still counts the recipient, under the hash; no idempotency record of its sends.
    const redisAfter = await redisDump();
    expect(redisAfter).not.toContain(t.number);
    expect(redisAfter).not.toContain(t.body);
    expect(redisAfter).not.toContain(t.name);
    expect(redisAfter).not.toContain(`{w:${t.workspaceId}}:idem:`);
    expect(redisAfter).toMatch(new RegExp(`:q:u:${t.n.id} zset \\["${hash}",`));

    // Counts and statuses stay; consent evidence stays, under the hash; the erase is audited.
    const rows = await stack.owner<{ status: string; recipient: string }[]>`select status, recipient from messages where workspace_id = ${t.workspaceId} order by created_at`;
    expect(rows).toHaveLength(5);
    expect(rows.every((r) => r.recipient === hash)).toBe(true);
    const consent = await stack.owner`select wa_id, consent from contact_consent_events where workspace_id = ${t.workspaceId}`;
    expect(consent).toEqual([{ wa_id: hash, consent: "opt_in" }]);
    const audit = await stack.owner`select action from audit_log where workspace_id = ${t.workspaceId} and object_id = ${t.id} and action = 'contact.erased'`;
    expect(audit).toHaveLength(1);
    // The audit chain accepts the erasure (the contact.created row's wa_id became the hash), and counts it.
    const ownerDb = createDatabase(stack.config.migrationDatabaseUrl, { max: 1 });
    try {
      expect(await verifyChain(ownerDb.db, t.workspaceId)).toMatchObject({ ok: true, erased_rows: 1 });
    } finally {
      await ownerDb.close();
    }
    const data = await t.call("GET", `/v1/contacts/${t.id}/data`);
    expect(data.json.contact).toMatchObject({ wa_id: null, name: null, attributes: {}, tags: [] });

    // The same number writes STOP: the opt-out is the erased contact's, and no new contact appears.
    const stop = { ...INBOUND_SAMPLES.text!(t.number, `wamid.stop${crypto.randomUUID()}`, Math.floor(Date.now() / 1000)), text: { body: "STOP" } };
    expect((await deliver(envelope(t.n.phone_number_id, inboundValue(stop, t.profile)))).status).toBe(200);
    const contacts = await stack.owner<{ id: string; opted_out_at: Date | null }[]>`select id, opted_out_at from contacts where workspace_id = ${t.workspaceId}`;
    expect(contacts.map((c) => c.id)).toEqual([t.id]);
    expect(contacts[0]!.opted_out_at).not.toBeNull();
    // (Meta's timestamps are whole seconds: the STOP may read as earlier than the opt-in made this second.)
    const history = await stack.owner`select consent, wa_id from contact_consent_events where contact_id = ${t.id} order by consent`;
    expect(history).toEqual([{ consent: "opt_in", wa_id: hash }, { consent: "opt_out", wa_id: hash }]);
  });

  it("erase leaves no wamid in consent evidence: a keyword opt-out keeps its message's wamid as the keyed digest", async () => {
    const t = await seeded();
    const wamid = newWamid(t.number);
    const stop = { ...INBOUND_SAMPLES.text!(t.number, wamid, Math.floor(Date.now() / 1000)), text: { body: "STOP" } };
    expect((await deliver(envelope(t.n.phone_number_id, inboundValue(stop, t.profile)))).status).toBe(200);
    const evidence = async () => (await stack.owner<{ details: { wamid?: string } }[]>`select details from contact_consent_events where contact_id = ${t.id} and consent = 'opt_out'`).map((r) => r.details.wamid);
    expect(await evidence()).toEqual([wamid]);
    expect((await t.call("POST", `/v1/contacts/${t.id}/erase`)).status).toBe(200);
    const digest = wamidMask(stack.services.vault, t.workspaceId)(wamid);
    expect(await evidence()).toEqual([digest]);
    const after = await dump();
    expect(after).not.toContain(wamid);
    expect(after).not.toContain(Buffer.from(t.number).toString("base64"));
  });
});
