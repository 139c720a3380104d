import { EventEmitter } from "node:events";
import { attemptDelivery, bodyFields, callbackBody, headerRecord, isNonRetryable, type AttemptOutcome } from "./delivery.js";
import { FlowGate } from "./flow-control.js";
import { newDlqId, newMessageId } from "./ids.js";
import type { CallbackSpec, MessageSpec } from "./publish.js";
import { defaultBackoff, retryAfterMs, SECOND_MS } from "./timing.js";

export type MessageState = "CREATED" | "ACTIVE" | "RETRY" | "IN_PROGRESS" | "DELIVERED" | "FAILED" | "CANCELED";

interface StoredMessage {
  messageId: string;
  spec: MessageSpec;
  createdAt: number;
  retried: number;
  state: MessageState;
  timer?: NodeJS.Timeout;
  abort: AbortController;
  /** Set while the message sits in its flow-control wait list. */
  waitingForFlow?: boolean;
}

/** A dead letter, in the shape `GET /v2/dlq` lists (`DlqMessage` in the client). */
export interface DlqEntry {
  dlqId: string;
  messageId: string;
  url: string;
  method: string;
  header: Record<string, string[]>;
  body?: string;
  bodyBase64?: string;
  maxRetries: number;
  retryDelayExpression?: string;
  notBefore: number;
  createdAt: number;
  callback?: string;
  failureCallback?: string;
  callerIP?: string;
  labels?: string[];
  label?: string;
  flowControlKey?: string;
  parallelism?: number;
  rate?: number;
  period?: number;
  responseStatus?: number;
  responseHeader?: Record<string, string[]>;
  responseBody?: string;
  responseBodyBase64?: string;
  /** Not in QStash's shape: why the last attempt failed when there was no HTTP answer. */
  error?: string;
  /** Not in QStash's shape: which attempts were made (Upstash-Retried of the last one). */
  retried: number;
}

export interface AttemptEvent {
  messageId: string;
  url: string;
  retried: number;
  status?: number;
  error?: string;
}

export type FinalState =
  | { state: "DELIVERED"; messageId: string; retried: number }
  | { state: "FAILED"; messageId: string; retried: number; dlq: DlqEntry }
  | { state: "CANCELED"; messageId: string };

export interface SchedulerOptions {
  sign: (url: string, body: Uint8Array) => Promise<string>;
  /** Delay before the next attempt, by the failed attempt's Upstash-Retried. */
  backoff?: (retried: number) => number;
  dedupWindowMs: number;
  /** Attempt timeout when the publish set no Upstash-Timeout. */
  defaultTimeoutMs: number;
}

const MAX_TIMER_MS = 2_147_483_647;

/**
 * Messages from publish to their end: waiting for their time, through flow control,
 * attempts, backoff, the DLQ and callbacks. All state is in this process's memory.
 *
 * Events (on `events`): "published" ({messageId, url, at, notBefore, body}), "attempt" (AttemptEvent),
 * "delivered", "failed", "canceled" (FinalState), "dlq" (DlqEntry).
 */
export class Scheduler {
  readonly events = new EventEmitter();
  readonly dlq: DlqEntry[] = [];
  private readonly messages = new Map<string, StoredMessage>();
  private readonly finals = new Map<string, FinalState>();
  private readonly dedup = new Map<string, { messageId: string; expiresAt: number }>();
  private readonly flow = new FlowGate();
  private closed = false;

  constructor(private readonly opts: SchedulerOptions) {}

  /** Stores and schedules; a duplicate within the window answers the first message's id. */
  publish(spec: MessageSpec, now = Date.now()): { messageId: string; deduplicated: boolean } {
    if (spec.dedupKey) {
      const seen = this.dedup.get(spec.dedupKey);
      if (seen && seen.expiresAt > now) return { messageId: seen.messageId, deduplicated: true };
    }
    const msg: StoredMessage = { messageId: newMessageId(), spec, createdAt: now, retried: 0, state: "CREATED", abort: new AbortController() };
    if (spec.dedupKey) this.dedup.set(spec.dedupKey, { messageId: msg.messageId, expiresAt: now + this.opts.dedupWindowMs });
    this.messages.set(msg.messageId, msg);
    this.events.emit("published", { messageId: msg.messageId, url: spec.url, at: now, notBefore: spec.notBefore, body: new TextDecoder().decode(spec.body) });
    this.arm(msg, spec.notBefore);
    return { messageId: msg.messageId, deduplicated: false };
  }

