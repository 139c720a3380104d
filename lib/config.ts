import * as v from "valibot";
import { MIN_BITS, secretProblems } from "./secret-strength.js";
import { parseTrustProxy, type TrustProxy } from "./client-address.js";

/**
 * The whole configuration surface. Entry points (dev/server.ts, functions/index.ts,
 * the admin CLI) hand their raw environment to `parseConfig`; nothing else reads env.
 */

const EXAMPLES: Record<string, string> = {
  SANDESH_ENV: "production",
  DATABASE_URL: "postgres://sandesh_app@127.0.0.1:5432/sandesh",
  DATABASE_MIGRATION_URL: "postgres://postgres@127.0.0.1:5432/sandesh",
  REDIS_URL: "redis://127.0.0.1:6379",
  UPSTASH_REDIS_REST_URL: "https://eu1-example.upstash.io",
  UPSTASH_REDIS_REST_TOKEN: "AX…",
  REDIS_PREFIX: "sandesh:",
  QSTASH_URL: "https://qstash.upstash.io",
  QSTASH_TOKEN: "eyJVc2VySUQiOi…",
  QSTASH_CURRENT_SIGNING_KEY: "sig_…",
  QSTASH_NEXT_SIGNING_KEY: "sig_…",
  MASTER_KEK: "output of `openssl rand -base64 32`",
  VAULT_KEY_VERSION: "1",
  META_APP_SECRET: "the app secret from Meta's App Dashboard",
  META_VERIFY_TOKEN: "any random string you also give Meta",
  META_GRAPH_URL: "https://graph.facebook.com",
  META_API_VERSION: "v21.0",
  GRAPH_SEND_WAIT_MS: "10000",
  PUBLIC_URL: "https://sandesh.example.com",
  PORT: "8787",
  SWEEP_INTERVAL_S: "60",
  LOG_LEVEL: "info",
  TRUST_PROXY: "none | 1 | cloudflare",
  CORS_ORIGINS: "https://admin.example.com,https://ops.example.com",
  GOOGLE_CLIENT_ID: "1234567890-abc.apps.googleusercontent.com",
  GOOGLE_CLIENT_SECRET: "GOCSPX-… from the Google Cloud console",
  OIDC_ISSUER: "https://accounts.google.com",
};

const secret = (min: number) =>
  v.pipe(v.string(), v.minLength(min, `must be at least ${min} characters`));
const url = v.pipe(v.string(), v.url("must be a URL"));
const int = (min: number, max: number) =>
  v.pipe(
    v.string(),
    v.regex(/^\d+$/, "must be a whole number"),
    v.transform(Number),
    v.minValue(min, `must be at least ${min}`),
    v.maxValue(max, `must be at most ${max}`),
  );

