import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { RECIPES, type MetaSandbox } from "../dev/meta-sandbox/index.js";
import { PNID, TOKEN, USER, sandbox, send, text, template, type Json } from "./support/meta-sandbox-kit.js";

/** The Meta sandbox's send endpoint over real HTTP: answers, tokens, throughput and failure recipes as the Graph API gives them. */
describe("the send endpoint", () => {
  it("accepts a text message with Meta's exact success body, echoing `to` as input and its digits as wa_id", async () => {
    const meta = await sandbox();
    const res = await send(meta, text("+91 98765-43210"));
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ messaging_product: "whatsapp", contacts: [{ input: "+91 98765-43210", wa_id: USER }], messages: [{ id: expect.stringMatching(/^wamid\.[A-Za-z0-9+/]+=*$/) }] });
    expect(meta.sent).toMatchObject([{ id: res.json.messages[0].id, phoneNumberId: PNID, to: "+91 98765-43210", waId: USER, type: "text" }]);
  });

  it("adds message_status accepted to template sends only", async () => {
    const meta = await sandbox();
    const t = await send(meta, template(USER));
    expect(t.json.messages).toEqual([{ id: expect.stringMatching(/^wamid\./), message_status: "accepted" }]);
    const x = await send(meta, text(USER));
    expect(x.json.messages[0]).not.toHaveProperty("message_status");
  });

  it("gives every message its own wamid", async () => {
    const meta = await sandbox();
    const ids = await Promise.all(Array.from({ length: 40 }, () => send(meta, text(USER)).then((r) => r.json.messages[0].id)));
    expect(new Set(ids).size).toBe(40);
  });

  it("accepts every message type the Cloud API sends, replies included", async () => {
    const meta = await sandbox();
    const base = { messaging_product: "whatsapp", recipient_type: "individual", to: USER };
    const bodies: Json[] = [
      { ...base, text: { body: "type defaults to text" } },
      text(USER, "reply", { context: { message_id: "wamid.HBgLOTE5ODc2NTQzMjEwFQIAEhggQTFCMkMzRDRFNUY2AA==" } }),
      template(USER, "welcome"),
      { ...base, type: "image", image: { id: "1234567890" } },
      { ...base, type: "image", image: { link: "https://example.com/a.jpg", caption: "look" } },
      { ...base, type: "document", document: { link: "https://example.com/a.pdf", filename: "a.pdf", caption: "invoice" } },
      { ...base, type: "audio", audio: { id: "987" } },
      { ...base, type: "video", video: { link: "https://example.com/a.mp4" } },
      { ...base, type: "sticker", sticker: { id: "555" } },
      { ...base, type: "interactive", interactive: { type: "button", body: { text: "Pick" }, action: { buttons: [{ type: "reply", reply: { id: "a", title: "A" } }, { type: "reply", reply: { id: "b", title: "B" } }] } } },
      { ...base, type: "interactive", interactive: { type: "list", body: { text: "Menu" }, action: { button: "Open", sections: [{ title: "S", rows: [{ id: "r1", title: "Row" }] }] } } },
      { ...base, type: "interactive", interactive: { type: "cta_url", body: { text: "Visit" }, action: { name: "cta_url", parameters: { display_text: "Go", url: "https://example.com" } } } },
      { ...base, type: "location", location: { latitude: 19.07, longitude: 72.87, name: "Here" } },
      { ...base, type: "contacts", contacts: [{ name: { formatted_name: "Asha Rao" }, phones: [{ phone: "+919876543210" }] }] },
      { ...base, type: "reaction", reaction: { message_id: "wamid.abc", emoji: "\u{1F44D}" } },
      { ...base, type: "reaction", reaction: { message_id: "wamid.abc", emoji: "" } },
    ];
    for (const body of bodies) {
      const res = await send(meta, body);
      expect({ body, status: res.status, error: res.json.error }).toEqual({ body, status: 200, error: undefined });
    }
  });

  it.each([
    ["no messaging_product", { to: USER, type: "text", text: { body: "x" } }, "(#100) The parameter messaging_product is required."],
    ["another product", { messaging_product: "sms", to: USER, text: { body: "x" } }, "(#100) Invalid parameter"],
    ["no to", { messaging_product: "whatsapp", text: { body: "x" } }, "(#100) The parameter to is required."],
    ["letters in to", text("call-me-maybe"), "(#100) Invalid parameter"],
    ["too few digits", text("12345"), "(#100) Invalid parameter"],
    ["an unknown type", { messaging_product: "whatsapp", to: USER, type: "fax", fax: {} }, "(#100) Invalid parameter"],
    ["a type without its object", { messaging_product: "whatsapp", to: USER, type: "image" }, "(#100) The parameter image is required."],
    ["text without a body", { messaging_product: "whatsapp", to: USER, type: "text", text: {} }, "(#100) The parameter text['body'] is required."],
    ["a body over 4096", text(USER, "x".repeat(4097)), "(#100) Invalid parameter"],
    ["media with id and link", { messaging_product: "whatsapp", to: USER, type: "image", image: { id: "1", link: "https://e.com/a.jpg" } }, "(#100) Invalid parameter"],
    ["a caption on audio", { messaging_product: "whatsapp", to: USER, type: "audio", audio: { id: "1", caption: "no" } }, "(#100) Invalid parameter"],
    ["a template without language", { messaging_product: "whatsapp", to: USER, type: "template", template: { name: "t" } }, "(#100) The parameter template['language'] is required."],
    ["four reply buttons", { messaging_product: "whatsapp", to: USER, type: "interactive", interactive: { type: "button", body: { text: "x" }, action: { buttons: [1, 2, 3, 4].map((i) => ({ type: "reply", reply: { id: `${i}`, title: `${i}` } })) } } }, "(#100) Invalid parameter"],
    ["an empty contacts array", { messaging_product: "whatsapp", to: USER, type: "contacts", contacts: [] }, "(#100) Invalid parameter"],
    ["a reaction without message_id", { messaging_product: "whatsapp", to: USER, type: "reaction", reaction: { emoji: "x" } }, "(#100) The parameter reaction['message_id'] is required."],
    ["a context without message_id", text(USER, "x", { context: {} }), "(#100) Invalid parameter"],
    ["a body that is not JSON", "{not json", "(#100) Invalid parameter"],
  ])("rejects %s with 400 and code 100 in Meta's envelope", async (_name, body, message) => {
    const meta = await sandbox();
    const res = await send(meta, body);
    expect(res.status).toBe(400);
    expect(res.json).toEqual({ error: { message, type: "OAuthException", code: 100, ...(message === "(#100) Invalid parameter" ? { error_data: { messaging_product: "whatsapp", details: expect.any(String) } } : {}), fbtrace_id: expect.any(String) } });
    expect(res.headers.get("x-fb-trace-id")).toBe(res.json.error.fbtrace_id);
    expect(meta.sent).toEqual([]);
  });

  it("accepts any vN.N version and answers other paths like Graph (code 2500)", async () => {
    const meta = await sandbox();
    expect((await send(meta, text(USER), { version: "v23.0" })).status).toBe(200);
    const bad = await send(meta, text(USER), { version: "v21" });
    expect(bad.status).toBe(400);
    expect(bad.json.error).toMatchObject({ code: 2500, type: "OAuthException" });
  });

  it("lists accepted messages at GET /_sandbox/messages", async () => {
    const meta = await sandbox();
    const a = await send(meta, text(USER, "one"));
    await send(meta, text("15550000026"));
    const res = await fetch(`${meta.url}/_sandbox/messages`);
    expect(((await res.json()) as Json).data).toMatchObject([{ id: a.json.messages[0].id, body: { text: { body: "one" } } }]);
  });
});

