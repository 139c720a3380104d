import { decodeClientDataJSON } from "@simplewebauthn/server/helpers";
import type { AuthenticationResponseJSON, RegistrationResponseJSON } from "@simplewebauthn/server";
import * as v from "valibot";
import { PasskeyRefusal } from "./refusal.js";

/**
 * The JSON a browser's PublicKeyCredential turns into (WebAuthn L3 toJSON), checked for
 * shape before any of it is believed. Bounds are generous: real authenticators vary, and
 * the cryptographic checks that follow are what decide.
 */
const b64url = (max: number) => v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]+$/, "must be base64url"), v.maxLength(max));

const base = {
  id: b64url(1364),
  rawId: b64url(1364),
  type: v.literal("public-key"),
  authenticatorAttachment: v.optional(v.picklist(["platform", "cross-platform"])),
  clientExtensionResults: v.optional(v.record(v.string(), v.unknown()), {}),
};

export const RegistrationResponseSchema = v.object({
  ...base,
  response: v.object({
    clientDataJSON: b64url(8192),
    attestationObject: b64url(65536),
    transports: v.optional(v.array(v.pipe(v.string(), v.maxLength(32))), []),
    authenticatorData: v.optional(b64url(65536)),
    publicKey: v.optional(b64url(8192)),
    publicKeyAlgorithm: v.optional(v.number()),
  }),
});

export const AuthenticationResponseSchema = v.object({
  ...base,
  response: v.object({
    clientDataJSON: b64url(8192),
    authenticatorData: b64url(8192),
    signature: b64url(1024),
    userHandle: v.optional(v.pipe(v.string(), v.maxLength(128))),
  }),
});

/** Shape-checks a response and reads the challenge it signed; a malformed one is refused. */
export function readResponse<S extends typeof RegistrationResponseSchema | typeof AuthenticationResponseSchema>(
  schema: S,
  input: unknown,
): { response: S extends typeof RegistrationResponseSchema ? RegistrationResponseJSON : AuthenticationResponseJSON; challenge: string } {
  const r = v.safeParse(schema, input);
  if (!r.success || r.output.id !== r.output.rawId) throw new PasskeyRefusal("malformed_response");
  let challenge: unknown;
  try {
    challenge = decodeClientDataJSON(r.output.response.clientDataJSON).challenge;
  } catch {
    throw new PasskeyRefusal("malformed_response");
  }
  if (typeof challenge !== "string") throw new PasskeyRefusal("malformed_response");
  return { response: r.output as never, challenge };
}

/** Transports worth remembering (hints for the browser next time), as WebAuthn names them. */
const TRANSPORTS = new Set(["ble", "cable", "hybrid", "internal", "nfc", "smart-card", "usb"]);
export const knownTransports = (t: readonly string[] | undefined) => [...new Set((t ?? []).filter((x) => TRANSPORTS.has(x)))];
