import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { inboundEnvelope, INBOUND_TYPES, type InboundContext, type InboundType } from "./inbound.js";
import { newMediaId, type MetaEnvelope } from "./envelope.js";
import { GraphError, META_ERRORS } from "./graph-errors.js";
import { MediaRegistry, type SandboxMedia } from "./media.js";
import { DEFAULT_THROUGHPUT_MPS, NumberRegistry, type NumberOptions } from "./numbers.js";
import { graphErrorAnswer, handleSend, type ReadReceipt, type SendAttempt, type SendContext, type SentMessage } from "./send.js";
import { Conversations, guessTemplateCategory, type PricingCategory } from "./statuses.js";
import { TemplateRegistry, type SandboxTemplate } from "./templates.js";
import { WebhookSpool } from "./spool.js";
import { WebhookPoster, type RetrySchedule, type WebhookDelivery } from "./webhooks.js";

/**
 * The Meta sandbox: a local Graph API send endpoint that answers like Meta and posts
 * signed webhooks back. Graph routes are Meta's; `/_sandbox/*` routes are for people
 * and scripts driving it by hand (no auth: it binds to 127.0.0.1 unless told otherwise).
 */
export interface MetaSandboxOptions {
  /** Signs every webhook (X-Hub-Signature-256), as the Meta app's secret does. */
  appSecret: string;
  /** Where status and inbound webhooks go; settable later with `setWebhookUrl` or POST /_sandbox/config. */
  webhookUrl?: string;
  /** Between a send and `sent`, and between each later status. Default 20 ms. */
  statusDelayMs?: number;
  /** Default 0: any free port. */
  port?: number;
  host?: string;
  /** Which path versions exist. Default /^v\d+\.\d+$/ (v21.0, v23.0 …). */
  apiVersionPattern?: RegExp;
  /** Throughput of numbers nobody registered explicitly. Default 80 messages/s. */
  defaultThroughputMps?: number;
  /** HTTP status of 130429. Meta's reference lists 400; 429 is here for clients that want to test that branch. */
  throttleHttpStatus?: 400 | 429;
  /** The `entry[].id` of webhooks for numbers registered without one. */
  wabaId?: string;
  /**
   * When a webhook the receiver did not take is tried again: Meta's schedule (README,
   * "Webhook retries") by default; `timeScale` shrinks it for tests.
   */
  webhookRetry?: Partial<RetrySchedule>;
  /** Deliveries waiting for a retry at most (default 10,000); past it the oldest is given up. */
  webhookMaxPending?: number;
  /** Outcomes kept in `deliveries` (default 10,000, the latest). */
  webhookHistory?: number;
  /**
   * A directory where undelivered status sequences are kept when a delivery fails or the
   * sandbox closes; a sandbox started on it posts them (`npm start` uses `.data/meta-sandbox-webhooks`).
   */
  webhookSpool?: string;
  /** The pricing category of a template by name; by default guessed from the name (see README). */
  templateCategory?: (name: string) => PricingCategory;
  /** Between submitting a template and its review outcome (and between APPROVED and PAUSED). Default 20 ms. */
  templateReviewMs?: number;
}

export interface InboundInput {
  phoneNumberId: string;
  from: string;
  profileName?: string;
  type: InboundType;
  /** The type's object (merged over realistic defaults); for `contacts`, the array. */
  payload?: unknown;
  context?: InboundContext;
  id?: string;
}

export interface InboundResult {
  /** The inbound message's wamid. */
  id: string;
  envelope: MetaEnvelope;
  /** The exact bytes posted (and signed). */
  body: string;
  delivery: WebhookDelivery;
}

