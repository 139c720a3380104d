import type { Tx } from "../../db/client.js";
import type { BroadcastStatus } from "../../db/schema/index.js";
import { recordAudit } from "../audit/record.js";
import type { Actor } from "../contacts/create.js";
import { AppError } from "../errors.js";
import { loadBroadcast } from "./get.js";

/**
 * Locks the broadcast and checks it may move: from one of `from`, or already at `to`
 * (asking twice answers the same, changing nothing). Any other state is a 409 naming it.
 */
export async function lockFor(tx: Tx, id: string, from: BroadcastStatus[], to: BroadcastStatus) {
  const b = await loadBroadcast(tx, id, true);
  const status = b.status;
  if (status === to) return { b, status, already: true };
  if (!from.includes(status)) throw new AppError(409, "broadcast_not_" + verbOf(to), `The broadcast is ${status}: it cannot be ${to === "running" ? "resumed" : to}`, { status });
  return { b, status, already: false };
}

const verbOf = (to: BroadcastStatus) => (to === "paused" ? "pausable" : to === "running" ? "resumable" : "cancelable");

export const auditTransition = (tx: Tx, workspaceId: string, actor: Actor, id: string, action: string, from: string) =>
  recordAudit(tx, { ...actor, workspaceId, action, objectType: "broadcast", objectId: id, details: { from } });
