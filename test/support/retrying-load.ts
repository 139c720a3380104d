/**
 * A client that does what a careful integrator does: each message has its own
 * Idempotency-Key, and an answer that says "try again" (503, 429 or 409 in progress,
 * after its Retry-After), a lost
 * connection or no answer within the timeout is retried with the same key until a
 * final answer. Every answer is recorded, so a test can assert what came back meanwhile.
 */
export interface LoadReport {
  /** key → the accepted message's id */
  accepted: Map<string, string>;
  /** status (or "error"/"timeout") → count, over every attempt */
  answers: Record<string, number>;
  /** Attempts that answered 5xx other than 503, with their bodies. */
  unexpected: string[];
  /** Keys given up on when the load stopped (never answered finally). */
  unfinished: string[];
  slowestMs: number;
}

export interface LoadOptions {
  url: string;
  apiKey: string;
  perSecond: number;
  /** New messages are started until this resolves; retries continue until `settleMs` after. */
  until: Promise<unknown>;
  body: (i: number, key: string) => unknown;
  timeoutMs?: number;
  settleMs?: number;
}

export async function retryingLoad(o: LoadOptions): Promise<LoadReport> {
  const r: LoadReport = { accepted: new Map(), answers: {}, unexpected: [], unfinished: [], slowestMs: 0 };
  let stopping = false;
  let hardStop = false;
  void o.until.catch(() => undefined).then(() => {
    stopping = true;
    setTimeout(() => (hardStop = true), o.settleMs ?? 20_000).unref();
  });
  const count = (k: string) => (r.answers[k] = (r.answers[k] ?? 0) + 1);
  const one = async (i: number) => {
    const key = `load-${i}-${Math.random().toString(36).slice(2, 8)}`;
    const body = JSON.stringify(o.body(i, key));
    while (!hardStop) {
      const started = Date.now();
      try {
        const res = await fetch(`${o.url}/v1/messages`, {
          method: "POST",
          headers: { authorization: `Bearer ${o.apiKey}`, "content-type": "application/json", "idempotency-key": key },
          body,
          signal: AbortSignal.timeout(o.timeoutMs ?? 10_000),
        });
        const text = await res.text();
        r.slowestMs = Math.max(r.slowestMs, Date.now() - started);
        count(String(res.status));
        if (res.status === 202) {
          r.accepted.set(key, (JSON.parse(text) as { id: string }).id);
          return;
        }
        const again = res.status === 503 || res.status === 409 || res.status === 429;
        if (!again) {
          r.unexpected.push(`${res.status} ${text}`);
          if (res.status < 500) return;
        }
        // As told: Retry-After (503 and 429 carry it), else a short pause.
        const after = Number(res.headers.get("retry-after"));
        await new Promise((res) => setTimeout(res, after > 0 ? after * 1000 : 100));
        continue;
      } catch (err) {
        r.slowestMs = Math.max(r.slowestMs, Date.now() - started);
        count((err as Error).name === "TimeoutError" ? "timeout" : "error");
      }
      await new Promise((res) => setTimeout(res, 100));
    }
    r.unfinished.push(key);
  };
  const running: Promise<void>[] = [];
  const gap = 1000 / o.perSecond;
  const t0 = Date.now();
  for (let i = 0; !stopping; i++) {
    running.push(one(i));
    const next = t0 + (i + 1) * gap;
    await new Promise((res) => setTimeout(res, Math.max(0, next - Date.now())));
  }
  await Promise.all(running);
  return r;
}
