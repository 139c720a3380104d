import { eq } from "drizzle-orm";
import * as v from "valibot";
import { passkeys } from "../../db/schema/index.js";
import { withUser } from "../../db/tenant.js";
import type { Services } from "../context.js";
import { AppError, notFound, validationFailed } from "../errors.js";
import { UUID_PATTERN } from "../ids.js";
import { fieldErrors } from "../parse.js";
import type { RequestFacts } from "./authentication-verify.js";
import { PasskeyName } from "./names.js";
import { recordPersonEvent } from "../people/person-audit.js";
import { countSignInMethods } from "../people/sign-in-methods.js";
import { passkeysOf, summary, type PasskeySummary } from "./store.js";

/** A person's passkeys with their last use, oldest first. */
export function listPasskeys(s: Services, userId: string): Promise<PasskeySummary[]> {
  return withUser(s.db, userId, async (tx) => (await passkeysOf(tx)).map(summary));
}

export function parseName(name: unknown): string {
  const r = v.safeParse(PasskeyName, name);
  if (!r.success) throw validationFailed(fieldErrors(r.issues).map((e) => ({ ...e, field: "name" })));
  return r.output;
}

export async function renamePasskey(s: Services, userId: string, passkeyId: string, name: unknown, facts: RequestFacts = {}): Promise<PasskeySummary> {
  const newName = parseName(name);
  if (!UUID_PATTERN.test(passkeyId)) throw notFound("Passkey");
  return withUser(s.db, userId, async (tx) => {
    // Another person's passkey is invisible here (RLS): the same 404 as one that never was.
    const [before] = await tx.select({ name: passkeys.name }).from(passkeys).where(eq(passkeys.id, passkeyId)).for("update");
    if (!before) throw notFound("Passkey");
    const [row] = await tx.update(passkeys).set({ name: newName }).where(eq(passkeys.id, passkeyId)).returning();
    await recordPersonEvent(s, tx, userId, { action: "passkey.renamed", objectType: "passkey", objectId: passkeyId, ...facts, details: { from: before.name, to: newName } });
    return summary(row!);
  });
}

/** Removes a passkey, unless it is the person's last way to sign in (a Google identity counts). */
export async function removePasskey(s: Services, userId: string, passkeyId: string, facts: RequestFacts = {}): Promise<void> {
  if (!UUID_PATTERN.test(passkeyId)) throw notFound("Passkey");
  await withUser(s.db, userId, async (tx) => {
    const methods = await countSignInMethods(tx, userId);
    const [row] = await tx.select({ id: passkeys.id, name: passkeys.name }).from(passkeys).where(eq(passkeys.id, passkeyId));
    if (!row) throw notFound("Passkey");
    if (methods <= 1) {
      throw new AppError(409, "last_sign_in_method", "This is your only way to sign in: add another passkey (or link Google) before removing it");
    }
    await tx.delete(passkeys).where(eq(passkeys.id, passkeyId));
    await recordPersonEvent(s, tx, userId, { action: "passkey.removed", objectType: "passkey", objectId: passkeyId, ...facts, details: { name: row.name } });
  });
}
