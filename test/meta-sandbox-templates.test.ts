import { describe, expect, it } from "vitest";
import { PNID, TOKEN, USER, receiver, sandbox, send, template, validSignature, type Json } from "./support/meta-sandbox-kit.js";

const WABA = "102290129340398";
const graph = async (url: string, init: RequestInit = {}, token: string | null = TOKEN) => {
  const res = await fetch(url, { ...init, headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) } });
  return { status: res.status, json: (await res.json()) as Json };
};
const BODY_2 = [{ type: "BODY", text: "Hi {{1}}, order {{2}} is on its way" }];

describe("Meta sandbox: message templates", () => {
  it("lists every template page by page with paging.cursors and a next URL", async () => {
    const meta = await sandbox();
    meta.registerNumber(PNID, TOKEN, { wabaId: WABA });
    for (let i = 0; i < 5; i++) meta.templates.seed(WABA, { name: `t${i}`, category: "UTILITY", components: BODY_2 });
    const first = await graph(`${meta.url}/v21.0/${WABA}/message_templates?fields=name,status,category,language,components&limit=2`);
    expect(first.status).toBe(200);
    expect(first.json.data.map((t: Json) => t.name)).toEqual(["t0", "t1"]);
    expect(first.json.paging.cursors).toEqual({ before: expect.any(String), after: expect.any(String) });
    const names = [...first.json.data.map((t: Json) => t.name)];
    let next = first.json.paging.next as string | undefined;
    while (next) {
      const page = await graph(next);
      names.push(...page.json.data.map((t: Json) => t.name));
      next = page.json.paging.next;
    }
    expect(names).toEqual(["t0", "t1", "t2", "t3", "t4"]);
    expect((await graph(`${meta.url}/v21.0/${WABA}/message_templates`, {}, "EAA-someone-else")).json.error.code).toBe(190);
  });

  it("reviews a submitted template: PENDING, then APPROVED (reject_ → REJECTED, pause_ → APPROVED then PAUSED), each posted as a signed status webhook", async () => {
    const hooks = await receiver();
    const meta = await sandbox({ webhookUrl: hooks.url, templateReviewMs: 5 });
    meta.registerNumber(PNID, TOKEN, { wabaId: WABA });
    const submit = (name: string) => graph(`${meta.url}/v21.0/${WABA}/message_templates`, { method: "POST", body: JSON.stringify({ name, language: "en_US", category: "MARKETING", components: BODY_2 }) });
    const created = await submit("diwali_offer");
    expect(created.json).toEqual({ id: expect.any(String), status: "PENDING", category: "MARKETING" });
    await submit("reject_spam");
    await submit("pause_promo");
    const got = await hooks.waitFor(4);
    expect(got.every((r) => validSignature(r))).toBe(true);
    const events = got.map((r) => [r.json.entry[0].id, r.json.entry[0].changes[0].field, r.json.entry[0].changes[0].value.message_template_name, r.json.entry[0].changes[0].value.event]);
    expect(events).toEqual(
      expect.arrayContaining([
        [WABA, "message_template_status_update", "diwali_offer", "APPROVED"],
        [WABA, "message_template_status_update", "reject_spam", "REJECTED"],
        [WABA, "message_template_status_update", "pause_promo", "APPROVED"],
        [WABA, "message_template_status_update", "pause_promo", "PAUSED"],
      ]),
    );
    expect((await submit("diwali_offer")).json.error.code).toBe(100); // same name and language again
    const del = await graph(`${meta.url}/v21.0/${WABA}/message_templates?name=reject_spam`, { method: "DELETE" });
    expect(del.json).toEqual({ success: true });
    expect(meta.templates.all(WABA).map((t) => t.name)).toEqual(["diwali_offer", "pause_promo"]);
  });

  it("refuses sends of unknown (132001), unapproved (132001), paused (132015) and mis-parameterised (132000) templates, with Meta's envelope", async () => {
    const meta = await sandbox();
    meta.registerNumber(PNID, TOKEN, { wabaId: WABA });
    meta.templates.seed(WABA, { name: "order_update", components: [{ type: "BODY", text: "Order {{1}}" }] });
    meta.templates.seed(WABA, { name: "paused_one", status: "PAUSED" });
    meta.templates.seed(WABA, { name: "pending_one", status: "PENDING" });
    const codes = [];
    for (const name of ["order_update", "nope", "pending_one", "paused_one"]) codes.push((await send(meta, template(USER, name))).json.error?.code ?? "ok");
    expect(codes).toEqual(["ok", 132001, 132001, 132015]);
    const twoParams = template(USER);
    twoParams.template.components[0]!.parameters.push({ type: "text", text: "extra" });
    const r = await send(meta, twoParams);
    expect(r.status).toBe(400);
    expect(r.json.error).toMatchObject({ code: 132000, type: "OAuthException", error_data: { messaging_product: "whatsapp", details: expect.stringContaining("body") } });
    // Component types in capitals count as the same components.
    const capitals = template(USER);
    capitals.template.components[0]!.type = "BODY";
    expect((await send(meta, capitals)).status).toBe(200);
  });

  it("a WABA with no template at all accepts any template name, as before", async () => {
    const meta = await sandbox();
    expect((await send(meta, template(USER, "anything_goes"))).status).toBe(200);
  });
});
