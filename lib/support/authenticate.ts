import { sql } from "drizzle-orm";
import { withDeadline } from "../../db/deadline.js";
import { asApp } from "../../db/tenant.js";
import { admitLookUp } from "../apikeys/auth.js";
import type { Services } from "../context.js";
import { AppError, unauthorized } from "../errors.js";
import { enforceAllowlist } from "../network/allowlist.js";
import { hashToken, tokenPattern } from "../people/tokens.js";
import { TOKEN_PREFIX } from "./limits.js";

export interface SupportAuth {
  grantId: string;
  workspaceId: string;
  operator: string;
  expiresAt: Date;
}

const SUPPORT_TOKEN = tokenPattern(TOKEN_PREFIX);

/** Whether an Authorization header carries a support token rather than an API key. */
export const isSupportBearer = (header: string | undefined): boolean => /^Bearer\s+sgr_/i.test(header ?? "");

const WHY: Record<string, string> = {
  pending: "The support grant is waiting for an owner of the workspace to approve it",
  denied: "The support grant was denied by an owner of the workspace",
  revoked: "The support grant has been revoked",
  expired: "The support grant has expired",
};

/**
 * Every request with a support token asks the database again (no cache could outlive a
 * revoke): approved, not revoked, expires_at after now() by the database's clock. Then
 * the workspace's IP allow-list, as for an API key. Anything else is refused with
 * 403 `support_grant_inactive` naming the state; an unknown token is a 401, and counts
 * against the address's failure throttle (429 `rate_limited_ip` past it).
 */
export async function authenticateSupport(s: Services, header: string | undefined, ip: string | undefined): Promise<SupportAuth> {
  const token = header ? /^Bearer\s+(\S+)$/i.exec(header)?.[1] : undefined;
  if (!token || !SUPPORT_TOKEN.test(token)) throw unauthorized("The support token is malformed");
  const hash = await hashToken(token);
  // Guesses count against the address like unknown API keys' (lib/apikeys/auth.ts).
  const g = await admitLookUp(s, hash, ip ?? "unknown", async () => {
    const rows = await withDeadline(
      asApp(s.requestDb ?? s.db, (tx) =>
        tx.execute<{ grant_id: string; workspace_id: string; operator: string; state: string; expires_at: string | null }>(sql`select * from sandesh_support_grant_lookup(${hash})`),
      ),
      "the support grant look-up",
    );
    if (!rows[0]) throw unauthorized("The support token is not known");
    return rows[0];
  });
  if (g.state !== "active") throw new AppError(403, "support_grant_inactive", WHY[g.state] ?? "The support grant is not active", { state: g.state, grant_id: g.grant_id });
  await enforceAllowlist(s, g.workspace_id, ip);
  return { grantId: g.grant_id, workspaceId: g.workspace_id, operator: g.operator, expiresAt: new Date(g.expires_at!) };
}
