import { WhatsAppClient } from "@kapso/whatsapp-cloud-api";
import { describe, expect, it } from "vitest";
import { eventually } from "./support/eventually.js";
import { fakePng, mediaForm, useMediaStack } from "./support/media-kit.js";
import { connectTestNumber } from "./support/senders.js";

/**
 * Media through Sandesh: the tenant's Meta token stays in the vault while its systems
 * upload, read, download and delete media, by the Graph-compatible routes (a real Cloud
 * API SDK by base URL only) and by /v1; a media id is its workspace's alone.
 */
const h = useMediaStack();
const USER = "919822044441";
const sdk = () => new WhatsAppClient({ baseUrl: h.url, accessToken: h.s.key, graphVersion: "v23.0" });
const pn = () => h.s.number.phone_number_id;
const v1 = (path: string, init: RequestInit = {}, key = h.s.key) => fetch(`${h.url}/v1${path}`, { ...init, headers: { authorization: `Bearer ${key}`, ...(init.headers ?? {}) } });
const graph = (path: string, init: RequestInit = {}, key = h.s.key) => fetch(`${h.url}/v23.0${path}`, { ...init, headers: { authorization: `Bearer ${key}`, ...(init.headers ?? {}) } });
const rows = (id: string) => h.stack.owner<{ workspace_id: string; source: string; file_size: number | null; sha256: string | null; mime_type: string }[]>`select workspace_id, source, file_size::int, sha256, mime_type from media where media_id = ${id}`;
const leaksNothing = (text: string) => {
  expect(text).not.toContain(h.s.token);
  expect(text).not.toContain(h.sandbox.url);
};

