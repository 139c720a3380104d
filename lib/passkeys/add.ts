import type { PublicKeyCredentialCreationOptionsJSON } from "@simplewebauthn/server";
import { withUser } from "../../db/tenant.js";
import type { Services } from "../context.js";
import type { RequestFacts } from "./authentication-verify.js";
import { recordPersonEvent } from "../people/person-audit.js";
import { PasskeyRefusal } from "./refusal.js";
import { registrationOptions } from "./registration-options.js";
import { verifyRegistration } from "./registration-verify.js";
import { insertPasskey, passkeysOf, summary, type PasskeySummary } from "./store.js";

export interface Person {
  userId: string;
  email: string;
  displayName?: string | null;
}

/** A signed-in person starts adding a passkey: options bound to them, their passkeys excluded. */
export async function addPasskeyOptions(s: Services, p: Person): Promise<PublicKeyCredentialCreationOptionsJSON> {
  const existing = await withUser(s.db, p.userId, passkeysOf);
  return registrationOptions(s, {
    kind: "user",
    userId: p.userId,
    email: p.email,
    displayName: p.displayName ?? null,
    userHandle: existing[0]?.userHandle ?? null,
    existing: existing.map((r) => ({ credentialId: r.credentialId, transports: r.transports })),
  });
}

/**
 * The signed-in person finishes: the response must answer a challenge issued to them.
 * The passkey and its audit rows land together; a refusal is recorded on its own.
 */
export async function addPasskey(s: Services, p: Person, response: unknown, name: string | undefined, facts: RequestFacts = {}): Promise<PasskeySummary> {
  try {
    const verified = await verifyRegistration(s, response, { userId: p.userId });
    return await withUser(s.db, p.userId, async (tx) => {
      const row = await insertPasskey(tx, p.userId, verified, name, s.clock.now());
      await recordPersonEvent(s, tx, p.userId, {
        action: "passkey.added",
        objectType: "passkey",
        objectId: row.id,
        ...facts,
        details: { name: row.name, backup_eligible: row.backupEligible, backed_up: row.backedUp },
      });
      return summary(row);
    });
  } catch (err) {
    if (err instanceof PasskeyRefusal) {
      await withUser(s.db, p.userId, (tx) =>
        recordPersonEvent(s, tx, p.userId, { action: "passkey.add_failed", objectType: "passkey", ...facts, details: { reason: err.reason } }),
      );
    }
    throw err;
  }
}
