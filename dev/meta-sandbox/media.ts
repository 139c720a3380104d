import { createHash, randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { baseMime, mediaLimit } from "../../lib/media/limits.js";
import { newMediaId } from "./envelope.js";
import { GraphError, META_ERRORS, requiredParam } from "./graph-errors.js";
import type { NumberRegistry } from "./numbers.js";
import { graphErrorAnswer } from "./send.js";

/**
 * Meta's media endpoints as the sandbox models them: upload (multipart, Meta's types and
 * limits), metadata with a download URL on the sandbox's own host, that URL answering
 * only with the number's token (401 without it, as Meta's does), and delete. Inbound
 * media messages name media held here, so a download of a customer's photo works.
 */
export interface SandboxMedia {
  id: string;
  phoneNumberId: string;
  mimeType: string;
  bytes: Buffer;
  sha256: string;
  /** upload: through POST /media; inbound: a customer's media message. */
  source: "upload" | "inbound";
  /** Upload only: the form's fields as Meta got them. */
  fields?: Record<string, string>;
  filename?: string;
}

const uploadFailed = (details: string) => new GraphError({ code: 131053, httpStatus: 400, title: "Media upload error", details });
const missing = (id: string, method: string) =>
  new GraphError({ code: 100, httpStatus: 400, title: "Unsupported request", subcode: 33, rawMessage: true }, undefined, `Unsupported ${method} request. Object with ID '${id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation. Please read the Graph API documentation at https://developers.facebook.com/docs/graph-api`);

function reply(res: ServerResponse, a: { status: number; body: unknown; headers?: Record<string, string> }) {
  res.writeHead(a.status, { "content-type": "application/json; charset=UTF-8", ...(a.headers ?? {}) });
  res.end(JSON.stringify(a.body));
}

async function readBytes(req: IncomingMessage, seen: { bytes: number; ended: boolean }): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) {
    chunks.push(c as Buffer);
    seen.bytes += (c as Buffer).length;
  }
  seen.ended = true;
  return Buffer.concat(chunks);
}

export class MediaRegistry {
  readonly items = new Map<string, SandboxMedia>();
  /** Every upload's bytes as they arrived; `ended` false while (or if never) its body ended. */
  readonly uploads: { phoneNumberId: string; bytes: number; ended: boolean }[] = [];
  /** Downloads served (media id, bytes), for tests that count them. */
  readonly downloads: { id: string; bytes: number }[] = [];

  constructor(private readonly deps: { numbers: NumberRegistry; versions: RegExp; baseUrl: () => string }) {}

  get(id: string): SandboxMedia | undefined {
    return this.items.get(id);
  }

  /** Media a customer sent: bytes made up unless given. */
  adopt(id: string, phoneNumberId: string, mimeType: string, bytes: Buffer = randomBytes(2048)): SandboxMedia {
    if (!/^\d+$/.test(id)) throw new TypeError(`media ids are digits, got "${id}"`);
    const m: SandboxMedia = { id, phoneNumberId, mimeType, bytes, sha256: createHash("sha256").update(bytes).digest("hex"), source: "inbound" };
    this.items.set(id, m);
    return m;
  }

  /** A number's token, or one of its WABA's numbers' (Meta lets the WABA's tokens read its media). */
  private mayRead(m: SandboxMedia, token: string | undefined): boolean {
    if (!token) return false;
    const owner = this.deps.numbers.get(m.phoneNumberId);
    if (!owner) return true;
    return this.deps.numbers.tokenFitsWaba(owner.wabaId, token);
  }

