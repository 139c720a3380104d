/**
 * Answers counted for what they are: only a 2xx is a send (or an ingested call); every
 * other answer is a refusal, counted by status and error code, so a benchmark that hit
 * a quota says so instead of reporting refusals as throughput.
 */
export interface Tally {
  record(status: number, body: string | undefined): void;
  /** 2xx answers. */
  readonly ok: number;
  /** Every other answer, keyed `429 quota_sender_per_second` (or just the status when the body names no code). */
  readonly refused: ReadonlyMap<string, number>;
  readonly total: number;
}

export function createTally(): Tally {
  let ok = 0;
  let total = 0;
  const refused = new Map<string, number>();
  return {
    record(status, body) {
      total++;
      if (status >= 200 && status < 300) {
        ok++;
        return;
      }
      const code = errorCodeOf(body);
      const key = code ? `${status} ${code}` : String(status);
      refused.set(key, (refused.get(key) ?? 0) + 1);
    },
    get ok() {
      return ok;
    },
    get refused() {
      return refused;
    },
    get total() {
      return total;
    },
  };
}

function errorCodeOf(body: string | undefined): string | undefined {
  if (!body) return undefined;
  try {
    const code = (JSON.parse(body) as { error?: { code?: unknown } }).error?.code;
    return typeof code === "string" ? code : undefined;
  } catch {
    return undefined;
  }
}

/** "none", or "43,883 (429 quota_sender_per_second 43,880, 503 temporarily_unavailable 3)". */
export function describeRefusals(t: Tally): string {
  const n = t.total - t.ok;
  if (!n) return "none";
  const parts = [...t.refused].sort((a, b) => b[1] - a[1]).map(([k, c]) => `${k} ${c.toLocaleString("en-US")}`);
  return `${n.toLocaleString("en-US")} (${parts.join(", ")})`;
}
