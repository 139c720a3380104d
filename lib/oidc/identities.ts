import { and, asc, eq, sql } from "drizzle-orm";
import type { Tx } from "../../db/client.js";
import { userIdentities } from "../../db/schema/index.js";
import { asApp, withUser } from "../../db/tenant.js";
import type { Services } from "../context.js";
import { AppError, notFound } from "../errors.js";
import { countSignInMethods } from "../people/sign-in-methods.js";
import { recordPersonEvent } from "../people/person-audit.js";
import { OidcRefusal } from "./refusal.js";
import type { VerifiedIdentity } from "./verify.js";

export interface IdentityOwner {
  identityId: string;
  userId: string;
  disabled: boolean;
}

/** Before sign-in: whose account (issuer, subject) is, through the narrow SECURITY DEFINER look-up. */
export async function findIdentity(s: Services, issuer: string, subject: string, tx?: Tx): Promise<IdentityOwner | null> {
  const run = (t: Tx) => t.execute<{ identity_id: string; user_id: string; user_disabled: boolean }>(sql`select * from sandesh_identity_lookup(${issuer}, ${subject})`);
  const [row] = tx ? await run(tx) : await asApp(s.db, run);
  return row ? { identityId: row.identity_id, userId: row.user_id, disabled: row.user_disabled } : null;
}

/**
 * Inside a transaction scoped to the person: the Google account becomes one of their
 * ways to sign in. Already theirs: its email and last use are refreshed. Another
 * person's: refused (the unique (issuer, subject) decides, whatever RLS shows), and the
 * transaction with it, so an invitation is not used up by a failed link.
 */
export async function linkIdentity(tx: Tx, s: Services, userId: string, identity: VerifiedIdentity): Promise<{ identityId: string; created: boolean }> {
  const now = s.clock.now();
  const [made] = await tx
    .insert(userIdentities)
    .values({ userId, issuer: identity.issuer, subject: identity.subject, email: identity.email, createdAt: now, lastUsedAt: now })
    .onConflictDoNothing({ target: [userIdentities.issuer, userIdentities.subject] })
    .returning({ id: userIdentities.id });
  if (made) return { identityId: made.id, created: true };
  const owner = await findIdentity(s, identity.issuer, identity.subject, tx);
  if (!owner || owner.userId !== userId) throw new OidcRefusal("identity_taken");
  await tx.update(userIdentities).set({ email: identity.email, lastUsedAt: now }).where(eq(userIdentities.id, owner.identityId));
  return { identityId: owner.identityId, created: false };
}

export interface IdentityView {
  id: string;
  issuer: string;
  email: string;
  createdAt: Date;
  lastUsedAt: Date | null;
}

export async function listIdentities(s: Services, userId: string): Promise<IdentityView[]> {
  return withUser(s.db, userId, (tx) =>
    tx
      .select({ id: userIdentities.id, issuer: userIdentities.issuer, email: userIdentities.email, createdAt: userIdentities.createdAt, lastUsedAt: userIdentities.lastUsedAt })
      .from(userIdentities)
      .where(eq(userIdentities.userId, userId))
      .orderBy(asc(userIdentities.createdAt)),
  );
}

/** Unlinks a Google account; never the person's last way to sign in (the passkeys' rule, counted under the same lock). */
export async function removeIdentity(s: Services, userId: string, identityId: string, facts: { ip?: string | null; userAgent?: string | null } = {}): Promise<void> {
  await withUser(s.db, userId, async (tx) => {
    const [row] = await tx.select({ email: userIdentities.email }).from(userIdentities).where(and(eq(userIdentities.id, identityId), eq(userIdentities.userId, userId)));
    if (!row) throw notFound("Google account");
    if ((await countSignInMethods(tx, userId)) <= 1) throw new AppError(409, "last_sign_in_method", "This is your only way to sign in: add a passkey first");
    await tx.delete(userIdentities).where(eq(userIdentities.id, identityId));
    await recordPersonEvent(s, tx, userId, { action: "google.unlinked", objectType: "identity", objectId: identityId, ip: facts.ip ?? null, userAgent: facts.userAgent ?? null, details: { email: row.email } });
  });
}