export interface MetaSandbox {
  /** Base URL to use as META_GRAPH_URL, e.g. http://127.0.0.1:40123 */
  url: string;
  /** Accepted messages, oldest first. */
  sent: SentMessage[];
  /** Read receipts and typing indicators Meta took. */
  reads: ReadReceipt[];
  /** Every call to the send endpoint, with its answer. */
  attempts: SendAttempt[];
  /** The latest webhook deliveries the sandbox finished (delivered or given up), with each attempt's time. */
  deliveries: WebhookDelivery[];
  /** Deliveries waiting for their next attempt right now (their attempts so far included). */
  waitingWebhooks(): WebhookDelivery[];
  /** The retry schedule in force. */
  webhookRetry: RetrySchedule;
  registerNumber(phoneNumberId: string, token: string, opts?: NumberOptions): void;
  setWebhookUrl(url: string | undefined): void;
  sendInbound(input: InboundInput): Promise<InboundResult>;
  /** The WABAs' message templates: seed them, change their status or category (each change posts its webhook). */
  templates: {
    seed(wabaId: string, t: Partial<SandboxTemplate> & { name: string }): SandboxTemplate;
    all(wabaId: string): SandboxTemplate[];
    setStatus(wabaId: string, name: string, language: string, status: string, reason?: string): void;
    setCategory(wabaId: string, name: string, language: string, category: string): void;
  };
  /** Media uploaded or sent by customers (by Meta media id), and the downloads served. */
  media: {
    get(id: string): SandboxMedia | undefined;
    /** Media a customer sends next, to name in an inbound message's payload. */
    adopt(phoneNumberId: string, mimeType: string, bytes?: Buffer): SandboxMedia;
    downloads: { id: string; bytes: number }[];
    /** Every upload's bytes as Meta read them, and whether its body ended. */
    uploads: { phoneNumberId: string; bytes: number; ended: boolean }[];
    count(): number;
  };
  /** Resolves when every status sequence started so far is done. */
  idle(): Promise<void>;
  close(): Promise<void>;
}

/** The `entry[].id` of webhooks for numbers registered without a WABA: Sandesh checks it against the number's. */
export const DEFAULT_WABA_ID = "102290129340398";

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

function reply(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { "content-type": "application/json; charset=UTF-8", ...headers });
  res.end(JSON.stringify(body));
}

