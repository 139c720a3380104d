/**
 * Time on QStash's wire: durations in headers, the retry backoff, the custom
 * `Upstash-Retry-Delay` expression, and the Retry-After family a destination may answer.
 */

export class BadRequest extends Error {}

export const SECOND_MS = 1_000;
export const DAY_MS = 86_400_000;

const UNIT_MS: Record<string, number> = { d: DAY_MS, h: 3_600_000, m: 60_000, s: SECOND_MS };

/**
 * `Upstash-Delay`, `Upstash-Timeout`, a flow-control `period`: `<value><unit>` with units
 * d, h, m, s, chained as in `1d10h30m` (QStash's OpenAPI). No `ms`: neither the docs nor
 * the client's `Duration` type (`${bigint}${"s"|"m"|"h"|"d"}`) have it, so `500ms` is a 400.
 */
export function parseDuration(value: string, header: string): number {
  const v = value.trim();
  if (!/^(\d+[dhms])+$/.test(v)) {
    throw new BadRequest(`invalid ${header} "${value}": expected <value><unit> with units d, h, m, s (e.g. 10s, 2m, 1d10h30m)`);
  }
  let ms = 0;
  for (const [, n, unit] of v.matchAll(/(\d+)([dhms])/g)) ms += Number(n) * UNIT_MS[unit!]!;
  return ms;
}

/**
 * QStash's default backoff (docs, "Retry"): `delay = min(86400, e ** (2.5*n))` seconds,
 * n = how many times the message has been retried. `retried` here is the failed
 * attempt's `Upstash-Retried` (0 after the first attempt), the same meaning the
 * `Upstash-Retry-Delay` variable has ("0 for the first retry"): 1 s, 12 s, 2m28s, 30m8s,
 * 6h7m, then the 1-day cap.
 */
export function defaultBackoff(retried: number): number {
  return Math.min(86_400, Math.exp(2.5 * retried)) * SECOND_MS;
}

type Node = (retried: number) => number;

const FUNCTIONS: Record<string, { arity: number; fn: (...a: number[]) => number }> = {
  pow: { arity: 2, fn: (x, y) => Math.pow(x!, y!) },
  sqrt: { arity: 1, fn: (x) => Math.sqrt(x!) },
  abs: { arity: 1, fn: (x) => Math.abs(x!) },
  exp: { arity: 1, fn: (x) => Math.exp(x!) },
  floor: { arity: 1, fn: (x) => Math.floor(x!) },
  ceil: { arity: 1, fn: (x) => Math.ceil(x!) },
  round: { arity: 1, fn: (x) => Math.round(x!) },
  min: { arity: 2, fn: (x, y) => Math.min(x!, y!) },
  max: { arity: 2, fn: (x, y) => Math.max(x!, y!) },
};

/**
 * `Upstash-Retry-Delay`: an arithmetic expression in milliseconds over `retried`
 * (+ - * / and parentheses; pow sqrt abs exp floor ceil round min max). Parsed once at
 * publish, so a bad expression is a 400 then rather than a surprise at the first retry.
 */
export function compileRetryDelay(source: string): (retried: number) => number {
  const tokens = source.match(/\d+(?:\.\d+)?|[A-Za-z_]+|[-+*/(),]|\S/g) ?? [];
  let i = 0;
  const fail = (why: string): never => {
    throw new BadRequest(`invalid Upstash-Retry-Delay "${source}": ${why}`);
  };
  const peek = () => tokens[i];
  const take = (t?: string) => {
    const tok = tokens[i++];
    if (tok === undefined || (t !== undefined && tok !== t)) fail(t ? `expected "${t}"` : "unexpected end");
    return tok!;
  };
  const expr = (): Node => {
    let left = term();
    while (peek() === "+" || peek() === "-") {
      const op = take();
      const l = left, r = term();
      left = op === "+" ? (n) => l(n) + r(n) : (n) => l(n) - r(n);
    }
    return left;
  };
  const term = (): Node => {
    let left = unary();
    while (peek() === "*" || peek() === "/") {
      const op = take();
      const l = left, r = unary();
      left = op === "*" ? (n) => l(n) * r(n) : (n) => l(n) / r(n);
    }
    return left;
  };
  const unary = (): Node => {
    if (peek() === "-") {
      take();
      const inner = unary();
      return (n) => -inner(n);
    }
    if (peek() === "+") take();
    return atom();
  };
  const atom = (): Node => {
    const tok = take();
    if (/^\d/.test(tok)) {
      const v = Number(tok);
      return () => v;
    }
    if (tok === "(") {
      const inner = expr();
      take(")");
      return inner;
    }
    if (tok === "retried") return (n) => n;
    const f = FUNCTIONS[tok];
    if (!f) return fail(`unknown name "${tok}"`);
    take("(");
    const args: Node[] = [expr()];
    while (peek() === ",") {
      take();
      args.push(expr());
    }
    take(")");
    if (args.length !== f.arity) fail(`${tok} takes ${f.arity} argument(s)`);
    return (n) => f.fn(...args.map((a) => a(n)));
  };
  if (tokens.length === 0) fail("empty");
  const root = expr();
  if (i !== tokens.length) fail(`unexpected "${tokens[i]}"`);
  return (retried) => {
    const v = root(retried);
    return Number.isFinite(v) ? Math.max(0, v) : DAY_MS;
  };
}

const GO_UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, "µs": 1e-3, ms: 1, s: SECOND_MS, m: 60_000, h: 3_600_000 };

/**
 * Retry-After, X-RateLimit-Reset, X-RateLimit-Reset-Requests, X-RateLimit-Reset-Tokens on
 * a failed delivery's response: seconds, an RFC 1123 date, or a Go duration (`6m5s`).
 * Honoured up to one day; beyond that QStash falls back to its backoff (docs, "Retry").
 */
export function retryAfterMs(headers: Headers, now: number): number | undefined {
  for (const name of ["retry-after", "x-ratelimit-reset", "x-ratelimit-reset-requests", "x-ratelimit-reset-tokens"]) {
    const raw = headers.get(name)?.trim();
    if (!raw) continue;
    let ms: number | undefined;
    if (/^\d+$/.test(raw)) ms = Number(raw) * SECOND_MS;
    else if (/^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/.test(raw)) {
      ms = 0;
      for (const [, n, unit] of raw.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)) ms += Number(n) * GO_UNIT_MS[unit!]!;
    } else {
      const at = Date.parse(raw);
      if (!Number.isNaN(at)) ms = Math.max(0, at - now);
    }
    if (ms !== undefined) return ms <= DAY_MS ? ms : undefined;
  }
  return undefined;
}
