import { withTenant } from "../../db/tenant.js";
import { recordAudit } from "../audit/record.js";
import type { Services } from "../context.js";
import type { SupportAuth } from "./authenticate.js";

export interface SupportReadEntry {
  method: string;
  /** The route's pattern (`/v1/contacts/:id`) and the path asked (without its query, which may carry a number). */
  route: string;
  path: string;
  status: number;
  ip: string | null;
  userAgent: string | null;
}

/**
 * One audit row per request made under a grant, after its answer is known and before it
 * leaves: if the row cannot be written the answer is an error, so nothing is read
 * unrecorded. support.read for reads, support.write_refused for anything else.
 */
export async function recordSupportRead(s: Services, g: SupportAuth, e: SupportReadEntry): Promise<void> {
  const read = e.method === "GET" || e.method === "HEAD";
  await withTenant(s.db, g.workspaceId, (tx) =>
    recordAudit(tx, {
      workspaceId: g.workspaceId,
      actorType: "operator",
      actorId: g.operator,
      action: read ? "support.read" : "support.write_refused",
      objectType: "support_grant",
      objectId: g.grantId,
      ip: e.ip,
      userAgent: e.userAgent,
      details: { method: e.method, route: e.route, path: e.path, status: e.status },
    }),
  );
}
