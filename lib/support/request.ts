import { supportGrants } from "../../db/schema/index.js";
import { withTenant } from "../../db/tenant.js";
import { recordAudit } from "../audit/record.js";
import type { Services } from "../context.js";
import { hashToken, randomToken } from "../people/tokens.js";
import { checkRequest, TOKEN_PREFIX, type SupportRequestInput } from "./limits.js";

export interface RequestedGrant {
  id: string;
  workspaceId: string;
  operator: string;
  reason: string;
  hours: number;
  status: "pending";
  requestedAt: Date;
  /** The only time the token exists outside the operator's hands; it reads nothing until an owner approves. */
  token: string;
}

/**
 * An operator asks to read a workspace (`npm run admin -- support request`). The grant
 * starts pending; the token is returned here once and only its hash is kept. Audited as
 * support.requested, with the reason and the hours, never the token.
 */
export async function requestSupportGrant(s: Services, workspaceId: string, input: SupportRequestInput): Promise<RequestedGrant> {
  const { operator, reason, hours } = checkRequest(input);
  const token = randomToken(TOKEN_PREFIX);
  const tokenHash = await hashToken(token);
  return withTenant(s.db, workspaceId, async (tx) => {
    const [row] = await tx.insert(supportGrants).values({ workspaceId, operator, reason, hours, tokenHash }).returning({ id: supportGrants.id, requestedAt: supportGrants.requestedAt });
    await recordAudit(tx, { workspaceId, actorType: "operator", actorId: operator, action: "support.requested", objectType: "support_grant", objectId: row!.id, details: { operator, reason, hours } });
    return { id: row!.id, workspaceId, operator, reason, hours, status: "pending", requestedAt: row!.requestedAt, token };
  });
}
