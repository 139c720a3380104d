import { eq } from "drizzle-orm";
import * as v from "valibot";
import { workspaces } from "../../db/schema/index.js";
import { withTenant } from "../../db/tenant.js";
import { recordAudit } from "../audit/record.js";
import type { Actor } from "../contacts/create.js";
import type { Services } from "../context.js";
import { AppError, validationFailed } from "../errors.js";
import { allowlistStampKey } from "./allowlist.js";
import { inRanges, parseCidr } from "./cidr.js";

export const MAX_RANGES = 100;
export const AllowlistInput = v.strictObject({ ranges: v.pipe(v.array(v.pipe(v.string(), v.maxLength(64))), v.maxLength(MAX_RANGES)) });

export async function getAllowlist(s: Services, workspaceId: string) {
  const [row] = await withTenant(s.db, workspaceId, (tx) => tx.select({ list: workspaces.ipAllowlist }).from(workspaces).where(eq(workspaces.id, workspaceId)));
  return { ranges: row?.list ?? [] };
}

/**
 * PUT /v1/workspace/ip-allowlist: the whole list replaced, each range in its canonical
 * form (host bits cleared, duplicates dropped). A list that would not admit the caller's
 * own address is refused (422 allowlist_excludes_caller): the change must not lock out
 * the one making it. The stamp is renewed after the commit so every process re-reads.
 */
export async function setAllowlist(s: Services, workspaceId: string, ranges: string[], callerIp: string | undefined, actor: Actor) {
  const parsed = ranges.map((r) => parseCidr(r));
  const bad = parsed.flatMap((p, i) => (p ? [] : [{ field: `ranges.${i}`, message: "is not an IPv4 or IPv6 address or CIDR range" }]));
  if (bad.length) throw validationFailed(bad);
  const cidrs = parsed.filter((p) => p !== null);
  if (cidrs.length && !inRanges(callerIp, cidrs)) {
    throw new AppError(422, "allowlist_excludes_caller", `The list does not include the address this request comes from (${callerIp ?? "unknown"}); add it, or the change would lock you out`, { ip: callerIp ?? null });
  }
  const list = [...new Set(cidrs.map((c) => c.text))];
  await withTenant(s.db, workspaceId, async (tx) => {
    const [before] = await tx.select({ list: workspaces.ipAllowlist }).from(workspaces).where(eq(workspaces.id, workspaceId)).for("update");
    await tx.update(workspaces).set({ ipAllowlist: list }).where(eq(workspaces.id, workspaceId));
    await recordAudit(tx, { ...actor, workspaceId, action: "workspace.ip_allowlist_set", objectType: "workspace", objectId: workspaceId, details: { before: before?.list ?? [], after: list } });
  });
  await s.redis.set(allowlistStampKey(workspaceId), crypto.randomUUID());
  return { ranges: list };
}