  /** Stops a pending message; one in flight finishes its attempt but is not retried or called back. */
  cancel(messageId: string): boolean {
    const msg = this.messages.get(messageId);
    if (!msg) return false;
    if (msg.timer) clearTimeout(msg.timer);
    if (msg.waitingForFlow && msg.spec.flow) this.flow.remove(msg.spec.flow.key, msg.messageId);
    msg.state = "CANCELED";
    this.messages.delete(messageId);
    this.settle({ state: "CANCELED", messageId });
    return true;
  }

  pendingIds(): string[] {
    return [...this.messages.keys()];
  }

  /** A pending message in the `GET /v2/messages/{id}` shape; delivered and failed ones are gone, as in QStash. */
  describe(messageId: string): Record<string, unknown> | undefined {
    const msg = this.messages.get(messageId);
    return msg ? { ...this.messageFields(msg), state: msg.state } : undefined;
  }

  /** Resolves once the message is delivered, failed (dead-lettered) or canceled; at once if it already is. */
  settled(messageId: string): Promise<FinalState> {
    const done = this.finals.get(messageId);
    if (done) return Promise.resolve(done);
    return new Promise((resolve) => {
      const on = (f: FinalState) => {
        if (f.messageId !== messageId) return;
        this.events.off("settled", on);
        resolve(f);
      };
      this.events.on("settled", on);
    });
  }

  flowInfo(key: string) {
    return this.flow.info(key);
  }

  removeDlq(dlqId: string): boolean {
    const i = this.dlq.findIndex((d) => d.dlqId === dlqId);
    if (i < 0) return false;
    this.dlq.splice(i, 1);
    return true;
  }

  close(): void {
    this.closed = true;
    for (const msg of this.messages.values()) {
      if (msg.timer) clearTimeout(msg.timer);
      msg.abort.abort();
    }
    this.messages.clear();
    this.flow.close();
  }

  private arm(msg: StoredMessage, at: number): void {
    const wait = Math.max(0, at - Date.now());
    msg.timer = setTimeout(() => {
      msg.timer = undefined;
      // Past the longest timer Node allows (~24.8 days), or a timer a millisecond early: wait on.
      if (Date.now() < at) this.arm(msg, at);
      else this.due(msg);
    }, Math.min(wait, MAX_TIMER_MS));
    msg.timer.unref();
  }

  private due(msg: StoredMessage): void {
    if (this.closed || msg.state === "CANCELED") return;
    msg.state = "ACTIVE";
    const flow = msg.spec.flow;
    if (!flow) {
      void this.attempt(msg);
      return;
    }
    msg.waitingForFlow = true;
    this.flow.enter(flow.key, flow.config, msg.createdAt, msg.messageId, () => {
      msg.waitingForFlow = false;
      void this.attempt(msg).finally(() => this.flow.release(flow.key));
    });
  }

  private async attempt(msg: StoredMessage): Promise<void> {
    const { spec } = msg;
    const retried = msg.retried;
    msg.state = "IN_PROGRESS";
    let outcome: AttemptOutcome;
    try {
      const signature = await this.opts.sign(spec.url, spec.body);
      outcome = await attemptDelivery({
        spec,
        messageId: msg.messageId,
        retried,
        signature,
        timeoutMs: spec.timeoutMs ?? this.opts.defaultTimeoutMs,
        signal: msg.abort.signal,
      });
    } catch (err) {
      outcome = { kind: "error", error: (err as Error).message };
    }
    if (this.closed) return;
    this.events.emit("attempt", {
      messageId: msg.messageId,
      url: spec.url,
      retried,
      ...(outcome.kind === "response" ? { status: outcome.status } : { error: outcome.error }),
    } satisfies AttemptEvent);
    // Canceled while in flight: the attempt happened, nothing follows it.
    if (!this.messages.has(msg.messageId)) return;

    // "We call your callback URL with the response" after each attempt (docs, "Callbacks").
    if (spec.callback && outcome.kind === "response") {
      this.publishCallback(spec.callback, "callback", callbackBody({ outcome, retried, messageId: msg.messageId, spec, createdAt: msg.createdAt }));
    }

    if (outcome.kind === "response" && outcome.status >= 200 && outcome.status < 300) {
      msg.state = "DELIVERED";
      this.messages.delete(msg.messageId);
      this.settle({ state: "DELIVERED", messageId: msg.messageId, retried });
      return;
    }
    if (isNonRetryable(outcome) || retried >= spec.maxRetries) {
      this.fail(msg, outcome, retried);
      return;
    }
    const now = Date.now();
    const delay =
      (outcome.kind === "response" ? retryAfterMs(outcome.headers, now) : undefined) ??
      spec.retryDelay?.ms(retried) ??
      (this.opts.backoff ?? defaultBackoff)(retried);
    msg.retried = retried + 1;
    msg.state = "RETRY";
    this.arm(msg, now + delay);
  }

