import { createHmac } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";

/**
 * Posting webhooks the way Meta does: the exact bytes signed with the app secret in
 * X-Hub-Signature-256, retried with backoff when the receiver fails (Meta keeps trying
 * for days; the sandbox a few times). A receiver that is down never crashes the sandbox.
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
  error?: string;
}

export interface PosterOptions {
  appSecret: () => string;
  retries: number;
  backoffMs: number;
  timeoutMs?: number;
}

export class WebhookPoster {
  readonly deliveries: WebhookDelivery[] = [];
  private readonly abort = new AbortController();
  private pending = 0;
  private waiters: (() => void)[] = [];

  constructor(private readonly opts: PosterOptions) {}

  get closed() {
    return this.abort.signal.aborted;
  }

  /** Posts `body` and retries failures; resolves with the outcome, never rejects. */
  async post(url: string, body: string): Promise<WebhookDelivery> {
    const { retries, backoffMs, timeoutMs = 5000 } = this.opts;
    const d: WebhookDelivery = { url, body, ok: false, attempts: 0 };
    for (let attempt = 0; attempt <= retries && !this.closed; attempt++) {
      if (attempt > 0 && !(await this.pause(backoffMs * 2 ** (attempt - 1)))) break;
      d.attempts++;
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
    return d;
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

  /** Sleeps unless closed first; false when the sandbox closed meanwhile. */
  async pause(ms: number): Promise<boolean> {
    try {
      await sleep(ms, undefined, { signal: this.abort.signal });
      return true;
    } catch {
      return false;
    }
  }

  close(): void {
    this.abort.abort();
    for (const w of this.waiters.splice(0)) w();
  }
}
