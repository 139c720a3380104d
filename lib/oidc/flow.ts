import { base64url } from "jose";
import * as v from "valibot";
import type { Services } from "../context.js";
import { sha256Hex } from "../crypto/encoding.js";
import { defineScript } from "../redis/port.js";
import { OidcRefusal } from "./refusal.js";

/**
 * One sign-in attempt between /start and /callback, kept server-side: Redis holds the
 * nonce, the PKCE verifier and what the attempt is for, under the hash of `state`,
 * single use, for FLOW_TTL_S. The browser that started it holds a random binding in a
 * short-lived cookie; the record holds only the binding's hash. A callback whose state
 * is unknown, used, expired, or arrives in another browser is refused (and the record
 * is gone either way: a state cannot be tried twice).
 */
export const FLOW_TTL_S = 600;
export const FLOW_COOKIE = "__Host-sandesh_oidc";

export type FlowPurpose =
  | { kind: "sign-in" }
  /** The invitation's token: the invitee accepts it with the Google account. */
  | { kind: "invitation"; token: string }
  /** A signed-in user adds Google as a sign-in method. */
  | { kind: "link"; userId: string; sessionId: string };

const Purpose = v.variant("kind", [
  v.object({ kind: v.literal("sign-in") }),
  v.object({ kind: v.literal("invitation"), token: v.string() }),
  v.object({ kind: v.literal("link"), userId: v.string(), sessionId: v.string() }),
]);
const Flow = v.object({ binding: v.string(), nonce: v.string(), verifier: v.string(), redirectUri: v.string(), purpose: Purpose });

export interface Flow {
  nonce: string;
  verifier: string;
  redirectUri: string;
  purpose: FlowPurpose;
}

const flowKey = async (state: string) => `oidc:flow:${await sha256Hex(state)}`;

/** 32 random bytes, base64url: state, nonce, PKCE verifier (43 characters, RFC 7636's minimum length and 256 bits) and binding alike. */
export const randomToken = () => base64url.encode(crypto.getRandomValues(new Uint8Array(32)));

const BINDING = /^[A-Za-z0-9_-]{43}$/;

/** Stores a new attempt; answers its state and the binding the browser must keep (an existing one is reused, so two tabs both work). */
export async function saveFlow(s: Services, flow: Flow, existingBinding?: string): Promise<{ state: string; binding: string }> {
  const state = randomToken();
  const binding = existingBinding && BINDING.test(existingBinding) ? existingBinding : randomToken();
  const record = { binding: await sha256Hex(binding), ...flow };
  await s.redis.set(await flowKey(state), JSON.stringify(record), { ex: FLOW_TTL_S });
  return { state, binding };
}

// GET and DEL in one step: two callbacks racing with one state cannot both read it.
const TAKE = defineScript("oidc_take_flow", `local v = redis.call('GET', KEYS[1])
if v then redis.call('DEL', KEYS[1]) end
return v`);

/** Takes (and so ends) the attempt `state` names, if this browser started it. */
export async function takeFlow(s: Services, state: string | undefined, binding: string | undefined): Promise<Flow> {
  if (!state || state.length > 128) throw new OidcRefusal("flow_unknown", "no state");
  const raw = await s.redis.run<string | null>(TAKE, [await flowKey(state)], []);
  if (!raw) throw new OidcRefusal("flow_unknown", "state unknown, expired or used");
  let stored: unknown;
  try {
    stored = JSON.parse(raw);
  } catch {
    stored = null;
  }
  const parsed = v.safeParse(Flow, stored);
  if (!parsed.success) throw new OidcRefusal("flow_unknown", "unreadable flow");
  const { binding: bound, ...flow } = parsed.output;
  if (!binding || !BINDING.test(binding) || (await sha256Hex(binding)) !== bound) throw new OidcRefusal("flow_binding", "state started in another browser");
  return flow;
}
