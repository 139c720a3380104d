import type { Context } from "hono";
import * as v from "valibot";
import { parseJsonBody } from "../../../../lib/parse.js";
import { PasskeyRefusal, passkeyRefused } from "../../../../lib/passkeys/refusal.js";
import type { RequestFacts } from "../../../../lib/passkeys/authentication-verify.js";
import type { AppEnv } from "../../../env.js";

/** Where the request came from, for the audit log. */
export const factsOf = (c: Context<AppEnv>): RequestFacts => ({ ip: c.env.ip ?? null, userAgent: c.req.header("user-agent") ?? null });

/** The ceremony bodies are JSON (the passkey script sends them); parsed once, Hono keeps the text. */
export async function jsonBody<S extends v.GenericSchema>(c: Context<AppEnv>, schema: S): Promise<v.InferOutput<S>> {
  const raw = await c.req.text();
  return parseJsonBody(schema, raw.trim() === "" ? "{}" : raw);
}

/** A refused ceremony answers 401 passkey_refused and nothing more (the reason is in the audit log). */
export async function orRefused<T>(p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (err) {
    if (err instanceof PasskeyRefusal) throw passkeyRefused();
    throw err;
  }
}

/** Where to go after signing in: a dashboard path only (never another site). */
export const nextPath = (next: unknown) =>
  typeof next === "string" && /^\/app(\/[A-Za-z0-9/_\-.?=&%]*)?$/.test(next) && !next.includes("//") ? next : "/app";

export const Invitation = v.pipe(v.string(), v.maxLength(200));
