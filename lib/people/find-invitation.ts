import { sql } from "drizzle-orm";
import { asApp } from "../../db/tenant.js";
import type { Services } from "../context.js";
import { AppError } from "../errors.js";
import { INVITATION_PREFIX } from "./invite.js";
import type { Role } from "./roles.js";
import { hashToken, tokenPattern } from "./tokens.js";

export interface PendingInvitation {
  invitationId: string;
  workspaceId: string;
  workspaceName: string;
  email: string;
  role: Role;
  expiresAt: Date;
}

const INVITATION_TOKEN = tokenPattern(INVITATION_PREFIX);

/** One answer for unknown, expired, used and withdrawn links: the link holder learns nothing else. */
export const invitationInvalid = () =>
  new AppError(410, "invitation_invalid", "This invitation link is not valid: it has expired, has been used, or never existed. Ask for a new one.");

/**
 * What an invitation link offers, before anyone accepts it (the invitation page, a
 * passkey ceremony's options): valid links only. Never says whether the invited email
 * already has an account.
 */
export async function findInvitation(s: Services, token: string): Promise<PendingInvitation> {
  if (!INVITATION_TOKEN.test(token)) throw invitationInvalid();
  const hash = await hashToken(token);
  const [row] = await asApp(s.db, (tx) =>
    tx.execute<{ invitation_id: string; workspace_id: string; workspace_name: string; email: string; role: Role; expires_at: string; accepted: boolean; revoked: boolean }>(
      sql`select * from sandesh_invitation_lookup(${hash})`,
    ),
  );
  if (!row || row.accepted || row.revoked) throw invitationInvalid();
  const expiresAt = new Date(row.expires_at);
  if (expiresAt.getTime() <= s.clock.now().getTime()) throw invitationInvalid();
  return { invitationId: row.invitation_id, workspaceId: row.workspace_id, workspaceName: row.workspace_name, email: row.email, role: row.role, expiresAt };
}
