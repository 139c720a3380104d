import { createHmac } from "node:crypto";
import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import type { WebhookSpool } from "./spool.js";

/**
 * Posting webhooks the way Meta does: the exact bytes signed with the app secret in
 * X-Hub-Signature-256, and a delivery the receiver did not take (no answer, or not 2xx)
 * retried "with decreasing frequency until the request succeeds, for up to 7 days"
 * (Meta's webhook documentation). The schedule is a model of that: the first retry after
 * 1 s, each wait twice the last, at most an hour apart, given up 7 days after the first
 * attempt. `timeScale` shrinks every wait for tests (0.001: the 7 days pass in ~10 min).
 * A receiver that is down never crashes the sandbox, and memory stays bounded: at most
 * `maxPending` deliveries wait for a retry (past it the oldest is given up, `dropped`),
 * and `deliveries` keeps the last `history` outcomes.
 */
export function signMetaBody(appSecret: string, rawBody: string | Uint8Array): string {
  return `sha256=${createHmac("sha256", appSecret).update(rawBody).digest("hex")}`;
}

export interface WebhookDelivery {
  url: string;
  body: string;
  ok: boolean;
  /** The receiver's last HTTP status; absent when it could not be reached. */
  status?: number;
  attempts: number;
  /** When each attempt started (ms since the epoch): the schedule, as it ran. */
  attemptedAt: number[];
  error?: string;
  /** Given up before its time because too many deliveries were waiting (`maxPending`). */
  dropped?: boolean;
}

export interface RetrySchedule {
  /** Meta time before the first retry (ms). */
  firstRetryMs: number;
  /** Meta time between two retries at most (ms). */
  maxRetryMs: number;
  /** Meta time after the first attempt when a delivery is given up (ms). */
  giveUpAfterMs: number;
  /** Real ms per Meta ms: 1 in a manual run, small in tests. */
  timeScale: number;
}

export const META_RETRY_SCHEDULE: RetrySchedule = { firstRetryMs: 1000, maxRetryMs: 3_600_000, giveUpAfterMs: 7 * 24 * 3_600_000, timeScale: 1 };

/** Real ms to wait before retry `n` (1 = the first retry). */
export function retryDelayMs(s: RetrySchedule, n: number): number {
  return Math.min(s.firstRetryMs * 2 ** Math.min(n - 1, 40), s.maxRetryMs) * s.timeScale;
}

export interface PosterOptions {
  appSecret: () => string;
  schedule?: Partial<RetrySchedule>;
  /** Deliveries waiting for a retry at most (default 10,000). */
  maxPending?: number;
  /** Outcomes kept in `deliveries` (default 10,000). */
  history?: number;
  timeoutMs?: number;
  /** Undelivered sequences kept on disk across restarts (dev/meta-sandbox/spool.ts). */
  spool?: WebhookSpool;
}

export interface SequenceSteps {
  /** The next body to post (after any wait of its own), or undefined when there is none. */
  next(): Promise<string | undefined>;
  /** The bodies not yet delivered, the one being posted first. */
  remaining(): string[];
}

/** Webhooks to post in order (a message's statuses); `remaining()` are those not yet delivered. */
interface Sequence {
  id: string;
  url: string;
  remaining(): string[];
  firstAt?: number;
  spooled: boolean;
}

export class WebhookPoster {
  readonly deliveries: WebhookDelivery[] = [];
  readonly schedule: RetrySchedule;
  private readonly abort = new AbortController();
  private pending = 0;
  private waiters: (() => void)[] = [];
  /** Deliveries between a failed attempt and their next one, oldest first, each with its way out. */
  private readonly retrying = new Map<WebhookDelivery, AbortController>();
  private readonly sequences = new Set<Sequence>();

  constructor(private readonly opts: PosterOptions) {
    this.schedule = { ...META_RETRY_SCHEDULE, ...opts.schedule };
  }

  get closed() {
    return this.abort.signal.aborted;
  }

  /** Deliveries waiting for their next attempt now, the longest-waiting first. */
  get waiting(): WebhookDelivery[] {
    return [...this.retrying.keys()];
  }

