import { isoBase64URL } from "@simplewebauthn/server/helpers";
import { sha256Hex } from "../crypto/encoding.js";
import type { Services } from "../context.js";
import { defineScript } from "../redis/port.js";
import { PasskeyRefusal } from "./refusal.js";
import takeSource from "./take-challenge.lua.js";

const TAKE = defineScript("take_challenge", takeSource);

/** How long a person has between asking for a ceremony's options and answering them. */
export const CHALLENGE_TTL_S = 300;

export type Ceremony = "registration" | "authentication";

/**
 * What a challenge was issued for. A registration is bound to the person adding a passkey
 * (signed in) or to the invitation being accepted (by its token's hash), and carries the
 * user handle the authenticator was given; an authentication is bound to nobody (the
 * passkey says whose it is).
 */
export type ChallengeSubject =
  | { ceremony: "registration"; userId: string; userHandle: string }
  | { ceremony: "registration"; invitationHash: string; userHandle: string }
  | { ceremony: "authentication" };

type Stored = ChallengeSubject & { issuedAt: number };

// Keyed by the challenge's hash: the challenge itself is stored nowhere, so neither a
// key listing nor a value read shows one.
const keyOf = async (challenge: string) => `passkey:challenge:${await sha256Hex(challenge)}`;

/** A fresh 32-byte challenge for one ceremony, remembered for five minutes. */
export async function issueChallenge(s: Services, subject: ChallengeSubject): Promise<string> {
  const challenge = isoBase64URL.fromBuffer(crypto.getRandomValues(new Uint8Array(32)));
  const stored: Stored = { ...subject, issuedAt: s.clock.now().getTime() };
  await s.redis.set(await keyOf(challenge), JSON.stringify(stored), { ex: CHALLENGE_TTL_S });
  return challenge;
}

/**
 * Takes the challenge a response signed (from its clientDataJSON): it is gone from that
 * moment, whatever the verification that follows decides. Refused when it was never
 * issued, is used, has expired, or was issued for another ceremony.
 */
export async function takeChallenge<C extends Ceremony>(s: Services, challenge: string, ceremony: C): Promise<Extract<ChallengeSubject, { ceremony: C }>> {
  if (!/^[A-Za-z0-9_-]{43}$/.test(challenge)) throw new PasskeyRefusal("challenge_unknown");
  const raw = await s.redis.run<string | null>(TAKE, [await keyOf(challenge)], []);
  if (!raw) throw new PasskeyRefusal("challenge_unknown");
  const stored = JSON.parse(raw) as Stored;
  // Redis expires the key too; the clock decides first, so the bound holds to the second.
  if (s.clock.now().getTime() - stored.issuedAt > CHALLENGE_TTL_S * 1000) throw new PasskeyRefusal("challenge_expired");
  if (stored.ceremony !== ceremony) throw new PasskeyRefusal("challenge_other_ceremony");
  const { issuedAt: _, ...subject } = stored;
  return subject as Extract<ChallengeSubject, { ceremony: C }>;
}
