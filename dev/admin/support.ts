import { sql } from "drizzle-orm";
import { AppError } from "../../lib/errors.js";
import { listSupportGrants } from "../../lib/support/list.js";
import { requestSupportGrant } from "../../lib/support/request.js";
import { revokeSupportGrant } from "../../lib/support/revoke.js";
import type { NodeServices } from "../services.js";
import { UsageError, type CommandResult, type Flags } from "./usage.js";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const text = (flags: Flags, name: string, what: string): string => {
  const v = flags[name];
  if (typeof v !== "string" || !v.trim()) throw new UsageError(`--${name} is required (${what})`);
  return v;
};

/**
 * `support request --workspace W --operator O --reason R [--hours N]`: asks an owner of W
 * for read access; prints the grant id and its token once (only the hash is kept), which
 * reads nothing until an owner approves it in the dashboard (/app/support).
 * `support list --workspace W`; `support revoke --grant G` (the operator withdraws it).
 */
export async function supportCommand(verb: string | undefined, workspaceId: () => Promise<string>, flags: Flags, s: NodeServices): Promise<CommandResult> {
  if (verb === "request") {
    const operator = text(flags, "operator", "who asks, e.g. an email");
    const reason = text(flags, "reason", "why, shown to the owner who decides");
    const hours = flags.hours === undefined ? undefined : Number(flags.hours);
    if (hours !== undefined && !(Number.isInteger(hours) && hours >= 1 && hours <= 72)) throw new UsageError("--hours must be a whole number of hours, 1 to 72");
    const g = await requestSupportGrant(s, await workspaceId(), { operator, reason, ...(hours === undefined ? {} : { hours }) });
    return {
      json: { id: g.id, workspace_id: g.workspaceId, operator: g.operator, reason: g.reason, hours: g.hours, status: g.status, requested_at: g.requestedAt.toISOString(), token: g.token },
      text: `support grant ${g.id} requested for workspace ${g.workspaceId} (${g.hours} h), waiting for an owner's approval at /app/support\n\n  ${g.token}\n\nThis is the only time the token is shown. It reads nothing until an owner approves it.`,
    };
  }
  if (verb === "list") {
    const grants = await listSupportGrants(s, await workspaceId());
    return {
      json: grants,
      text: grants.length ? grants.map((g) => `${g.id}  ${g.state}  ${g.operator}  ${g.hours} h asked${g.expires_at ? `  until ${g.expires_at}` : ""}  "${g.reason}"`).join("\n") : "no support grants",
    };
  }
  if (verb === "revoke") {
    const id = flags.grant;
    if (typeof id !== "string" || !UUID.test(id)) throw new UsageError("--grant is required (a support grant id)");
    const rows = await s.db.execute<{ workspace_id: string; operator: string }>(sql`select workspace_id, operator from support_grants where id = ${id}`);
    if (!rows[0]) throw new AppError(404, "not_found", `support grant ${id} not found`);
    const r = await revokeSupportGrant(s, rows[0].workspace_id, id, { actorType: "operator", actorId: rows[0].operator });
    return r.alreadyRevoked
      ? { json: { id, revoked: true, already_revoked: true }, text: `support grant ${id} was already revoked` }
      : { json: { id, revoked: true }, text: `support grant ${id} revoked` };
  }
  throw new UsageError(verb ? `unknown command: support ${verb}` : "support needs a verb: request, list or revoke");
}
