import { eq, sql } from "drizzle-orm";
import { workspaces } from "../../db/schema/index.js";
import { switchTenant, withTenant, withUser } from "../../db/tenant.js";
import { recordAudit } from "../audit/record.js";
import type { Services } from "../context.js";
import { AppError } from "../errors.js";
import type { Role } from "../people/roles.js";
import { ROLE_PERMISSIONS } from "../permissions/table.js";
import { readTotp } from "./totp-check.js";

/** What a session says about how its person signed in (lib/sessions SessionAuth has these). */
export interface SessionFactors {
  userId: string;
  workspaceId: string | null;
  role: string | null;
  userVerified: boolean;
  secondFactorAt: Date | null;
}

/**
 * A session has a second factor when its passkey verified the user (a PIN or a
 * biometric on the authenticator: two factors in one gesture) or when a TOTP or
 * recovery code stepped it up.
 */
export const hasSecondFactor = (s: Pick<SessionFactors, "userVerified" | "secondFactorAt">) => s.userVerified || s.secondFactorAt !== null;

export interface SecondFactorNeed {
  /** verify: the person has TOTP and must enter a code; enrol: the person has none yet. */
  next: "verify" | "enrol";
  /** The workspace requires it (else: the person's own TOTP does, e.g. after a Google sign-in). */
  required_by_workspace: boolean;
}

/**
 * What a session lacks before it may do anything but set up or enter a second factor,
 * or null when nothing. A person who set up TOTP is asked for it after every sign-in
 * without user verification (Google), whatever the workspace; a workspace with
 * require_mfa asks it of every member. One transaction, and none for a session that
 * already has a second factor.
 */
export async function secondFactorNeed(s: Services, session: SessionFactors): Promise<SecondFactorNeed | null> {
  if (hasSecondFactor(session)) return null;
  const { totp, required } = await withUser(s.db, session.userId, async (tx) => {
    const totp = await readTotp(tx, session.userId);
    if (!session.workspaceId) return { totp, required: false };
    await switchTenant(tx, session.workspaceId);
    const [w] = await tx.execute<{ require_mfa: boolean }>(sql`select require_mfa from workspaces where id = ${session.workspaceId}`);
    return { totp, required: w?.require_mfa === true };
  });
  const enrolled = totp?.confirmedAt != null;
  if (!required && !enrolled) return null;
  return { next: enrolled ? "verify" : "enrol", required_by_workspace: required };
}

export const secondFactorRequired = (need: SecondFactorNeed) =>
  new AppError(
    403,
    "second_factor_required",
    need.next === "verify"
      ? "Enter a code from your authenticator app (or a recovery code) to continue"
      : "This workspace requires a second factor: set up an authenticator app or sign in with a passkey that verifies you",
    { ...need, setup_url: "/app/security/setup" },
  );

/**
 * The workspace's switch (owners and admins: settings:write). Turning it on needs the
 * session that flips it to have a second factor already, so it never locks that person out.
 */
export async function setRequireMfa(
  s: Services,
  session: SessionFactors & { ip?: string | null; userAgent?: string | null },
  enabled: boolean,
): Promise<{ require_mfa: boolean }> {
  // The route declares settings:write; the role table is the one truth here too.
  if (!session.workspaceId || !session.role || !ROLE_PERMISSIONS[session.role as Role]?.has("settings:write")) {
    throw new AppError(403, "forbidden", "Changing whether a second factor is required needs settings:write (owners and admins)", { missing: ["settings:write"] });
  }
  if (enabled && !hasSecondFactor(session)) {
    throw secondFactorRequired({ next: (await withUser(s.db, session.userId, (tx) => readTotp(tx, session.userId)))?.confirmedAt ? "verify" : "enrol", required_by_workspace: false });
  }
  const workspaceId = session.workspaceId;
  return withTenant(s.db, workspaceId, async (tx) => {
    const [before] = await tx.select({ requireMfa: workspaces.requireMfa }).from(workspaces).where(eq(workspaces.id, workspaceId)).for("update");
    if (!before) throw new AppError(404, "not_found", "Workspace not found");
    if (before.requireMfa !== enabled) {
      await tx.update(workspaces).set({ requireMfa: enabled }).where(eq(workspaces.id, workspaceId));
      await recordAudit(tx, {
        workspaceId,
        actorType: "user",
        actorId: session.userId,
        action: enabled ? "workspace.require_mfa_enabled" : "workspace.require_mfa_disabled",
        objectType: "workspace",
        objectId: workspaceId,
        ip: session.ip ?? null,
        userAgent: session.userAgent ?? null,
      });
    }
    return { require_mfa: enabled };
  });
}
