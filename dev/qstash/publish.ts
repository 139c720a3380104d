import { createHash } from "node:crypto";
import { parseFlowControlValue, type FlowConfig } from "./flow-control.js";
import { BadRequest, compileRetryDelay, parseDuration, SECOND_MS } from "./timing.js";

export const DEFAULT_RETRIES = 3;
const METHODS = new Set(["GET", "POST", "PUT", "PATCH", "DELETE"]);

export interface RetryDelay {
  expression: string;
  ms: (retried: number) => number;
}

/** How a callback or failure callback is itself published (the `Upstash-Callback-*` family). */
export interface CallbackSpec {
  url: string;
  method: string;
  retries: number;
  retryDelay?: RetryDelay;
  timeoutMs?: number;
  delayMs: number;
  /** `Upstash-Callback-Forward-X: v` → `X: v`. */
  forward: [string, string][];
}

/** A publish as it will be delivered. */
export interface MessageSpec {
  kind: "message" | "callback" | "failure-callback";
  url: string;
  method: string;
  body: Uint8Array;
  /** What the destination receives besides QStash's own headers: Content-Type and the forwarded headers. */
  headers: [string, string][];
  maxRetries: number;
  retryDelay?: RetryDelay;
  /** Epoch ms; now when neither Upstash-Not-Before nor Upstash-Delay is given. */
  notBefore: number;
  timeoutMs?: number;
  callback?: CallbackSpec;
  failureCallback?: CallbackSpec;
  flow?: { key: string; config: FlowConfig };
  labels: string[];
  dedupKey?: string;
  callerIp?: string;
}

/** Header names as the server saw them (lower-case) with their values. */
export type HeaderBag = Map<string, string>;

export function headerBag(entries: Iterable<[string, string]>): HeaderBag {
  const bag: HeaderBag = new Map();
  for (const [k, v] of entries) {
    const name = k.toLowerCase();
    const prev = bag.get(name);
    bag.set(name, prev === undefined ? v : `${prev}, ${v}`);
  }
  return bag;
}

/** `http(s)://…` only: URL groups, APIs and queues are not part of this stand-in. */
export function destinationUrl(raw: string): string {
  let dest = raw;
  if (/^https?%3A/i.test(dest)) dest = decodeURIComponent(dest);
  if (!/^https?:\/\//i.test(dest)) {
    throw new BadRequest(`destination "${raw}" is not an http(s) URL; URL groups and APIs are not supported by the local QStash`);
  }
  try {
    new URL(dest);
  } catch {
    throw new BadRequest(`invalid destination URL "${raw}"`);
  }
  return dest;
}

function count(raw: string | undefined, header: string): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw.trim())) throw new BadRequest(`invalid ${header} "${raw}": expected a non-negative integer`);
  return Number(raw.trim());
}

function method(raw: string | undefined, header: string): string {
  const m = (raw ?? "POST").trim().toUpperCase();
  if (!METHODS.has(m)) throw new BadRequest(`invalid ${header} "${raw}": one of GET, POST, PUT, PATCH, DELETE`);
  return m;
}

function retryDelay(raw: string | undefined): RetryDelay | undefined {
  return raw === undefined ? undefined : { expression: raw, ms: compileRetryDelay(raw) };
}

function forwarded(h: HeaderBag, prefix: string): [string, string][] {
  const out: [string, string][] = [];
  for (const [name, value] of h) if (name.startsWith(prefix) && name.length > prefix.length) out.push([name.slice(prefix.length), value]);
  return out;
}