const EnvSchema = v.object({
  SANDESH_ENV: v.optional(v.picklist(["production", "development", "test"], "must be production, development or test"), "development"),
  DATABASE_URL: v.pipe(v.string("is required"), v.regex(/^postgres(ql)?:\/\//, "must be a postgres:// URL")),
  DATABASE_MIGRATION_URL: v.optional(v.pipe(v.string(), v.regex(/^postgres(ql)?:\/\//, "must be a postgres:// URL"))),
  REDIS_URL: v.optional(v.pipe(v.string(), v.regex(/^rediss?:\/\//, "must be a redis:// or rediss:// URL"))),
  UPSTASH_REDIS_REST_URL: v.optional(url),
  UPSTASH_REDIS_REST_TOKEN: v.optional(secret(1)),
  REDIS_PREFIX: v.optional(v.pipe(v.string(), v.regex(/^[a-z0-9_:-]{1,32}$/i, "must be 1-32 of a-z 0-9 _ : -")), "sandesh:"),
  QSTASH_URL: v.optional(url),
  QSTASH_TOKEN: v.optional(secret(1)),
  QSTASH_CURRENT_SIGNING_KEY: v.optional(secret(8)),
  QSTASH_NEXT_SIGNING_KEY: v.optional(secret(8)),
  MASTER_KEK: v.pipe(v.string("is required"), v.minLength(32, "must be at least 32 characters of high-entropy secret")),
  VAULT_KEY_VERSION: v.optional(int(1, 1000), "1"),
  META_APP_SECRET: v.pipe(v.string("is required"), v.minLength(16, "must be at least 16 characters")),
  META_VERIFY_TOKEN: v.pipe(v.string("is required"), v.minLength(16, "must be at least 16 characters")),
  META_GRAPH_URL: v.optional(url, "https://graph.facebook.com"),
  META_API_VERSION: v.optional(v.pipe(v.string(), v.regex(/^v\d+\.\d+$/, "must look like v21.0")), "v21.0"),
  GRAPH_SEND_WAIT_MS: v.optional(int(0, 60_000), "10000"),
  PUBLIC_URL: v.optional(url),
  PORT: v.optional(int(1, 65535), "8787"),
  SWEEP_INTERVAL_S: v.optional(int(1, 3600)),
  LOG_LEVEL: v.optional(v.picklist(["debug", "info", "warn", "error", "silent"], "must be debug, info, warn, error or silent"), "info"),
  TRUST_PROXY: v.optional(v.pipe(v.string(), v.check((x) => parseTrustProxy(x) !== undefined, "must be none, a number of proxies from 1 to 9, or cloudflare"))),
  CORS_ORIGINS: v.optional(v.pipe(v.string(), v.check((x) => parseOrigins(x) !== undefined, "must be comma-separated origins (scheme://host[:port], no path)"))),
  GOOGLE_CLIENT_ID: v.optional(v.pipe(v.string(), v.regex(/^[\x21-\x7e]{1,256}$/, "must be the OAuth client id (no spaces)"))),
  GOOGLE_CLIENT_SECRET: v.optional(secret(8)),
  // No trailing slash: the issuer is compared with the ID token's `iss` character for character.
  OIDC_ISSUER: v.optional(v.pipe(url, v.check((x) => !x.endsWith("/"), "must not end with /")), "https://accounts.google.com"),
});

/** `https://a.example, http://localhost:5173` → their origins; undefined if one is not an origin. */
export function parseOrigins(raw: string): string[] | undefined {
  const out: string[] = [];
  for (const part of raw.split(",").map((p) => p.trim()).filter(Boolean)) {
    let u: URL;
    try {
      u = new URL(part);
    } catch {
      return undefined;
    }
    if ((u.protocol !== "https:" && u.protocol !== "http:") || u.origin !== part.replace(/\/$/, "")) return undefined;
    out.push(u.origin);
  }
  return out;
}

export type RedisConfig =
  | { kind: "tcp"; url: string; prefix: string }
  | { kind: "upstash"; url: string; token: string; prefix: string };

export interface Config {
  env: "production" | "development" | "test";
  databaseUrl: string;
  migrationDatabaseUrl: string;
  redis: RedisConfig;
  qstash?: { url?: string; token: string; currentSigningKey: string; nextSigningKey: string };
  vault: { currentVersion: number; keks: Record<number, string> };
  meta: { appSecret: string; verifyToken: string; graphUrl: string; apiVersion: string };
  /** How long the Graph-compatible route waits for a send's wamid before answering without it. */
  graph: { sendWaitMs: number };
  publicUrl: string;
  port: number;
  logLevel: "debug" | "info" | "warn" | "error" | "silent";
  /** What stands in front of the server, so the client address can be known (lib/client-address.ts). */
  trustProxy: TrustProxy;
  /**
   * Origins a browser may send state-changing /app requests from, and which CORS answers
   * (with credentials): PUBLIC_URL's origin first, then CORS_ORIGINS.
   */
  allowedOrigins: string[];
  /** Google sign-in (OpenID Connect); absent when GOOGLE_CLIENT_ID is not set. */
  google?: { clientId: string; clientSecret: string; issuer: string };
  /** Node: how often the sweeps run (lease, stuck, stranded statuses, webhooks); 60 s unless set. */
  sweepIntervalS?: number;
}

export type ConfigResult = { ok: true; config: Config } | { ok: false; problems: string[] };

const problem = (name: string, what: string) =>
  `${name}: ${what} (example: ${name}=${EXAMPLES[name] ?? "…"})`;

/** Validates the raw environment; every problem is reported, one line each. */
export function parseConfig(raw: Record<string, string | undefined>): ConfigResult {
  const env = Object.fromEntries(Object.entries(raw).filter(([, val]) => val !== undefined && val !== ""));
  const parsed = v.safeParse(EnvSchema, env);
  const problems: string[] = [];
  if (!parsed.success) {
    for (const issue of parsed.issues) {
      const name = String(issue.path?.[0]?.key ?? "environment");
      const what = issue.received === "undefined" ? "is required" : issue.message;
      problems.push(problem(name, what));
    }
    return { ok: false, problems };
  }
  const e = parsed.output;
  const prod = e.SANDESH_ENV === "production";

  let redis: RedisConfig | undefined;
  if (e.UPSTASH_REDIS_REST_URL || e.UPSTASH_REDIS_REST_TOKEN) {
    if (!e.UPSTASH_REDIS_REST_URL) problems.push(problem("UPSTASH_REDIS_REST_URL", "is required with UPSTASH_REDIS_REST_TOKEN"));
    else if (!e.UPSTASH_REDIS_REST_TOKEN) problems.push(problem("UPSTASH_REDIS_REST_TOKEN", "is required with UPSTASH_REDIS_REST_URL"));
    else redis = { kind: "upstash", url: e.UPSTASH_REDIS_REST_URL, token: e.UPSTASH_REDIS_REST_TOKEN, prefix: e.REDIS_PREFIX };
  } else if (e.REDIS_URL) {
    redis = { kind: "tcp", url: e.REDIS_URL, prefix: e.REDIS_PREFIX };
  } else {
    problems.push(problem("REDIS_URL", "is required (or UPSTASH_REDIS_REST_URL with UPSTASH_REDIS_REST_TOKEN)"));
  }

  let qstash: Config["qstash"];
  if (e.QSTASH_TOKEN) {
    if (!e.QSTASH_CURRENT_SIGNING_KEY) problems.push(problem("QSTASH_CURRENT_SIGNING_KEY", "is required with QSTASH_TOKEN"));
    if (!e.QSTASH_NEXT_SIGNING_KEY) problems.push(problem("QSTASH_NEXT_SIGNING_KEY", "is required with QSTASH_TOKEN"));
    if (e.QSTASH_CURRENT_SIGNING_KEY && e.QSTASH_NEXT_SIGNING_KEY) {
      qstash = { token: e.QSTASH_TOKEN, currentSigningKey: e.QSTASH_CURRENT_SIGNING_KEY, nextSigningKey: e.QSTASH_NEXT_SIGNING_KEY, ...(e.QSTASH_URL ? { url: e.QSTASH_URL } : {}) };
    }
  }
  let google: Config["google"];
  if (e.GOOGLE_CLIENT_ID || e.GOOGLE_CLIENT_SECRET) {
    if (!e.GOOGLE_CLIENT_ID) problems.push(problem("GOOGLE_CLIENT_ID", "is required with GOOGLE_CLIENT_SECRET"));
    else if (!e.GOOGLE_CLIENT_SECRET) problems.push(problem("GOOGLE_CLIENT_SECRET", "is required with GOOGLE_CLIENT_ID"));
    else google = { clientId: e.GOOGLE_CLIENT_ID, clientSecret: e.GOOGLE_CLIENT_SECRET, issuer: e.OIDC_ISSUER };
  }
  // Codes and ID tokens travel to and from the issuer: in production only over TLS.
  if (prod && google && !e.OIDC_ISSUER.startsWith("https://")) problems.push(problem("OIDC_ISSUER", "must be https in production"));
  if (prod && !e.PUBLIC_URL) problems.push(problem("PUBLIC_URL", "is required in production"));
  // QStash signs its callbacks for this URL, and cookies will be Secure: plain http is a dev thing.
  if (prod && e.PUBLIC_URL && !e.PUBLIC_URL.startsWith("https://")) problems.push(problem("PUBLIC_URL", "must be https in production"));
  // Wrong either way is a hole: trusting headers nobody sets lets clients pick their
  // address; trusting none behind a proxy makes every client one address.
  if (prod && !e.TRUST_PROXY) problems.push(problem("TRUST_PROXY", "is required in production: say what is in front of Sandesh (none, how many proxies, or cloudflare)"));
  if (prod && !e.META_GRAPH_URL.startsWith("https://")) problems.push(problem("META_GRAPH_URL", "must be https in production"));

  // Earlier key versions stay readable until `vault rotate` has moved every field on.
  const keks: Record<number, string> = { [e.VAULT_KEY_VERSION]: e.MASTER_KEK };
  for (const [name, value] of Object.entries(env)) {
    const m = /^MASTER_KEK_V(\d+)$/.exec(name);
    if (!m || value === undefined) continue;
    const version = Number(m[1]);
    if (value.length < 32) problems.push(problem(name, "must be at least 32 characters of high-entropy secret"));
    else if (version !== e.VAULT_KEY_VERSION) keks[version] = value;
  }
  if (prod) {
    const named = (name: string, bits: number) => ({ name, value: env[name], bits });
    const earlier = Object.keys(keks).filter((k) => Number(k) !== e.VAULT_KEY_VERSION).map((k) => named(`MASTER_KEK_V${k}`, MIN_BITS.kek));
    const tokens = ["QSTASH_TOKEN", "UPSTASH_REDIS_REST_TOKEN", "GOOGLE_CLIENT_SECRET"].map((n) => named(n, 0)); // issued by Upstash and Google: only their distinctness is ours to check
    const signing = ["META_APP_SECRET", "META_VERIFY_TOKEN", "QSTASH_CURRENT_SIGNING_KEY", "QSTASH_NEXT_SIGNING_KEY"].map((n) => named(n, MIN_BITS.secret));
    for (const p of secretProblems([named("MASTER_KEK", MIN_BITS.kek), ...earlier, ...signing, ...tokens])) problems.push(problem(p.name, p.what));
  }

  if (problems.length) return { ok: false, problems };
  return {
    ok: true,
    config: {
      env: e.SANDESH_ENV,
      databaseUrl: e.DATABASE_URL,
      migrationDatabaseUrl: e.DATABASE_MIGRATION_URL ?? e.DATABASE_URL,
      redis: redis!,
      ...(qstash ? { qstash } : {}),
      vault: { currentVersion: e.VAULT_KEY_VERSION, keks },
      meta: { appSecret: e.META_APP_SECRET, verifyToken: e.META_VERIFY_TOKEN, graphUrl: e.META_GRAPH_URL.replace(/\/$/, ""), apiVersion: e.META_API_VERSION },
      graph: { sendWaitMs: e.GRAPH_SEND_WAIT_MS },
      publicUrl: (e.PUBLIC_URL ?? `http://localhost:${e.PORT}`).replace(/\/$/, ""),
      allowedOrigins: [...new Set([new URL(e.PUBLIC_URL ?? `http://localhost:${e.PORT}`).origin, ...(parseOrigins(e.CORS_ORIGINS ?? "") ?? [])])],
      port: e.PORT,
      logLevel: e.LOG_LEVEL,
      trustProxy: parseTrustProxy(e.TRUST_PROXY ?? "none")!,
      ...(e.SWEEP_INTERVAL_S ? { sweepIntervalS: e.SWEEP_INTERVAL_S } : {}),
      ...(google ? { google } : {}),
    },
  };
}
