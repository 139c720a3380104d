import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startMetaSandbox, type MetaSandbox } from "../dev/meta-sandbox/index.js";
import { createTestStack, TEST_SECRETS, type TestStack } from "./support/stack.js";
import { connectTestNumber, setLimits } from "./support/senders.js";
import { serveStack } from "./support/served.js";
import { eventually } from "./support/eventually.js";

let meta: MetaSandbox;
let stack: TestStack;
let served: { url: string; close(): Promise<void> };
beforeAll(async () => {
  meta = await startMetaSandbox({ appSecret: TEST_SECRETS.META_APP_SECRET, statusDelayMs: 5, templateReviewMs: 10 });
  stack = await createTestStack({ META_GRAPH_URL: meta.url }, { localQueue: true });
  served = await serveStack(stack);
  meta.setWebhookUrl(`${served.url}/webhooks/meta`);
});
afterAll(async () => {
  await served?.close();
  await stack?.close();
  await meta?.close();
});

let wabaSeq = 0;
/** A tenant with its own WABA and number, known to the sandbox with the same token. */
async function setup() {
  const t = await stack.tenant();
  await setLimits(stack, t.workspaceId, { apiKey: { limit: 1000, periodMs: 1000 }, ip: { limit: 1000, periodMs: 1000 }, workspace: { limit: 1000, periodMs: 1000 } });
  const wabaId = `77${Date.now() % 1e8}${wabaSeq++}`;
  const token = `EAATemplateToken${wabaId}abcdefghij`;
  const n = await connectTestNumber(stack, t.workspaceId, { wabaId, token });
  meta.registerNumber(n.phone_number_id, token, { wabaId });
  const call = (method: string, path: string, body?: unknown) =>
    stack.request(`/v1${path}`, { method, headers: { authorization: `Bearer ${t.key}`, "content-type": "application/json" }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const send = (name: string, params: string[] = [], extra: Record<string, unknown> = {}, to = "919876500001") =>
    call("POST", "/messages", { to, type: "template", template: { name, language: { code: "en_US" }, components: params.length ? [{ type: "body", parameters: params.map((p) => ({ type: "text", text: p })) }] : [], ...extra } });
  return { ...t, wabaId, number: n, call, send };
}
const BODY = (n: number) => [{ type: "BODY", text: `Hello ${Array.from({ length: n }, (_, i) => `{{${i + 1}}}`).join(" ")}` }];
const attemptsTo = (pnid: string) => meta.attempts.filter((a) => a.phoneNumberId === pnid).length;

describe("POST /v1/templates/sync", () => {
  it("pulls every page of the WABA's templates and stores name, language, category, status, quality and components; a template Meta dropped goes", async () => {
    const t = await setup();
    for (let i = 0; i < 130; i++) meta.templates.seed(t.wabaId, { name: `tpl_${String(i).padStart(3, "0")}`, category: i % 2 ? "MARKETING" : "UTILITY", components: BODY(1), quality_score: { score: "GREEN" } });
    const res = await t.call("POST", "/templates/sync");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ synced: [{ waba_id: t.wabaId, templates: 130 }] });
    const list = await (await t.call("GET", "/templates")).json();
    expect(list.data).toHaveLength(130);
    expect(list.data[1]).toMatchObject({ waba_id: t.wabaId, name: "tpl_001", language: "en_US", category: "MARKETING", status: "APPROVED", quality: "GREEN", components: BODY(1), meta_id: expect.any(String) });
    expect((await (await t.call("GET", "/templates?category=UTILITY")).json()).data).toHaveLength(65);
    meta.templates.all(t.wabaId).splice(0, 100);
    await t.call("POST", "/templates/sync");
    expect((await (await t.call("GET", "/templates")).json()).data).toHaveLength(30);
  });
});

describe("pre-flight against the catalogue", () => {
  it("an unapproved or unknown template is refused with 422 before Meta is called; a wrong parameter count too", async () => {
    const t = await setup();
    meta.templates.seed(t.wabaId, { name: "order_ready", components: BODY(2) });
    meta.templates.seed(t.wabaId, { name: "held_back", status: "PAUSED", components: BODY(0) });
    meta.templates.seed(t.wabaId, { name: "turned_down", status: "REJECTED", components: BODY(0) });
    meta.templates.seed(t.wabaId, { name: "in_review", status: "PENDING", components: BODY(0) });
    await t.call("POST", "/templates/sync");
    const before = attemptsTo(t.number.phone_number_id);
    const codes = [];
    for (const [name, params] of [["held_back", []], ["turned_down", []], ["in_review", []], ["never_made", []], ["order_ready", ["only one"]], ["order_ready", ["a", "b", "c"]]] as const) {
      const res = await t.send(name, [...params]);
      codes.push([res.status, (await res.json()).error.code]);
    }
    expect(codes).toEqual([
      [422, "template_not_approved"],
      [422, "template_not_approved"],
      [422, "template_not_approved"],
      [422, "template_not_approved"],
      [422, "template_parameters_mismatch"],
      [422, "template_parameters_mismatch"],
    ]);
    const mismatch = await (await t.send("order_ready", ["x"])).json();
    expect(mismatch.error.details).toEqual([{ component: "body", expected: 2, given: 1 }]);
    expect(attemptsTo(t.number.phone_number_id)).toBe(before); // nothing reached Meta
    expect((await t.send("order_ready", ["Asha", "42"])).status).toBe(202);
  });

  it("the catalogue's category decides the opt-out rule, whatever template.category says", async () => {
    const t = await setup();
    meta.templates.seed(t.wabaId, { name: "receipt", category: "UTILITY" });
    meta.templates.seed(t.wabaId, { name: "big_sale", category: "MARKETING" });
    await t.call("POST", "/templates/sync");
    const to = "919876500077";
    await t.call("POST", "/contacts", { wa_id: to, marketing_opt_out: true });
    expect((await t.send("receipt", [], { category: "MARKETING" }, to)).status).toBe(202);
    const refused = await t.send("big_sale", [], { category: "UTILITY" }, to);
    expect(refused.status).toBe(422);
    expect((await refused.json()).error.code).toBe("contact_opted_out");
  });

  it("a WABA whose catalogue was never synced keeps today's behaviour", async () => {
    const t = await setup();
    expect((await t.send("whatever_it_is", ["x"])).status).toBe(202);
  });
});