export async function startMetaSandbox(opts: MetaSandboxOptions): Promise<MetaSandbox> {
  let webhookUrl = opts.webhookUrl;
  let statusDelayMs = opts.statusDelayMs ?? 20;
  const versions = opts.apiVersionPattern ?? /^v\d+\.\d+$/;
  const wabaId = opts.wabaId ?? DEFAULT_WABA_ID;
  const numbers = new NumberRegistry({ wabaId, throughputMps: opts.defaultThroughputMps ?? DEFAULT_THROUGHPUT_MPS });
  const poster = new WebhookPoster({
    appSecret: () => opts.appSecret,
    ...(opts.webhookRetry ? { schedule: opts.webhookRetry } : {}),
    ...(opts.webhookMaxPending ? { maxPending: opts.webhookMaxPending } : {}),
    ...(opts.webhookHistory ? { history: opts.webhookHistory } : {}),
    ...(opts.webhookSpool ? { spool: new WebhookSpool(opts.webhookSpool) } : {}),
  });
  const templates = new TemplateRegistry({
    reviewMs: () => opts.templateReviewMs ?? 20,
    webhook: (waba, field, value) => {
      const url = webhookUrl;
      if (!url) return;
      const body = JSON.stringify({ object: "whatsapp_business_account", entry: [{ id: waba, time: Math.floor(Date.now() / 1000), changes: [{ field, value }] }] });
      poster.track(async () => void (await poster.post(url, body)));
    },
  });
  const ctx: SendContext = {
    numbers,
    conversations: new Conversations(),
    poster,
    sent: [],
    reads: [],
    attempts: [],
    spent: new Set(),
    webhookUrl: () => webhookUrl,
    statusDelayMs: () => statusDelayMs,
    throttleHttpStatus: opts.throttleHttpStatus ?? 400,
    templateCategory: opts.templateCategory ?? guessTemplateCategory,
    templates,
  };

  const media = new MediaRegistry({ numbers, versions, baseUrl: () => `http://${host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host}:${port}` });
  const MEDIA_TYPES = new Set(["image", "document", "audio", "video", "sticker"]);

  const bizOf = (phoneNumberId: string) =>
    numbers.get(phoneNumberId) ?? { wabaId, phoneNumberId, displayPhoneNumber: `1555${phoneNumberId.slice(-7).padStart(7, "0")}` };

  async function sendInbound(input: InboundInput): Promise<InboundResult> {
    const url = webhookUrl;
    if (!url) throw new Error("the Meta sandbox has no webhook URL: pass webhookUrl or call setWebhookUrl first");
    if (!INBOUND_TYPES.includes(input.type)) throw new TypeError(`unknown inbound type "${input.type}"; one of ${INBOUND_TYPES.join(", ")}`);
    const envelope = inboundEnvelope(bizOf(input.phoneNumberId), input);
    // A customer's media is held here, so its id can be looked up and downloaded as at Meta.
    const msg = (envelope.entry[0]!.changes[0]!.value.messages as Record<string, { id?: string; mime_type?: string; sha256?: string }>[])[0]!;
    const obj = MEDIA_TYPES.has(input.type) ? msg[input.type] : undefined;
    if (obj?.id) {
      const held = media.get(obj.id) ?? media.adopt(obj.id, input.phoneNumberId, obj.mime_type ?? "application/octet-stream");
      obj.sha256 = held.sha256;
    }
    const body = JSON.stringify(envelope);
    const id = (envelope.entry[0]!.changes[0]!.value.messages as { id: string }[])[0]!.id;
    return { id, envelope, body, delivery: await poster.post(url, body) };
  }

  async function sandboxRoute(req: IncomingMessage, res: ServerResponse, path: string, raw: string) {
    const json = () => (raw ? (JSON.parse(raw) as Record<string, unknown>) : {});
    if (path === "/_sandbox/messages" && req.method === "GET") return reply(res, 200, { data: ctx.sent });
    if (path === "/_sandbox/messages/count" && req.method === "GET") return reply(res, 200, { count: ctx.sent.length, attempts: ctx.attempts.length });
    if (path === "/_sandbox/reads" && req.method === "GET") return reply(res, 200, { data: ctx.reads });
    if (path === "/_sandbox/config" && req.method === "GET") return reply(res, 200, { webhook_url: webhookUrl ?? null, status_delay_ms: statusDelayMs });
    if (req.method !== "POST") return reply(res, 404, { error: `no sandbox route ${req.method} ${path}` });
    try {
      const b = json();
      if (path === "/_sandbox/config") {
        if ("webhook_url" in b) webhookUrl = typeof b.webhook_url === "string" && b.webhook_url ? b.webhook_url : undefined;
        if (typeof b.status_delay_ms === "number" && b.status_delay_ms >= 0) statusDelayMs = b.status_delay_ms;
        return reply(res, 200, { webhook_url: webhookUrl ?? null, status_delay_ms: statusDelayMs });
      }
      if (path === "/_sandbox/numbers") {
        const n = numbers.register(String(b.phone_number_id ?? ""), String(b.token ?? ""), {
          ...(typeof b.throughput_mps === "number" ? { throughputMps: b.throughput_mps } : {}),
          ...(typeof b.display_phone_number === "string" ? { displayPhoneNumber: b.display_phone_number } : {}),
          ...(typeof b.waba_id === "string" ? { wabaId: b.waba_id } : {}),
        });
        return reply(res, 201, { phone_number_id: n.phoneNumberId, throughput_mps: n.throughputMps, display_phone_number: n.displayPhoneNumber, waba_id: n.wabaId });
      }
      if (path === "/_sandbox/templates") {
        const t = templates.seed(String(b.waba_id ?? wabaId), b as Partial<SandboxTemplate> & { name: string });
        return reply(res, 201, t);
      }
      if (path === "/_sandbox/inbound") {
        if (!webhookUrl) return reply(res, 409, { error: "no webhook URL configured: POST /_sandbox/config {\"webhook_url\": …} first" });
        const r = await sendInbound({
          phoneNumberId: String(b.phone_number_id ?? ""),
          from: String(b.from ?? ""),
          type: String(b.type ?? "text") as InboundType,
          ...(typeof b.profile_name === "string" ? { profileName: b.profile_name } : {}),
          ...(b.payload === undefined ? {} : { payload: b.payload }),
          ...(typeof b.context === "object" && b.context !== null ? { context: b.context as InboundContext } : {}),
        });
        return reply(res, 200, { id: r.id, delivered: r.delivery.ok, status: r.delivery.status ?? null, attempts: r.delivery.attempts });
      }
      return reply(res, 404, { error: `no sandbox route POST ${path}` });
    } catch (err) {
      return reply(res, 400, { error: err instanceof Error ? err.message : String(err) });
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? "/", "http://sandbox");
    const path = url.pathname.replace(/\/+$/, "");
    // Media first: an upload's body is binary, read by its route.
    if (await media.route(req, res, url, path)) return;
    const raw = await readBody(req);
    if (path.startsWith("/_sandbox/")) return sandboxRoute(req, res, path, raw);

    const tm = /^\/([^/]+)\/(\d+)\/message_templates$/.exec(path);
    if (tm && versions.test(tm[1]!)) {
      const bearer = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? "")?.[1] ?? url.searchParams.get("access_token") ?? undefined;
      const a = templateRoute(req.method ?? "GET", tm[2]!, bearer, url, raw);
      return reply(res, a.status, a.body, a.headers);
    }
    const m = /^\/([^/]+)\/(\d+)\/messages$/.exec(path);
    if (!m || !versions.test(m[1]!)) {
      const a = graphErrorAnswer(new GraphError(META_ERRORS.unknownPath, undefined, `Unknown path components: ${path}`));
      return reply(res, a.status, a.body, a.headers);
    }
    if (req.method !== "POST") {
      const a = graphErrorAnswer(new GraphError(META_ERRORS.invalidParameter, undefined, `Unsupported ${req.method?.toLowerCase()} request. Object with ID '${m[2]}' does not support this operation.`));
      return reply(res, a.status, a.body, a.headers);
    }
    const bearer = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? "")?.[1] ?? url.searchParams.get("access_token") ?? undefined;
    const answer = handleSend(ctx, m[2]!, bearer, raw);
    if (answer.drop) return req.socket.destroy();
    reply(res, answer.status, answer.body, answer.headers);
  }

  /** The template endpoints of a WABA: a token of one of its numbers (any token while it has none). */
  function templateRoute(method: string, waba: string, token: string | undefined, url: URL, raw: string) {
    try {
      if (!token) throw new GraphError(META_ERRORS.tokenMissing);
      if (!numbers.tokenFitsWaba(waba, token)) throw new GraphError(META_ERRORS.tokenInvalid);
      if (method === "GET") return { status: 200, body: templates.list(waba, url.searchParams, `http://${host}:${port}${url.pathname}${url.search}`), headers: {} };
      if (method === "POST") {
        let b: unknown;
        try {
          b = JSON.parse(raw);
        } catch {
          throw new GraphError(META_ERRORS.invalidParameter, "The request body is not valid JSON");
        }
        const t = templates.create(waba, (b ?? {}) as Record<string, unknown>);
        return { status: 200, body: { id: t.id, status: t.status, category: t.category }, headers: {} };
      }
      if (method === "DELETE") {
        const removed = templates.delete(waba, url.searchParams.get("name"), url.searchParams.get("hsm_id"));
        if (!removed) throw new GraphError(META_ERRORS.invalidParameter, `Message template "${url.searchParams.get("name")}" not found`);
        return { status: 200, body: { success: true }, headers: {} };
      }
      throw new GraphError(META_ERRORS.invalidParameter, `Unsupported ${method.toLowerCase()} request.`);
    } catch (err) {
      if (!(err instanceof GraphError)) throw err;
      return graphErrorAnswer(err);
    }
  }

  const find = (waba: string, name: string, language: string) => {
    const t = templates.all(waba).find((x) => x.name === name && x.language === language);
    if (!t) throw new Error(`the sandbox has no template ${name} (${language}) in WABA ${waba}`);
    return t;
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (res.headersSent) return res.destroy();
      const a = graphErrorAnswer(new GraphError(META_ERRORS.somethingWentWrong));
      reply(res, a.status, a.body, a.headers);
    });
  });
  const host = opts.host ?? "127.0.0.1";
  let port = 0;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  ({ port } = server.address() as AddressInfo);
  // What an earlier sandbox on the same spool could not deliver goes out now.
  poster.resume();

  return {
    url: `http://${host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host}:${port}`,
    sent: ctx.sent,
    reads: ctx.reads,
    attempts: ctx.attempts,
    deliveries: poster.deliveries,
    waitingWebhooks: () => poster.waiting,
    webhookRetry: poster.schedule,
    registerNumber: (phoneNumberId, token, o) => void numbers.register(phoneNumberId, token, o),
    setWebhookUrl: (u) => void (webhookUrl = u),
    sendInbound,
    templates: {
      seed: (waba, t) => templates.seed(waba, t),
      all: (waba) => templates.all(waba),
      setStatus: (waba, name, language, status, reason) => templates.setStatus(waba, find(waba, name, language), status, reason),
      setCategory: (waba, name, language, category) => templates.setCategory(waba, find(waba, name, language), category),
    },
    media: {
      get: (id) => media.items.get(id),
      adopt: (phoneNumberId, mimeType, bytes) => media.adopt(newMediaId(), phoneNumberId, mimeType, bytes),
      downloads: media.downloads,
      uploads: media.uploads,
      count: () => media.items.size,
    },
    idle: () => poster.idle(),
    close: async () => {
      templates.close();
      poster.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