  /** Handles the media routes; false when the request is not one of them (its body still unread). */
  async route(req: IncomingMessage, res: ServerResponse, url: URL, path: string): Promise<boolean> {
    const bearer = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? "")?.[1] ?? url.searchParams.get("access_token") ?? undefined;
    const dl = /^\/_media\/(\d+)$/.exec(path);
    if (dl && req.method === "GET") return this.download(res, dl[1]!, bearer), true;
    const up = /^\/([^/]+)\/(\d+)\/media$/.exec(path);
    const one = /^\/([^/]+)\/(\d+)$/.exec(path);
    if (!(up && this.deps.versions.test(up[1]!)) && !(one && this.deps.versions.test(one[1]!))) return false;
    try {
      if (up) {
        if (req.method !== "POST") throw missing(up[2]!, req.method!.toLowerCase());
        reply(res, { status: 200, body: await this.upload(req, up[2]!, bearer) });
      } else {
        const id = one![2]!;
        const m = this.items.get(id);
        if (!bearer) throw new GraphError(META_ERRORS.tokenMissing);
        if (!m || !this.mayRead(m, bearer)) throw missing(id, req.method!.toLowerCase());
        if (req.method === "GET") {
          reply(res, { status: 200, body: { messaging_product: "whatsapp", url: `${this.deps.baseUrl()}/_media/${id}?ext=${Date.now()}&hash=${randomBytes(8).toString("hex")}`, mime_type: m.mimeType, sha256: m.sha256, file_size: m.bytes.length, id } });
        } else if (req.method === "DELETE") {
          this.items.delete(id);
          reply(res, { status: 200, body: { success: true } });
        } else throw missing(id, req.method!.toLowerCase());
      }
    } catch (err) {
      if (!(err instanceof GraphError)) throw err;
      reply(res, graphErrorAnswer(err));
    }
    return true;
  }

  private async upload(req: IncomingMessage, phoneNumberId: string, token: string | undefined): Promise<{ id: string }> {
    if (!token) throw new GraphError(META_ERRORS.tokenMissing);
    this.deps.numbers.authorise(phoneNumberId, token);
    const seen = { phoneNumberId, bytes: 0, ended: false };
    this.uploads.push(seen);
    const raw = await readBytes(req, seen);
    let form: FormData;
    try {
      form = await new Response(new Uint8Array(raw), { headers: { "content-type": req.headers["content-type"] ?? "" } }).formData();
    } catch {
      throw uploadFailed("The request is not a multipart/form-data body");
    }
    const fields: Record<string, string> = {};
    for (const [k, v] of form) if (typeof v === "string") fields[k] = v;
    if (!fields.messaging_product) throw requiredParam("messaging_product");
    if (fields.messaging_product !== "whatsapp") throw new GraphError(META_ERRORS.invalidParameter, "messaging_product must be whatsapp");
    const file = form.get("file");
    if (!file || typeof file === "string") throw requiredParam("file");
    const mime = fields.type || file.type;
    const limit = mime ? mediaLimit(mime) : undefined;
    if (!limit) throw uploadFailed(`Param file must be a file with one of the following types: audio/aac, audio/amr, audio/mp4, audio/mpeg, audio/ogg, text/plain, application/pdf, …, image/jpeg, image/png, image/webp, video/3gpp, video/mp4. Received file of type '${mime}'.`);
    if (file.size > limit.maxBytes) throw uploadFailed(`The file is ${file.size} bytes; ${baseMime(mime!)} is limited to ${limit.maxBytes}`);
    const bytes = Buffer.from(await file.arrayBuffer());
    const id = newMediaId();
    this.items.set(id, { id, phoneNumberId, mimeType: baseMime(mime!), bytes, sha256: createHash("sha256").update(bytes).digest("hex"), source: "upload", fields, ...(file.name ? { filename: file.name } : {}) });
    return { id };
  }

  private download(res: ServerResponse, id: string, token: string | undefined) {
    const m = this.items.get(id);
    // Meta's media URLs answer 401 without the token, and 404 once the media is gone.
    if (!token) return reply(res, graphErrorAnswer(new GraphError(META_ERRORS.tokenMissing)));
    if (!m) return reply(res, { status: 404, body: { error: "not found" } });
    if (!this.mayRead(m, token)) return reply(res, graphErrorAnswer(new GraphError(META_ERRORS.tokenInvalid)));
    this.downloads.push({ id, bytes: m.bytes.length });
    res.writeHead(200, { "content-type": m.mimeType, "content-length": String(m.bytes.length), ...(m.filename ? { "content-disposition": `attachment; filename="${m.filename.replace(/["\\\r\n]/g, "_")}"` } : {}) });
    res.end(m.bytes);
  }
}
