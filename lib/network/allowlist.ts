import { sql } from "drizzle-orm";
import { asApp } from "../../db/tenant.js";
import type { Services } from "../context.js";
import { AppError } from "../errors.js";
import { inRanges, parseCidr, type Cidr } from "./cidr.js";

/**
 * A workspace's IP allow-list, checked before any other work of an API key's or a
 * dashboard session's request. The ranges live in workspaces.ip_allowlist; each process
 * keeps them beside the Redis stamp they were read under, and a change writes a new
 * stamp after it commits, so every process (Node or Worker isolate) reads the new list
 * on its next request. Without a stamp in Redis (a restart lost it) the database is asked.
 */
export const allowlistStampKey = (workspaceId: string) => `{w:${workspaceId}}:allowlist`;

export interface CachedAllowlist {
  stamp: string;
  ranges: Cidr[];
}

export const ipNotAllowed = () => new AppError(403, "ip_not_allowed", "This workspace does not accept requests from this address");

async function readRanges(s: Services, workspaceId: string): Promise<Cidr[]> {
  const rows = await asApp(s.db, (tx) => tx.execute<{ range: string }>(sql`select unnest(sandesh_workspace_allowlist(${workspaceId}::uuid)) as range`));
  return rows.map((r) => parseCidr(r.range)).filter((c): c is Cidr => c !== null);
}

/** The workspace's ranges; empty allows every address. */
export async function workspaceAllowlist(s: Services, workspaceId: string): Promise<Cidr[]> {
  const stamp = await s.redis.get(allowlistStampKey(workspaceId));
  const cached = s.caches.allowlists.get(workspaceId);
  if (stamp && cached?.stamp === stamp) return cached.ranges;
  const ranges = await readRanges(s, workspaceId);
  if (stamp) s.caches.allowlists.set(workspaceId, { stamp, ranges });
  else await s.redis.set(allowlistStampKey(workspaceId), crypto.randomUUID(), { nx: true });
  return ranges;
}

/** 403 ip_not_allowed unless the list is empty or the address lies in it. */
export async function enforceAllowlist(s: Services, workspaceId: string, ip: string | undefined): Promise<void> {
  const ranges = await workspaceAllowlist(s, workspaceId);
  if (ranges.length && !inRanges(ip, ranges)) throw ipNotAllowed();
}