  /** Posts `body` and retries on the schedule; resolves with the outcome, never rejects. */
  async post(url: string, body: string, seq?: Sequence): Promise<WebhookDelivery> {
    const { timeoutMs = 5000 } = this.opts;
    const d: WebhookDelivery = { url, body, ok: false, attempts: 0, attemptedAt: [] };
    const first = seq?.firstAt ?? Date.now();
    const giveUpAt = first + this.schedule.giveUpAfterMs * this.schedule.timeScale;
    for (let n = 0; !this.closed; n++) {
      if (n > 0) {
        const wait = retryDelayMs(this.schedule, n);
        if (Date.now() + wait > giveUpAt) break;
        if (seq && !seq.spooled) this.spoolNow(seq, first);
        if (!(await this.waitToRetry(d, wait))) break;
      }
      d.attempts++;
      d.attemptedAt.push(Date.now());
      try {
        const res = await fetch(url, {
          method: "POST",
          headers: { "content-type": "application/json", "x-hub-signature-256": signMetaBody(this.opts.appSecret(), body), "user-agent": "facebookexternalua" },
          body,
          signal: AbortSignal.any([this.abort.signal, AbortSignal.timeout(timeoutMs)]),
        });
        await res.arrayBuffer().catch(() => undefined);
        d.status = res.status;
        delete d.error;
        if (res.ok) {
          d.ok = true;
          break;
        }
      } catch (err) {
        delete d.status;
        d.error = err instanceof Error ? err.message : String(err);
      }
    }
    this.deliveries.push(d);
    const history = this.opts.history ?? 10_000;
    if (this.deliveries.length > history) this.deliveries.splice(0, this.deliveries.length - history);
    return d;
  }

  /** Waits `ms` as one of the bounded set of retrying deliveries; false if given up meanwhile. */
  private async waitToRetry(d: WebhookDelivery, ms: number): Promise<boolean> {
    const own = new AbortController();
    this.retrying.set(d, own);
    // Past the cap, the delivery waiting longest is given up: memory stays bounded however long the receiver is down.
    if (this.retrying.size > (this.opts.maxPending ?? 10_000)) {
      const [oldest, its] = this.retrying.entries().next().value!;
      oldest.dropped = true;
      its.abort();
    }
    try {
      return await this.pause(ms, own.signal);
    } finally {
      this.retrying.delete(d);
    }
  }

  /**
   * Posts the bodies `steps.next()` gives (it may wait first), in order, each retried on
   * the schedule; `steps.remaining()` are the bodies not yet delivered, for the spool.
   */
  sequence(url: () => string | undefined, steps: SequenceSteps, firstAt?: number): void {
    const seq: Sequence = { id: randomUUID(), url: url() ?? "", remaining: steps.remaining, spooled: false, ...(firstAt ? { firstAt } : {}) };
    this.sequences.add(seq);
    this.track(async () => {
      try {
        for (let body = await steps.next(); body !== undefined && !this.closed; ) {
          const to = url();
          if (!to) return;
          seq.url = to;
          await this.post(to, body, seq);
          delete seq.firstAt;
          if (this.closed) return;
          body = await steps.next();
          if (seq.spooled && !this.closed) this.spoolNow(seq, Date.now());
        }
      } finally {
        if (!this.closed) {
          this.sequences.delete(seq);
          if (seq.spooled) this.opts.spool?.drop(seq.id);
        }
      }
    });
  }

  /** Picks up what an earlier sandbox on the same spool left undelivered; answers how many sequences. */
  resume(): number {
    const entries = this.opts.spool?.takeAll() ?? [];
    for (const e of entries) {
      const bodies = [...e.bodies];
      let started = false;
      const next = async () => {
        if (started) bodies.shift();
        started = true;
        return bodies[0];
      };
      this.sequence(() => e.url, { next, remaining: () => bodies }, e.firstAt);
    }
    return entries.length;
  }

  private spoolNow(seq: Sequence, firstAt: number): void {
    if (!this.opts.spool) return;
    const bodies = seq.remaining();
    try {
      if (!bodies.length) return this.opts.spool.drop(seq.id);
      this.opts.spool.save(seq.id, { url: seq.url, bodies, firstAt });
      seq.spooled = true;
    } catch {
      // A spool that cannot be written (its directory gone) keeps them in memory only; the sandbox goes on.
    }
  }

  /** Runs a background job (a message's status sequence) counted by `idle()`. */
  track(job: () => Promise<void>): void {
    this.pending++;
    job()
      .catch(() => undefined)
      .finally(() => {
        if (--this.pending === 0) for (const w of this.waiters.splice(0)) w();
      });
  }

  /** Resolves when every status sequence started so far has finished (or given up). */
  idle(): Promise<void> {
    return this.pending === 0 ? Promise.resolve() : new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Sleeps unless closed (or `also` aborts) first; false when so. */
  async pause(ms: number, also?: AbortSignal): Promise<boolean> {
    try {
      await sleep(ms, undefined, { signal: also ? AbortSignal.any([this.abort.signal, also]) : this.abort.signal });
      return true;
    } catch {
      return false;
    }
  }

  close(): void {
    if (this.closed) return;
    // Unfinished sequences go to the spool: the next sandbox on it posts them.
    for (const seq of this.sequences) this.spoolNow(seq, seq.firstAt ?? Date.now());
    this.abort.abort();
    for (const w of this.waiters.splice(0)) w();
  }
}
