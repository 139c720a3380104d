import type { dataExports } from "../../db/schema/index.js";
import { needsApproval } from "./threshold.js";

/** How long a produced file may be downloaded, from the moment it is ready. */
export const EXPORT_TTL_MS = 24 * 3600 * 1000;

type Export = typeof dataExports.$inferSelect;

/** Approved by the very person who asked for it (an owner's own export above the threshold). */
export const selfApproved = (e: Pick<Export, "status" | "decidedBy" | "requesterType" | "requesterId">) =>
  e.decidedBy !== null && e.status !== "denied" && e.status !== "pending_approval" && e.requesterType === "user" && e.decidedBy === e.requesterId;

/** An export as the API and the dashboard show it: never its content. */
export const exportView = (e: Export) => ({
  id: e.id,
  kind: e.subject,
  format: e.format,
  filter: e.filter,
  status: e.status,
  rows: e.rowCount,
  threshold: e.threshold,
  approval_required: needsApproval(e.rowCount, e.threshold),
  phones_masked: e.phonesMasked,
  requested_by: { type: e.requesterType, id: e.requesterId },
  decided_by: e.decidedBy,
  decided_at: e.decidedAt?.toISOString() ?? null,
  self_approved: selfApproved(e),
  rows_written: e.rowsWritten,
  bytes: e.bytes,
  error: e.error,
  ready_at: e.readyAt?.toISOString() ?? null,
  expires_at: e.readyAt ? new Date(e.readyAt.getTime() + EXPORT_TTL_MS).toISOString() : null,
  downloaded_at: e.downloadedAt?.toISOString() ?? null,
  created_at: e.createdAt.toISOString(),
  download: e.status === "ready" ? `/v1/exports/${e.id}/download` : null,
});
export type ExportView = ReturnType<typeof exportView>;
