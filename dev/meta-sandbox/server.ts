import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { inboundEnvelope, INBOUND_TYPES, type InboundContext, type InboundType } from "./inbound.js";
import type { MetaEnvelope } from "./envelope.js";
import { GraphError, META_ERRORS } from "./graph-errors.js";
import { DEFAULT_THROUGHPUT_MPS, NumberRegistry, type NumberOptions } from "./numbers.js";
import { graphErrorAnswer, handleSend, type SendAttempt, type SendContext, type SentMessage } from "./send.js";
import { Conversations, guessTemplateCategory, type PricingCategory } from "./statuses.js";
import { WebhookPoster, type WebhookDelivery } from "./webhooks.js";

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
  /** Retries of a failed webhook POST (default 4), backoff doubling from `webhookBackoffMs` (default 50 ms). */
  webhookRetries?: number;
  webhookBackoffMs?: number;
  /** The pricing category of a template by name; by default guessed from the name (see README). */
  templateCategory?: (name: string) => PricingCategory;
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
  /** Every call to the send endpoint, with its answer. */
  attempts: SendAttempt[];
  /** Every webhook POST the sandbox finished (delivered or given up). */
  deliveries: WebhookDelivery[];
  registerNumber(phoneNumberId: string, token: string, opts?: NumberOptions): void;
  setWebhookUrl(url: string | undefined): void;
  sendInbound(input: InboundInput): Promise<InboundResult>;
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
  const poster = new WebhookPoster({ appSecret: () => opts.appSecret, retries: opts.webhookRetries ?? 4, backoffMs: opts.webhookBackoffMs ?? 50 });
  const ctx: SendContext = {
    numbers,
    conversations: new Conversations(),
    poster,
    sent: [],
    attempts: [],
    spent: new Set(),
    webhookUrl: () => webhookUrl,
    statusDelayMs: () => statusDelayMs,
    throttleHttpStatus: opts.throttleHttpStatus ?? 400,
    templateCategory: opts.templateCategory ?? guessTemplateCategory,
  };

  const bizOf = (phoneNumberId: string) =>
    numbers.get(phoneNumberId) ?? { wabaId, phoneNumberId, displayPhoneNumber: `1555${phoneNumberId.slice(-7).padStart(7, "0")}` };

  async function sendInbound(input: InboundInput): Promise<InboundResult> {
    const url = webhookUrl;
    if (!url) throw new Error("the Meta sandbox has no webhook URL: pass webhookUrl or call setWebhookUrl first");
    if (!INBOUND_TYPES.includes(input.type)) throw new TypeError(`unknown inbound type "${input.type}"; one of ${INBOUND_TYPES.join(", ")}`);
    const envelope = inboundEnvelope(bizOf(input.phoneNumberId), input);
    const body = JSON.stringify(envelope);
    const id = (envelope.entry[0]!.changes[0]!.value.messages as { id: string }[])[0]!.id;
    return { id, envelope, body, delivery: await poster.post(url, body) };
  }

  async function sandboxRoute(req: IncomingMessage, res: ServerResponse, path: string, raw: string) {
    const json = () => (raw ? (JSON.parse(raw) as Record<string, unknown>) : {});
    if (path === "/_sandbox/messages" && req.method === "GET") return reply(res, 200, { data: ctx.sent });
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
    const raw = await readBody(req);
    if (path.startsWith("/_sandbox/")) return sandboxRoute(req, res, path, raw);

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

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (res.headersSent) return res.destroy();
      const a = graphErrorAnswer(new GraphError(META_ERRORS.somethingWentWrong));
      reply(res, a.status, a.body, a.headers);
    });
  });
  const host = opts.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://${host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host}:${port}`,
    sent: ctx.sent,
    attempts: ctx.attempts,
    deliveries: poster.deliveries,
    registerNumber: (phoneNumberId, token, o) => void numbers.register(phoneNumberId, token, o),
    setWebhookUrl: (u) => void (webhookUrl = u),
    sendInbound,
    idle: () => poster.idle(),
    close: async () => {
      poster.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
