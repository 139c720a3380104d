import { withUser } from "../../db/tenant.js";
import type { Services } from "../context.js";
import { recordPersonEvent } from "../people/person-audit.js";
import { recordSignInFailure } from "../sessions/sign-in-failure.js";
import type { OidcRefusal } from "./refusal.js";
import type { RequestFacts } from "./sign-in.js";

/**
 * Every refused Google sign-in, acceptance or link goes to the structured log with its
 * reason; when it concerns a known person (a link from their session, a disabled
 * account) their workspaces' audit logs get it too: `sign_in.failed` (method google)
 * like a passkey's, `google.link_failed` for a link. An invitation refused for another
 * email is audited in the inviting workspace where it happens (sign-in.ts). Never a
 * code, token, state, nonce or secret: the refusal carries none.
 */
export async function recordGoogleFailure(s: Services, refusal: OidcRefusal, facts: RequestFacts): Promise<void> {
  const reason = refusal.reason;
  if (refusal.purpose !== "link") {
    s.logger.info("google.refusal", { reason, detail: refusal.detail ?? null, purpose: refusal.purpose ?? null });
    return recordSignInFailure(s, { method: "google", reason, userId: refusal.userId ?? null, ip: facts.ip ?? null, userAgent: facts.userAgent ?? null });
  }
  const event = { action: "google.link_failed", objectType: "identity", ip: facts.ip ?? null, userAgent: facts.userAgent ?? null, details: { reason, ...(refusal.detail ? { detail: refusal.detail } : {}) } };
  const userId = refusal.userId;
  if (!userId) return recordPersonEvent(s, null, null, event);
  await withUser(s.db, userId, (tx) => recordPersonEvent(s, tx, userId, event));
}
