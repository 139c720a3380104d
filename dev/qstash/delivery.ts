import type { MessageSpec } from "./publish.js";

/** What one delivery attempt came to. */
export type AttemptOutcome =
  | { kind: "response"; status: number; headers: Headers; body: Uint8Array }
  | { kind: "error"; error: string };

export interface AttemptInput {
  spec: MessageSpec;
  messageId: string;
  /** `Upstash-Retried`: 0 on the first attempt. */
  retried: number;
  signature: string;
  timeoutMs: number;
  /** Aborted by a cancel or by `close()`. */
  signal: AbortSignal;
}

/**
 * One HTTP call to the destination, as QStash makes it (docs, "Receiving Messages"):
 * the stored body byte for byte, Content-Type and forwarded headers, plus
 * Upstash-Signature, Upstash-Message-Id, Upstash-Retried, Upstash-Caller-Ip and
 * `User-Agent: Upstash-QStash`. GET carries no body (fetch cannot send one).
 */
export async function attemptDelivery(a: AttemptInput): Promise<AttemptOutcome> {
  const headers = new Headers();
  for (const [k, v] of a.spec.headers) headers.append(k, v);
  headers.set("user-agent", "Upstash-QStash");
  headers.set("upstash-signature", a.signature);
  headers.set("upstash-message-id", a.messageId);
  headers.set("upstash-retried", String(a.retried));
  if (a.spec.callerIp) headers.set("upstash-caller-ip", a.spec.callerIp);
  const signal = AbortSignal.any([a.signal, AbortSignal.timeout(a.timeoutMs)]);
  try {
    const res = await fetch(a.spec.url, {
      method: a.spec.method,
      headers,
      body: a.spec.method === "GET" ? undefined : (a.spec.body as Uint8Array<ArrayBuffer>),
      signal,
    });
    const body = new Uint8Array(await res.arrayBuffer());
    return { kind: "response", status: res.status, headers: res.headers, body };
  } catch (err) {
    const e = err as Error & { cause?: { code?: string; message?: string } };
    const why = e.name === "TimeoutError" ? `timed out after ${a.timeoutMs} ms` : (e.cause?.code ?? e.cause?.message ?? e.message);
    return { kind: "error", error: why };
  }
}

/** 489 with `Upstash-NonRetryable-Error: true`: failed at once, no further retries (docs, "Retry"). */
export function isNonRetryable(o: AttemptOutcome): boolean {
  return o.kind === "response" && o.status === 489 && o.headers.get("upstash-nonretryable-error")?.trim().toLowerCase() === "true";
}

export function headerRecord(entries: Iterable<[string, string]>): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [k, v] of entries) {
    // Canonical form (Content-Type), as Go's http.Header keys look in QStash's JSON.
    const name = k.replace(/(^|-)([a-z])/g, (_, dash: string, c: string) => dash + c.toUpperCase());
    (out[name] ??= []).push(v);
  }
  return out;
}

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64");

/**
 * The body QStash posts to `Upstash-Callback` after an attempt and to
 * `Upstash-Failure-Callback` once the message has failed (docs, "Callbacks"). The field is
 * spelled `sourceMessageId` here; the docs' sample says `sourceMessasgeId`, a typo.
 * For an attempt that got no HTTP answer (refused, timed out) `status` is 0 and `error`
 * says why; the docs do not show that case.
 */
export function callbackBody(p: {
  outcome: AttemptOutcome;
  retried: number;
  messageId: string;
  spec: MessageSpec;
  createdAt: number;
  dlqId?: string;
}): Record<string, unknown> {
  const o = p.outcome;
  return {
    status: o.kind === "response" ? o.status : 0,
    header: o.kind === "response" ? headerRecord(o.headers) : {},
    body: o.kind === "response" ? b64(o.body) : "",
    ...(o.kind === "error" ? { error: o.error } : {}),
    retried: p.retried,
    maxRetries: p.spec.maxRetries,
    ...(p.dlqId ? { dlqId: p.dlqId } : {}),
    sourceMessageId: p.messageId,
    url: p.spec.url,
    method: p.spec.method,
    sourceHeader: headerRecord(p.spec.headers),
    sourceBody: b64(p.spec.body),
    notBefore: p.spec.notBefore,
    createdAt: p.createdAt,
    ...(p.spec.callerIp ? { callerIP: p.spec.callerIp } : {}),
  };
}

/** Body fields of a message or DLQ entry: `body` when it is UTF-8, else `bodyBase64`. */
export function bodyFields(bytes: Uint8Array, names: [string, string] = ["body", "bodyBase64"]): Record<string, string> {
  try {
    return { [names[0]]: new TextDecoder("utf-8", { fatal: true }).decode(bytes) };
  } catch {
    return { [names[1]]: b64(bytes) };
  }
}
