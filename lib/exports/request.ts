import { uuidv7 } from "../ids.js";
import { dataExports } from "../../db/schema/index.js";
import { withTenant } from "../../db/tenant.js";
import { recordAudit } from "../audit/record.js";
import type { Actor } from "../contacts/create.js";
import type { Services } from "../context.js";
import { countRows } from "./count.js";
import type { Requester } from "./requester.js";
import type { CreateExportInput } from "./schema.js";
import { needsApproval, thresholdIn } from "./threshold.js";
import { exportView } from "./view.js";
import { enqueueProduction } from "./enqueue.js";

/**
 * POST /v1/exports: the matching rows are counted now. Up to the workspace's threshold
 * the export is approved at once and queued to be produced; above it, it waits
 * (pending_approval) for an owner. Counted, recorded and audited in one transaction.
 */
export async function requestExport(s: Services, workspaceId: string, input: CreateExportInput, requester: Requester, actor: Actor) {
  const row = await withTenant(s.db, workspaceId, async (tx) => {
    const threshold = await thresholdIn(tx, workspaceId);
    const rows = await countRows(tx, input.kind, input.filter);
    const status = needsApproval(rows, threshold) ? ("pending_approval" as const) : ("queued" as const);
    const [r] = await tx
      .insert(dataExports)
      .values({ id: uuidv7(), workspaceId, subject: input.kind, format: input.format, filter: input.filter, status, rowCount: rows, threshold, phonesMasked: requester.phonesMasked, requesterType: requester.type, requesterId: requester.id })
      .returning();
    await recordAudit(tx, { ...actor, workspaceId, action: "export.requested", objectType: "export", objectId: r!.id, details: { kind: input.kind, format: input.format, rows, threshold, status, phones_masked: requester.phonesMasked } });
    return r!;
  });
  if (row.status === "queued") await enqueueProduction(s, workspaceId, row.id);
  return exportView(row);
}
