import type { DataAccessActor } from "../../db/schema/data-access.js";
import type { Principal } from "../permissions/principal.js";

/** One read of personal data, as recorded in data_access (db/migrations/0038_data_access.sql). */
export interface AccessEntry {
  workspaceId: string;
  actorType: DataAccessActor;
  actorId: string;
  ip: string | null;
  method: string;
  /** The route's pattern (`/v1/messages/:id`), never the path asked (it may carry a number). */
  route: string;
  objectId: string | null;
  /** Rows the answer carried (a page's items; 1 for one object), null when not counted (a download). */
  resultCount: number | null;
  status: number;
}

/** Who read, as a record names them: the member, the key, or the support grant. */
export function accessActor(p: Principal): { actorType: DataAccessActor; actorId: string } {
  if (p.kind === "member") return { actorType: "user", actorId: p.userId };
  if (p.kind === "api_key") return { actorType: "api_key", actorId: p.keyId };
  return { actorType: "support", actorId: p.grantId };
}

/** The entry as data_access's columns, for a multi-row insert. */
export const accessRow = (e: AccessEntry) => ({
  workspace_id: e.workspaceId,
  actor_type: e.actorType,
  actor_id: e.actorId,
  ip: e.ip === null ? null : e.ip.slice(0, 100),
  method: e.method.slice(0, 10),
  route: e.route.slice(0, 300),
  object_id: e.objectId === null ? null : e.objectId.slice(0, 200),
  result_count: e.resultCount,
  status: e.status,
});
export const ACCESS_COLUMNS = ["workspace_id", "actor_type", "actor_id", "ip", "method", "route", "object_id", "result_count", "status"] as const;