describe("tokens", () => {
  it("a registered number accepts only its own token; another gets 401 with code 190", async () => {
    const meta = await sandbox();
    meta.registerNumber(PNID, "right-token");
    const wrong = await send(meta, text(USER), { token: "wrong-token" });
    expect(wrong.status).toBe(401);
    expect(wrong.json.error).toMatchObject({ code: 190, type: "OAuthException", message: expect.stringMatching(/access token/i) });
    expect(wrong.headers.get("www-authenticate")).toMatch(/^OAuth "Facebook Platform" "invalid_token"/);
    expect((await send(meta, text(USER), { token: "right-token" })).status).toBe(200);
  });

  it("trusts the first token an unregistered number is used with, and refuses any other afterwards", async () => {
    const meta = await sandbox();
    expect((await send(meta, text(USER), { pnid: "111", token: "first" })).status).toBe(200);
    expect((await send(meta, text(USER), { pnid: "111", token: "first" })).status).toBe(200);
    const other = await send(meta, text(USER), { pnid: "111", token: "second" });
    expect([other.status, other.json.error.code]).toEqual([401, 190]);
    expect((await send(meta, text(USER), { pnid: "222", token: "second" })).status).toBe(200);
  });

  it("refuses a send without a token (401, code 104) before looking at the body", async () => {
    const meta = await sandbox();
    const res = await send(meta, "{not json", { token: null });
    expect([res.status, res.json.error.code]).toEqual([401, 104]);
  });

  it("registers numbers over HTTP at POST /_sandbox/numbers", async () => {
    const meta = await sandbox();
    const res = await fetch(`${meta.url}/_sandbox/numbers`, { method: "POST", body: JSON.stringify({ phone_number_id: "333", token: "t3", throughput_mps: 5 }) });
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ phone_number_id: "333", throughput_mps: 5 });
    expect((await send(meta, text(USER), { pnid: "333", token: "t2" })).status).toBe(401);
    const tooFast = await fetch(`${meta.url}/_sandbox/numbers`, { method: "POST", body: JSON.stringify({ phone_number_id: "334", token: "t", throughput_mps: 1001 }) });
    expect(tooFast.status).toBe(400);
  });
});