  private fail(msg: StoredMessage, outcome: AttemptOutcome, retried: number): void {
    const { spec } = msg;
    const entry: DlqEntry = {
      dlqId: newDlqId(),
      ...(this.messageFields(msg) as Omit<DlqEntry, "dlqId" | "retried">),
      retried,
    };
    if (outcome.kind === "response") {
      entry.responseStatus = outcome.status;
      entry.responseHeader = headerRecord(outcome.headers);
      Object.assign(entry, bodyFields(outcome.body, ["responseBody", "responseBodyBase64"]));
    } else {
      entry.error = outcome.error;
    }
    msg.state = "FAILED";
    this.messages.delete(msg.messageId);
    this.dlq.push(entry);
    this.events.emit("dlq", entry);
    if (spec.failureCallback) {
      this.publishCallback(
        spec.failureCallback,
        "failure-callback",
        callbackBody({ outcome, retried, messageId: msg.messageId, spec, createdAt: msg.createdAt, dlqId: entry.dlqId }),
      );
    }
    this.settle({ state: "FAILED", messageId: msg.messageId, retried, dlq: entry });
  }

  /** "Callbacks publish a new message with the response to the callback URL" (docs). */
  private publishCallback(cb: CallbackSpec, kind: "callback" | "failure-callback", body: Record<string, unknown>): void {
    const now = Date.now();
    const spec: MessageSpec = {
      kind,
      url: cb.url,
      method: cb.method,
      body: new TextEncoder().encode(JSON.stringify(body)),
      headers: [["content-type", "application/json"], ...cb.forward],
      maxRetries: cb.retries,
      notBefore: now + cb.delayMs,
      labels: [],
    };
    if (cb.retryDelay) spec.retryDelay = cb.retryDelay;
    if (cb.timeoutMs !== undefined) spec.timeoutMs = cb.timeoutMs;
    this.publish(spec, now);
  }

  private settle(f: FinalState): void {
    this.finals.set(f.messageId, f);
    this.events.emit(f.state === "DELIVERED" ? "delivered" : f.state === "FAILED" ? "failed" : "canceled", f);
    this.events.emit("settled", f);
  }

  private messageFields(msg: StoredMessage): Record<string, unknown> {
    const { spec } = msg;
    return {
      messageId: msg.messageId,
      url: spec.url,
      method: spec.method,
      header: headerRecord(spec.headers),
      ...bodyFields(spec.body),
      maxRetries: spec.maxRetries,
      ...(spec.retryDelay ? { retryDelayExpression: spec.retryDelay.expression } : {}),
      notBefore: spec.notBefore,
      createdAt: msg.createdAt,
      ...(spec.callback ? { callback: spec.callback.url } : {}),
      ...(spec.failureCallback ? { failureCallback: spec.failureCallback.url } : {}),
      ...(spec.callerIp ? { callerIP: spec.callerIp } : {}),
      ...(spec.labels.length ? { labels: spec.labels, label: spec.labels[0] } : {}),
      ...(spec.flow
        ? {
            flowControlKey: spec.flow.key,
            ...(spec.flow.config.parallelism !== undefined ? { parallelism: spec.flow.config.parallelism } : {}),
            ...(spec.flow.config.rate !== undefined ? { rate: spec.flow.config.rate, period: spec.flow.config.periodMs / SECOND_MS } : {}),
          }
        : {}),
    };
  }
}