describe("the Graph-compatible media routes, through a Cloud API SDK", () => {
  it("uploads an image through the SDK's media API and sends it by id: Meta holds the same bytes and gets the id", async () => {
    const png = fakePng(300_000);
    const up = await sdk().media.upload({ phoneNumberId: pn(), type: "image/png", file: new Blob([png], { type: "image/png" }), fileName: "photo.png" });
    expect(up.id).toMatch(/^\d+$/);
    const held = h.sandbox.media.get(up.id)!;
    expect(Buffer.compare(held.bytes, Buffer.from(png))).toBe(0);
    expect(held.fields).toEqual({ messaging_product: "whatsapp", type: "image/png" });
    expect(await rows(up.id)).toEqual([{ workspace_id: h.s.workspaceId, source: "upload", file_size: 300_000, sha256: held.sha256, mime_type: "image/png" }]);

    await h.sandbox.sendInbound({ phoneNumberId: pn(), from: USER, type: "text", payload: { body: "send me the photo" } });
    const sent = await sdk().messages.sendImage({ phoneNumberId: pn(), to: USER, image: { id: up.id, caption: "here" } });
    const atMeta = h.sandbox.sent.filter((m) => m.id === sent.messages[0]!.id);
    expect(atMeta).toHaveLength(1);
    expect(atMeta[0]!.body).toMatchObject({ type: "image", image: { id: up.id, caption: "here" } });
  });

  it("reads the metadata with url a Sandesh download link, and downloads the bytes through it without the token", async () => {
    const png = fakePng(70_000);
    const { id } = await sdk().media.upload({ phoneNumberId: pn(), type: "image/png", file: new Blob([png], { type: "image/png" }) });
    const meta = await sdk().media.get({ mediaId: id });
    expect(meta).toMatchObject({ messagingProduct: "whatsapp", id, mimeType: "image/png", sha256: h.sandbox.media.get(id)!.sha256 });
    expect(Number(meta.fileSize)).toBe(70_000);
    expect(meta.url.startsWith(`${h.url}/media/download/`)).toBe(true);
    const raw = await (await graph(`/${id}`)).text();
    leaksNothing(raw);

    // The SDK fetches the URL without its access token, as it does Meta's CDN.
    const bytes = await sdk().media.download({ mediaId: id });
    expect(Buffer.compare(Buffer.from(bytes as ArrayBuffer), Buffer.from(png))).toBe(0);
    const res = await fetch(meta.url);
    expect(res.headers.get("content-type")).toBe("image/png");
    expect(res.headers.get("cache-control")).toBe("private, no-store");
  });

  it("deletes media at Meta: {success: true}, then it does not exist and its links stop working", async () => {
    const { id } = await sdk().media.upload({ phoneNumberId: pn(), type: "image/png", file: new Blob([fakePng(1000)], { type: "image/png" }) });
    const { url } = await sdk().media.get({ mediaId: id });
    expect(await sdk().media.delete({ mediaId: id })).toEqual({ success: true });
    expect(h.sandbox.media.get(id)).toBeUndefined();
    expect(await rows(id)).toEqual([]);
    expect(await sdk().media.get({ mediaId: id }).catch((e: unknown) => e)).toMatchObject({ httpStatus: 400, code: 100 });
    expect((await fetch(url)).status).toBe(404);
  });

  it("takes Meta's form with the file first (as curl sends it), and refuses what Meta would before Meta stores it", async () => {
    const first = await graph(`/${pn()}/media`, { method: "POST", body: mediaForm(fakePng(2000), "image/png", { fileFirst: true }) });
    expect(first.status).toBe(200);
    expect(h.sandbox.media.get(((await first.json()) as { id: string }).id)?.bytes.length).toBe(2000);

    const before = h.sandbox.media.count();
    const uploads = h.sandbox.media.uploads.length;
    const big = await graph(`/${pn()}/media`, { method: "POST", body: mediaForm(fakePng(6 * 1024 * 1024), "image/png") });
    expect(big.status).toBe(413);
    expect((await big.json()).error).toMatchObject({ code: 131053, type: "OAuthException", error_data: { details: expect.stringContaining("5 MB") } });
    // Streamed and cut: Meta read at most the limit and a chunk, and never the form's end.
    const cut = h.sandbox.media.uploads[uploads]!;
    expect(cut.ended).toBe(false);
    expect(cut.bytes).toBeLessThan(5.5 * 1024 * 1024);
    const gif = await graph(`/${pn()}/media`, { method: "POST", body: mediaForm(fakePng(100), "image/gif") });
    expect(gif.status).toBe(400);
    expect((await gif.json()).error).toMatchObject({ code: 131053 });
    const product = await graph(`/${pn()}/media`, { method: "POST", body: mediaForm(fakePng(100), "image/png", { messagingProduct: "sms" }) });
    expect((await product.json()).error).toMatchObject({ code: 131053, error_data: { details: expect.stringContaining("messaging_product") } });
    expect(h.sandbox.media.count()).toBe(before);
  });

  it("streams: Meta reads the file while the client is still sending it", async () => {
    const boundary = "sandesh-media-boundary";
    const enc = (x: string) => new TextEncoder().encode(x);
    const part = (name: string, value: string) => `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
    const png = fakePng(512 * 1024);
    let release!: () => void;
    const rest = new Promise<void>((r) => (release = r));
    const chunks: (() => Promise<Uint8Array> | Uint8Array)[] = [
      () => enc(`${part("messaging_product", "whatsapp")}${part("type", "image/png")}--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="s.png"\r\nContent-Type: image/png\r\n\r\n`),
      () => png.subarray(0, 256 * 1024),
      async () => (await rest, png.subarray(256 * 1024)),
      () => enc(`\r\n--${boundary}--\r\n`),
    ];
    const body = new ReadableStream<Uint8Array>({
      async pull(c) {
        const next = chunks.shift();
        if (next) c.enqueue(await next());
        else c.close();
      },
    });
    const uploads = h.sandbox.media.uploads.length;
    const answer = fetch(`${h.url}/v23.0/${pn()}/media`, { method: "POST", headers: { authorization: `Bearer ${h.s.key}`, "content-type": `multipart/form-data; boundary=${boundary}` }, body, duplex: "half" } as RequestInit);
    // Half the file is at Meta before the client has sent the other half.
    const seen = await eventually(async () => h.sandbox.media.uploads[uploads], (u) => (u?.bytes ?? 0) >= 200 * 1024);
    expect(seen!.ended).toBe(false);
    release();
    const res = await answer;
    expect(res.status).toBe(200);
    expect(h.sandbox.media.get(((await res.json()) as { id: string }).id)!.bytes.equals(Buffer.from(png))).toBe(true);
  });

  it("an image of exactly 5 MB is taken", async () => {
    const res = await graph(`/${pn()}/media`, { method: "POST", body: mediaForm(fakePng(5 * 1024 * 1024), "image/png") });
    expect(res.status).toBe(200);
    expect(h.sandbox.media.get(((await res.json()) as { id: string }).id)!.bytes.length).toBe(5 * 1024 * 1024);
  });
});

describe("the token and Meta's URL stay inside", () => {
  it("no log line of an upload, a read, a download and a delete holds the Meta token or Meta's download URL", async () => {
    const { id } = await sdk().media.upload({ phoneNumberId: pn(), type: "image/png", file: new Blob([fakePng(800)], { type: "image/png" }) });
    await sdk().media.download({ mediaId: id });
    await sdk().media.delete({ mediaId: id });
    await sdk().media.get({ mediaId: id }).catch(() => undefined);
    const logs = h.stack.logs.join("\n");
    expect(logs).toContain("/media/download/:token");
    expect(logs).not.toContain(h.s.token);
    expect(logs).not.toContain("/_media/");
  });
});

describe("/v1/media", () => {
  it("uploads (201), reads with a download link, downloads and deletes (204)", async () => {
    const png = fakePng(4096);
    const up = await v1("/media", { method: "POST", body: mediaForm(png, "image/png") });
    expect(up.status).toBe(201);
    const u = (await up.json()) as { id: string; mime_type: string; file_size: number; sha256: string };
    expect(u).toMatchObject({ mime_type: "image/png", file_size: 4096, sha256: h.sandbox.media.get(u.id)!.sha256 });
    const got = await v1(`/media/${u.id}`);
    const text = await got.text();
    leaksNothing(text);
    const m = JSON.parse(text) as { download_url: string; download_url_expires_at: string; source: string; phone_number_id: string };
    expect(m).toMatchObject({ id: u.id, source: "upload", phone_number_id: pn(), mime_type: "image/png", file_size: 4096 });
    expect(Date.parse(m.download_url_expires_at) - Date.now()).toBeLessThanOrEqual(300_000);
    const dl = await fetch(m.download_url);
    expect(dl.headers.get("content-disposition")).toBe('attachment; filename="photo.png"');
    expect(Buffer.from(await dl.arrayBuffer()).equals(Buffer.from(png))).toBe(true);
    expect((await v1(`/media/${u.id}`, { method: "DELETE" })).status).toBe(204);
    expect((await v1(`/media/${u.id}`)).status).toBe(404);
  });

  it("refuses a body that is not a form, an unsupported type and a file over its type's limit, in the one error shape", async () => {
    const notForm = await v1("/media", { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
    expect(notForm.status).toBe(422);
    expect((await notForm.json()).error).toMatchObject({ code: "validation_failed", details: [{ field: "content-type" }] });
    const gif = await v1("/media", { method: "POST", body: mediaForm(fakePng(10), "image/gif") });
    expect((await gif.json()).error).toMatchObject({ code: "validation_failed", details: [{ field: "type" }] });
    const sticker = await v1("/media", { method: "POST", body: mediaForm(fakePng(500 * 1024 + 1), "image/webp") });
    expect(sticker.status).toBe(413);
    expect((await sticker.json()).error).toMatchObject({ code: "payload_too_large", message: expect.stringContaining("500 KB") });
  });
});

describe("a media id belongs to its workspace", () => {
  it("another workspace's key gets Graph's object-does-not-exist and /v1's 404, and the media stays", async () => {
    const { id } = await sdk().media.upload({ phoneNumberId: pn(), type: "image/png", file: new Blob([fakePng(500)], { type: "image/png" }) });
    const other = await h.stack.tenant("Other");
    const theirs = await connectTestNumber(h.stack, other.workspaceId);
    const otherSdk = new WhatsAppClient({ baseUrl: h.url, accessToken: other.key, graphVersion: "v23.0" });
    for (const call of [() => otherSdk.media.get({ mediaId: id }), () => otherSdk.media.delete({ mediaId: id }), () => otherSdk.media.download({ mediaId: id })]) {
      expect(await call().catch((e: unknown) => e)).toMatchObject({ httpStatus: 400, code: 100 });
    }
    const g = await graph(`/${id}`, {}, other.key);
    expect((await g.json()).error).toMatchObject({ code: 100, error_subcode: 33, type: "GraphMethodException" });
    for (const method of ["GET", "DELETE"]) {
      const r = await v1(`/media/${id}`, { method }, other.key);
      expect(r.status).toBe(404);
      expect((await r.json()).error.code).toBe("not_found");
    }
    // Nor can it upload through a number that is not its own.
    const up = await graph(`/${pn()}/media`, { method: "POST", body: mediaForm(fakePng(10), "image/png") }, other.key);
    expect((await up.json()).error).toMatchObject({ code: 100, error_subcode: 33 });
    expect(theirs.phone_number_id).not.toBe(pn());
    expect(h.sandbox.media.get(id)).toBeDefined();
    expect(await rows(id)).toHaveLength(1);
  });

  it("a download link altered, or expired, or one that is not Sandesh's, is a 404", async () => {
    const { id } = await sdk().media.upload({ phoneNumberId: pn(), type: "image/png", file: new Blob([fakePng(500)], { type: "image/png" }) });
    const { url } = await sdk().media.get({ mediaId: id });
    const token = url.split("/").pop()!;
    const [version, claim, mac] = token.split(".");
    const forged = JSON.parse(Buffer.from(claim!, "base64url").toString()) as { w: string; m: string; e: number };
    const swap = (c: object) => `${h.url}/media/download/${version}.${Buffer.from(JSON.stringify(c)).toString("base64url")}.${mac}`;
    for (const bad of [swap({ ...forged, e: forged.e + 3600 }), swap({ ...forged, m: "1" }), swap({ ...forged, e: Math.floor(Date.now() / 1000) - 1 }), `${h.url}/media/download/x`]) {
      const r = await fetch(bad);
      expect(r.status).toBe(404);
      expect((await r.json()).error.code).toBe("not_found");
    }
    expect((await fetch(url)).status).toBe(200);
  });

  it("Meta's own download URL answers 401 without the number's token (the sandbox models it)", async () => {
    const { id } = await sdk().media.upload({ phoneNumberId: pn(), type: "image/png", file: new Blob([fakePng(64)], { type: "image/png" }) });
    const meta = (await (await fetch(`${h.sandbox.url}/v23.0/${id}`, { headers: { authorization: `Bearer ${h.s.token}` } })).json()) as { url: string };
    expect((await fetch(meta.url)).status).toBe(401);
    expect((await fetch(meta.url, { headers: { authorization: "Bearer EAAnotTheNumbersToken123" } })).status).toBe(401);
    expect((await fetch(meta.url, { headers: { authorization: `Bearer ${h.s.token}` } })).status).toBe(200);
  });
});

describe("inbound media", () => {
  it("a customer's photo: message.received carries a download link that streams the customer's bytes, and the id is the workspace's", async () => {
    const inbound = await h.sandbox.sendInbound({ phoneNumberId: pn(), from: USER, type: "image" });
    const mediaId = (inbound.envelope.entry[0]!.changes[0]!.value.messages as { image: { id: string } }[])[0]!.image.id;
    const event = await eventually(async () => {
      const rs = await h.stack.owner<{ body: string }[]>`select body from webhook_deliveries where workspace_id = ${h.s.workspaceId} and event_type = 'message.received'`;
      return rs.map((r) => JSON.parse(r.body) as { data: { wamid: string; media?: { id: string; download_url: string; mime_type: string; sha256: string } } }).find((x) => x.data.wamid === inbound.id);
    }, (e) => e !== undefined).then((e) => e!);
    const held = h.sandbox.media.get(mediaId)!;
    expect(event.data.media).toMatchObject({ id: mediaId, mime_type: "image/jpeg", sha256: held.sha256 });
    leaksNothing(JSON.stringify(event));
    const res = await fetch(event.data.media!.download_url);
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).equals(held.bytes)).toBe(true);
    expect(await rows(mediaId)).toMatchObject([{ workspace_id: h.s.workspaceId, source: "inbound" }]);
    const got = (await (await v1(`/media/${mediaId}`)).json()) as { file_size: number };
    expect(got).toMatchObject({ source: "inbound", file_size: held.bytes.length });
  });
});