describe("throughput", () => {
  const burst = (meta: MetaSandbox, n: number, pnid = PNID) => Promise.all(Array.from({ length: n }, (_, i) => send(meta, text(`1555${String(i).padStart(3, "0")}7777`), { pnid })));

  it("a number at 10 messages/s accepts exactly 10 of 30 parallel sends; the other 20 get 130429", async () => {
    const meta = await sandbox();
    meta.registerNumber(PNID, TOKEN, { throughputMps: 10 });
    const results = await burst(meta, 30);
    expect(results.filter((r) => r.status === 200)).toHaveLength(10);
    const refused = results.filter((r) => r.status !== 200);
    expect(refused).toHaveLength(20);
    for (const r of refused) expect([r.status, r.json.error.code, r.json.error.message]).toEqual([400, 130429, "(#130429) Rate limit hit"]);
    expect(meta.sent).toHaveLength(10);
  });

  it("defaults to 80 messages/s per number, each number with its own budget", async () => {
    const meta = await sandbox();
    const [a, b] = await Promise.all([burst(meta, 100, "444"), burst(meta, 5, "555")]);
    expect(a.filter((r) => r.status === 200)).toHaveLength(80);
    expect(b.filter((r) => r.status === 200)).toHaveLength(5);
  });

  it("answers 130429 with HTTP 429 when asked to", async () => {
    const meta = await sandbox({ throttleHttpStatus: 429 });
    meta.registerNumber(PNID, TOKEN, { throughputMps: 1 });
    const [x, y] = await burst(meta, 2);
    expect([x!.status, y!.status].sort()).toEqual([200, 429]);
  });

  it("refuses a throughput above Meta's 1000 messages/s", async () => {
    const meta = await sandbox();
    expect(() => meta.registerNumber(PNID, TOKEN, { throughputMps: 1001 })).toThrow(RangeError);
  });
});

describe("failure recipes", () => {
  it.each([
    ["0100", 400, 100, "(#100) Invalid parameter"],
    ["0190", 401, 190, expect.stringMatching(/^Error validating access token/)],
    ["0010", 403, 10, "(#10) Application does not have permission for this action"],
    ["0021", 400, 131021, "(#131021) Recipient cannot be sender."],
    ["0026", 400, 131026, "(#131026) Message undeliverable"],
    ["0030", 400, 131030, "(#131030) Recipient phone number not in allowed list"],
    ["0047", 400, 131047, "(#131047) Re-engagement message"],
    ["0051", 400, 131051, "(#131051) Unsupported message type"],
    ["0368", 403, 368, "(#368) Temporarily blocked for policies violations"],
    ["2001", 404, 132001, "(#132001) Template name does not exist in the translation"],
    ["2015", 400, 132015, "(#132015) Template is Paused"],
    ["0599", 500, 131000, "(#131000) Something went wrong"],
  ])("…%s answers HTTP %i with code %i, every time", async (suffix, status, code, message) => {
    const meta = await sandbox();
    for (let i = 0; i < 2; i++) {
      const res = await send(meta, text(`1555000${suffix}`));
      expect([res.status, res.json.error?.code, res.json.error?.message]).toEqual([status, code, message]);
      expect(res.json.error.fbtrace_id).toEqual(expect.any(String));
    }
    expect(meta.sent).toEqual([]);
  });

  it("…0190 carries Graph's token error: subcode 463, no error_data", async () => {
    const meta = await sandbox();
    const res = await send(meta, text("15550000190"));
    expect(res.json.error).toEqual({ message: expect.any(String), type: "OAuthException", code: 190, error_subcode: 463, fbtrace_id: expect.any(String) });
  });

  it.each([
    ["0429", 400, 130429],
    ["0056", 400, 131056],
    ["0500", 500, 131000],
    ["0503", 503, 133004],
  ])("…%s fails once with HTTP %i and code %i, then succeeds; per business number", async (suffix, status, code) => {
    const meta = await sandbox();
    const to = `1555000${suffix}`;
    const first = await send(meta, text(to));
    expect([first.status, first.json.error?.code, first.json.error?.error_data?.details]).toEqual([status, code, expect.any(String)]);
    expect((await send(meta, text(to))).status).toBe(200);
    expect((await send(meta, text(to))).status).toBe(200);
    const otherNumber = await send(meta, text(to), { pnid: "777" });
    expect(otherNumber.status).toBe(status);
    expect(meta.sent.map((m) => m.waId)).toEqual([to, to]);
  });

  it("…0408 takes the message but drops the connection once, so a retry makes a second message", async () => {
    const meta = await sandbox();
    const to = "15550000408";
    await expect(send(meta, text(to))).rejects.toThrow();
    expect(meta.sent).toHaveLength(1);
    expect(meta.attempts).toMatchObject([{ httpStatus: 200, dropped: true }]);
    const retry = await send(meta, text(to));
    expect(retry.status).toBe(200);
    expect(meta.sent.map((m) => m.id)).toEqual([meta.sent[0]!.id, retry.json.messages[0].id]);
  });

  it("are all in the README's table, and the table lists nothing else", async () => {
    const readme = await readFile(new URL("../dev/meta-sandbox/README.md", import.meta.url), "utf8");
    const documented = [...readme.matchAll(/^\| `…(\d{4})` \|/gm)].map((m) => m[1]);
    expect(documented.sort()).toEqual(RECIPES.map((r) => r.suffix).sort());
  });
});
