import type { PasskeySummary } from "../../../lib/passkeys/store.js";

/** A passkey as the dashboard's scripts read it: never its key or credential id. */
export const passkeyJson = (k: PasskeySummary) => ({
  id: k.id,
  name: k.name,
  created_at: k.createdAt.toISOString(),
  last_used_at: k.lastUsedAt?.toISOString() ?? null,
  backup_eligible: k.backupEligible,
  backed_up: k.backedUp,
  transports: k.transports,
});