function callbackSpec(h: HeaderBag, prefix: "upstash-callback" | "upstash-failure-callback", fallbackRetries: number, fallbackDelay?: RetryDelay): CallbackSpec | undefined {
  const url = h.get(prefix);
  if (url === undefined) return undefined;
  const label = prefix === "upstash-callback" ? "Upstash-Callback" : "Upstash-Failure-Callback";
  const spec: CallbackSpec = {
    url: destinationUrl(url),
    method: method(h.get(`${prefix}-method`), `${label}-Method`),
    // "Callbacks will use the retry setting from the original request" (OpenAPI).
    retries: count(h.get(`${prefix}-retries`), `${label}-Retries`) ?? fallbackRetries,
    delayMs: h.has(`${prefix}-delay`) ? parseDuration(h.get(`${prefix}-delay`)!, `${label}-Delay`) : 0,
    forward: forwarded(h, `${prefix}-forward-`),
  };
  const delay = retryDelay(h.get(`${prefix}-retry-delay`)) ?? fallbackDelay;
  if (delay) spec.retryDelay = delay;
  if (h.has(`${prefix}-timeout`)) spec.timeoutMs = parseDuration(h.get(`${prefix}-timeout`)!, `${label}-Timeout`);
  return spec;
}

/**
 * One publish (`POST /v2/publish/{destination}` or one `/v2/batch` entry) into what
 * will be delivered. Any malformed control header is a 400 here, before anything is
 * stored, as the real service refuses it rather than guessing.
 */
export function parsePublish(rawDestination: string, h: HeaderBag, body: Uint8Array, now: number, callerIp?: string): MessageSpec {
  const url = destinationUrl(rawDestination);
  const headers: [string, string][] = [];
  const contentType = h.get("content-type");
  if (contentType !== undefined) headers.push(["content-type", contentType]);
  headers.push(...forwarded(h, "upstash-forward-"));

  const maxRetries = count(h.get("upstash-retries"), "Upstash-Retries") ?? DEFAULT_RETRIES;
  const delay = retryDelay(h.get("upstash-retry-delay"));

  // Upstash-Not-Before (unix seconds) wins over Upstash-Delay.
  let notBefore = now;
  const nb = h.get("upstash-not-before");
  if (nb !== undefined) {
    if (!/^\d+$/.test(nb.trim())) throw new BadRequest(`invalid Upstash-Not-Before "${nb}": expected unix seconds`);
    notBefore = Math.max(now, Number(nb.trim()) * SECOND_MS);
  } else if (h.has("upstash-delay")) {
    notBefore = now + parseDuration(h.get("upstash-delay")!, "Upstash-Delay");
  }

  const spec: MessageSpec = {
    kind: "message",
    url,
    method: method(h.get("upstash-method"), "Upstash-Method"),
    body,
    headers,
    maxRetries,
    notBefore,
    labels: (h.get("upstash-label") ?? "").split(",").map((s) => s.trim()).filter(Boolean),
  };
  if (delay) spec.retryDelay = delay;
  if (callerIp) spec.callerIp = callerIp;
  if (h.has("upstash-timeout")) spec.timeoutMs = parseDuration(h.get("upstash-timeout")!, "Upstash-Timeout");
  const callback = callbackSpec(h, "upstash-callback", maxRetries, delay);
  if (callback) spec.callback = callback;
  const failureCallback = callbackSpec(h, "upstash-failure-callback", maxRetries, delay);
  if (failureCallback) spec.failureCallback = failureCallback;

  const flowKey = h.get("upstash-flow-control-key");
  const flowValue = h.get("upstash-flow-control-value");
  if (flowKey !== undefined) {
    if (flowValue === undefined) throw new BadRequest("Upstash-Flow-Control-Key needs Upstash-Flow-Control-Value");
    spec.flow = { key: flowKey, config: parseFlowControlValue(flowValue) };
  } else if (flowValue !== undefined) {
    throw new BadRequest("Upstash-Flow-Control-Value needs Upstash-Flow-Control-Key");
  }

  const dedupId = h.get("upstash-deduplication-id");
  if (dedupId !== undefined) {
    spec.dedupKey = `id:${dedupId}`;
  } else if (h.get("upstash-content-based-deduplication")?.trim().toLowerCase() === "true") {
    // Docs ("Deduplication"): destination, body, Content-Type and the forwarded headers.
    const hash = createHash("sha256").update(url).update("\0").update(body).update("\0");
    for (const [k, v] of [...headers].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) hash.update(`${k}:${v}\n`);
    spec.dedupKey = `content:${hash.digest("hex")}`;
  }
  return spec;
}
