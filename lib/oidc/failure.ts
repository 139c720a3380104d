import { withUser } from "../../db/tenant.js";
import type { Services } from "../context.js";
import { recordPersonEvent } from "../passkeys/person-audit.js";
import type { OidcRefusal } from "./refusal.js";
import type { RequestFacts } from "./sign-in.js";

/**
 * Every refused Google sign-in, link or acceptance goes to the structured log with its
 * reason; when it concerns a known person (a link from their session, a disabled
 * account) their workspaces' audit logs get it too. An invitation refused for another
 * email is audited in the inviting workspace where it happens (sign-in.ts). Never a
 * code, token, state, nonce or secret: the refusal carries none.
 */
export async function recordGoogleFailure(s: Services, refusal: OidcRefusal, facts: RequestFacts): Promise<void> {
  const action = refusal.purpose === "link" ? "google.link_failed" : "google.sign_in_failed";
  const event = {
    action,
    objectType: "identity",
    ip: facts.ip ?? null,
    userAgent: facts.userAgent ?? null,
    details: { reason: refusal.reason, ...(refusal.detail ? { detail: refusal.detail } : {}), purpose: refusal.purpose ?? null },
  };
  const userId = refusal.userId;
  if (!userId) return recordPersonEvent(s, null, null, event);
  await withUser(s.db, userId, (tx) => recordPersonEvent(s, tx, userId, event));
}
