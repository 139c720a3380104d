import type { Tx } from "../../db/client.js";
import { auditLog } from "../../db/schema/index.js";
import { redactDetails } from "./redact.js";

export interface AuditEntry {
  workspaceId: string;
  actorType: "user" | "api_key" | "operator" | "system";
  actorId?: string | null;
  action: string;
  objectType?: string;
  objectId?: string;
  ip?: string | null;
  userAgent?: string | null;
  details?: Record<string, unknown>;
}

/**
 * Written in the same transaction as the change it records: both land or neither.
 * The database chains the row (seq, prev_hash, hash: db/migrations/0023_audit_chain.sql),
 * holding the workspace's chain head until the transaction ends, so record late in a
 * transaction rather than early. Secrets are removed from the details here (./redact.ts).
 */
export async function recordAudit(tx: Tx, e: AuditEntry): Promise<void> {
  await tx.insert(auditLog).values({
    workspaceId: e.workspaceId,
    actorType: e.actorType,
    actorId: e.actorId ?? null,
    action: e.action,
    objectType: e.objectType ?? null,
    objectId: e.objectId ?? null,
    ip: e.ip ?? null,
    userAgent: e.userAgent ?? null,
    details: (redactDetails(e.details ?? {}) as Record<string, unknown>),
  });
}
