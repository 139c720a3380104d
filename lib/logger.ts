/**
 * JSON lines. Every record passes through `redact`, so a secret that reaches a log
 * call by mistake (an API key, a bearer token, a Meta token, a cookie) is masked
 * rather than written.
 */
export type Level = "debug" | "info" | "warn" | "error";
const ORDER: Record<Level | "silent", number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

const SECRET_KEYS = /^(authorization|cookie|set-cookie|token|access_token|api_key|key|secret|password|master_kek|plaintext|meta_token|csrf|csrf_token|id_token|refresh_token|client_secret|code_verifier|otpauth_uri|totp_secret|recovery_code|recovery_codes)$/i;
const SECRET_PATTERNS: RegExp[] = [
  /\bsk_[A-Za-z0-9]{8,}/g, // Sandesh API keys
  /\bwhsec_[A-Za-z0-9+/=]{8,}/g, // webhook signing secrets
  /\b(?:ses|inv|sgr)_[A-Za-z0-9_-]{16,}/g, // session cookies, invitation links, support tokens (lib/people/tokens.ts)
  /\bBearer\s+[A-Za-z0-9._~+/=-]{8,}/gi,
  /\bEAA[A-Za-z0-9]{20,}/g, // Meta access tokens start with EAA
  // Graph SDKs may put the key in the query string: a URL quoted in an error keeps no token of any shape.
  /\baccess_token=[^&\s"'#]+/gi,
  // OpenID Connect: ID tokens (any JWT), Google access tokens, authorization codes and secrets in a quoted URL or form.
  /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/g,
  /\bya29\.[A-Za-z0-9._-]{8,}/g,
  /\b(code|client_secret|code_verifier|id_token|state|nonce)=[^&\s"'#]+/gi,
  // A TOTP enrolment URI carries the secret; recovery codes have their own shape (lib/factors/recovery-code.ts).
  /\botpauth:\/\/[^\s"'<>]+/gi,
  /\b[0-9a-hjkmnp-tv-z]{4}(?:-[0-9a-hjkmnp-tv-z]{4}){3}\b/g,
];

export function redactString(s: string): string {
  let out = s;
  for (const re of SECRET_PATTERNS) out = out.replace(re, "[redacted]");
  return out;
}

export function redact(value: unknown, depth = 0): unknown {
  if (depth > 6) return "[deep]";
  if (typeof value === "string") return redactString(value);
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  if (value instanceof Error) {
    // A failed query's message repeats its parameters (message bodies, phone numbers,
    // sealed tokens): only the database's own error is logged.
    const cause = (value as { cause?: unknown }).cause;
    if ("query" in value && "params" in value) {
      const c = cause as { code?: string; message?: string } | undefined;
      return { name: value.name, message: "query failed", code: c?.code ?? null, cause: c?.message ? redactString(c.message) : null };
    }
    return { name: value.name, message: redactString(value.message) };
  }
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = SECRET_KEYS.test(k) ? "[redacted]" : redact(v, depth + 1);
    return out;
  }
  return value;
}

export function createLogger(level: Level | "silent", write: (line: string) => void = (l) => console.log(l)): Logger {
  const min = ORDER[level];
  const emit = (lvl: Level) => (msg: string, fields?: Record<string, unknown>) => {
    if (ORDER[lvl] < min) return;
    const record = { time: new Date().toISOString(), level: lvl, msg: redactString(msg), ...(fields ? (redact(fields) as object) : {}) };
    write(JSON.stringify(record));
  };
  return { debug: emit("debug"), info: emit("info"), warn: emit("warn"), error: emit("error") };
}
