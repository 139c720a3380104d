import type { Config } from "../config.js";

export interface RelyingParty {
  /** The registrable domain passkeys are bound to: PUBLIC_URL's host name. */
  rpID: string;
  /** The one origin a ceremony may have run on: PUBLIC_URL's. */
  origin: string;
  name: string;
}

/**
 * Passkeys are bound to the host people reach Sandesh on, so RP ID and origin come from
 * PUBLIC_URL and nowhere else (never from a request's Host header, which a client picks).
 */
export function relyingParty(config: Config): RelyingParty {
  const u = new URL(config.publicUrl);
  return { rpID: u.hostname, origin: u.origin, name: "Sandesh" };
}

/** What every response is checked against: the challenge it signed, PUBLIC_URL's origin and RP ID, the ceremony's type. */
export function expectations(config: Config, challenge: string, type: "webauthn.create" | "webauthn.get") {
  const rp = relyingParty(config);
  return { expectedChallenge: challenge, expectedOrigin: rp.origin, expectedRPID: rp.rpID, expectedType: type };
}
