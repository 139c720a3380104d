import type { Services } from "../context.js";
import { createSession, type CreatedSession } from "../sessions/create.js";
import { verifyPasskeySignIn, type RequestFacts } from "./authentication-verify.js";

/** A passkey sign-in, end to end: the ceremony's checks, then a new session (never an old one). */
export async function signInWithPasskey(s: Services, response: unknown, facts: RequestFacts = {}): Promise<CreatedSession> {
  const ok = await verifyPasskeySignIn(s, response, facts);
  return createSession(s, { userId: ok.userId, method: "passkey", userVerified: ok.userVerified, ip: facts.ip ?? null, userAgent: facts.userAgent ?? null });
}
