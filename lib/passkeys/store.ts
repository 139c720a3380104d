import { asc, eq, sql } from "drizzle-orm";
import type { Db, Tx } from "../../db/client.js";
import { passkeys } from "../../db/schema/index.js";
import { asApp } from "../../db/tenant.js";
import { PasskeyRefusal } from "./refusal.js";
import type { VerifiedCredential } from "./registration-verify.js";
import { defaultName } from "./names.js";

export type PasskeyRow = typeof passkeys.$inferSelect;

/** What a person sees of a passkey: never its key, nor the handle the authenticator keeps. */
export interface PasskeySummary {
  id: string;
  name: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  backupEligible: boolean;
  backedUp: boolean;
  transports: string[];
}

export const summary = (r: PasskeyRow): PasskeySummary => ({
  id: r.id,
  name: r.name,
  createdAt: r.createdAt,
  lastUsedAt: r.lastUsedAt,
  backupEligible: r.backupEligible,
  backedUp: r.backedUp,
  transports: r.transports,
});

/** Inside withUser: the person's passkeys, oldest first. */
export const passkeysOf = (tx: Tx) => tx.select().from(passkeys).orderBy(asc(passkeys.createdAt), asc(passkeys.id));

/** Before anyone is known: whose credential this is (a SECURITY DEFINER look-up, no key material). */
export async function passkeyOwner(db: Db, credentialId: string): Promise<{ passkeyId: string; userId: string; userDisabled: boolean } | null> {
  const rows = await asApp(db, (tx) =>
    tx.execute<{ passkey_id: string; user_id: string; user_disabled: boolean }>(sql`select * from sandesh_passkey_lookup(${credentialId})`),
  );
  const r = rows[0];
  return r ? { passkeyId: r.passkey_id, userId: r.user_id, userDisabled: r.user_disabled } : null;
}

/**
 * Inside withUser(userId): stores a verified credential under the person. A credential id
 * already registered (to anyone) is refused, not overwritten; the unique index decides,
 * so two registrations of one credential cannot both land.
 */
export async function insertPasskey(tx: Tx, userId: string, c: VerifiedCredential, name: string | undefined, now: Date): Promise<PasskeyRow> {
  const count = name ? 0 : (await tx.select({ n: sql<number>`count(*)::int` }).from(passkeys))[0]!.n;
  const rows = await tx
    .insert(passkeys)
    .values({
      userId,
      credentialId: c.credentialId,
      publicKey: c.publicKey,
      userHandle: c.userHandle,
      name: name ?? defaultName(count),
      signCount: c.signCount,
      transports: c.transports,
      aaguid: c.aaguid,
      backupEligible: c.backupEligible,
      backedUp: c.backedUp,
      createdAt: now,
    })
    .onConflictDoNothing({ target: passkeys.credentialId })
    .returning();
  if (!rows[0]) throw new PasskeyRefusal("credential_already_registered");
  return rows[0];
}

export const byId = (id: string) => eq(passkeys.id, id);