describe("POST /v1/templates and the status webhooks", () => {
  it("submits to Meta (PENDING); Meta's review arrives as a webhook and the catalogue follows: APPROVED, REJECTED with its reason, then a category change", async () => {
    const t = await setup();
    await t.call("POST", "/templates/sync"); // an empty catalogue: from now on it decides
    const res = await t.call("POST", "/templates", { name: "welcome_note", language: "en_US", category: "UTILITY", components: BODY(1) });
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ name: "welcome_note", status: "PENDING", waba_id: t.wabaId, meta_id: expect.any(String) });
    const statusOf = async (name: string) => (await (await t.call("GET", `/templates?name=${name}`)).json()).data[0];
    await eventually(() => statusOf("welcome_note"), (x) => x?.status === "APPROVED");
    expect((await t.send("welcome_note", ["Asha"])).status).toBe(202);

    await t.call("POST", "/templates", { name: "reject_this", language: "en_US", category: "MARKETING", components: BODY(0) });
    expect(await eventually(() => statusOf("reject_this"), (x) => x?.status === "REJECTED")).toMatchObject({ rejected_reason: "INVALID_FORMAT" });

    meta.templates.setCategory(t.wabaId, "welcome_note", "en_US", "MARKETING");
    await eventually(() => statusOf("welcome_note"), (x) => x?.category === "MARKETING");
  });

  it("422 validation_failed for a malformed submission, before Meta", async () => {
    const t = await setup();
    const res = await t.call("POST", "/templates", { name: "Bad Name", language: "english", category: "PROMO", components: [] });
    expect(res.status).toBe(422);
    expect((await res.json()).error.details.map((d: { field: string }) => d.field).sort()).toEqual(["category", "components", "language", "name"]);
  });
});

describe("DELETE /v1/templates/{name}", () => {
  it("deletes at Meta and from the catalogue", async () => {
    const t = await setup();
    meta.templates.seed(t.wabaId, { name: "old_promo" });
    await t.call("POST", "/templates/sync");
    expect((await t.call("DELETE", "/templates/old_promo")).status).toBe(204);
    expect(meta.templates.all(t.wabaId).map((x) => x.name)).not.toContain("old_promo");
    expect((await (await t.call("GET", "/templates")).json()).data).toEqual([]);
  });

  it("a workspace cannot see or act on another's template: its list is empty and DELETE is 404", async () => {
    const a = await setup();
    const b = await setup();
    meta.templates.seed(a.wabaId, { name: "a_only" });
    await a.call("POST", "/templates/sync");
    expect((await (await b.call("GET", "/templates")).json()).data).toEqual([]);
    const res = await b.call("DELETE", "/templates/a_only");
    expect(res.status).toBe(404);
    expect((await res.json()).error.code).toBe("not_found");
    expect((await b.call("DELETE", `/templates/a_only?waba_id=${a.wabaId}`)).status).toBe(404);
    expect(meta.templates.all(a.wabaId).map((x) => x.name)).toEqual(["a_only"]);
  });

  it("every template route needs the API key", async () => {
    for (const [method, path] of [["GET", "/templates"], ["POST", "/templates"], ["POST", "/templates/sync"], ["DELETE", "/templates/x"]] as const) {
      expect((await stack.request(`/v1${path}`, { method })).status, `${method} ${path}`).toBe(401);
    }
  });
});

describe("the Graph client for templates", () => {
  it("follows paging.next only to the configured Graph host; elsewhere it asks its own host for the next cursor", async () => {
    const { createServer } = await import("node:http");
    const seen: { url: string; auth: string | undefined }[] = [];
    const graph = createServer((req, res) => {
      seen.push({ url: req.url ?? "", auth: req.headers.authorization });
      const after = new URL(req.url ?? "/", "http://x").searchParams.get("after");
      const body = after
        ? { data: [{ name: "second", language: "en_US", status: "APPROVED" }], paging: { cursors: { before: "b", after: "c2" } } }
        : { data: [{ name: "first", language: "en_US", status: "APPROVED" }], paging: { cursors: { before: "a", after: "c1" }, next: "http://graph.attacker.example/v21.0/1/message_templates?after=c1" } };
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body));
    });
    await new Promise<void>((r) => graph.listen(0, "127.0.0.1", r));
    try {
      const { listMetaTemplates } = await import("../lib/templates/graph.js");
      const port = (graph.address() as { port: number }).port;
      const got = await listMetaTemplates({ graphUrl: `http://127.0.0.1:${port}`, apiVersion: "v21.0", wabaId: "1" }, "EAATokenForThisTest");
      expect(got.map((t) => t.name)).toEqual(["first", "second"]);
      expect(seen).toHaveLength(2);
      expect(seen[1]!.url).toMatch(/^\/v21\.0\/1\/message_templates\?.*after=c1/);
    } finally {
      await new Promise<void>((r) => graph.close(() => r()));
    }
  });
});
