import { and, eq } from "drizzle-orm";
import { dataExports, exportChunks } from "../../db/schema/index.js";
import { withTenant } from "../../db/tenant.js";
import { recordAudit } from "../audit/record.js";
import type { Actor } from "../contacts/create.js";
import type { Services } from "../context.js";
import type { Principal } from "../permissions/principal.js";
import { openChunk } from "./chunks.js";
import { exportGone, exportNotReady, notRequester } from "./errors.js";
import { exportRow } from "./list.js";
import { isRequester } from "./requester.js";
import { EXPORT_TTL_MS } from "./view.js";

export interface Download {
  body: ReadableStream<Uint8Array>;
  contentType: string;
  filename: string;
}

/**
 * GET /v1/exports/{id}/download: only whoever asked (the same key, the same person), once,
 * within 24 h of the file being ready. The claim (ready → downloaded) is one conditional
 * change with its audit row, so two downloads at once give the file to one of them. The
 * file then streams chunk by chunk, each chunk deleted in the transaction that reads it:
 * nothing is kept once it is sent (a download cut short leaves chunks the sweep drops).
 */
export async function downloadExport(s: Services, workspaceId: string, id: string, p: Principal, actor: Actor): Promise<Download> {
  const outcome = await withTenant(s.db, workspaceId, async (tx) => {
    const row = await exportRow(tx, id, true);
    if (!isRequester(row, p)) return { refused: notRequester() };
    if (row.status === "downloaded") return { refused: exportGone("downloaded") };
    if (row.status === "expired") return { refused: exportGone("expired") };
    if (row.status !== "ready") return { refused: exportNotReady(row.status) };
    const now = s.clock.now();
    if (!row.readyAt || row.readyAt.getTime() + EXPORT_TTL_MS <= now.getTime()) {
      // Past its 24 h: expired now rather than at the next sweep, its content deleted with it.
      await tx.update(dataExports).set({ status: "expired", updatedAt: now }).where(eq(dataExports.id, id));
      await tx.delete(exportChunks).where(eq(exportChunks.exportId, id));
      await recordAudit(tx, { actorType: "system", actorId: null, workspaceId, action: "export.expired", objectType: "export", objectId: id });
      return { refused: exportGone("expired") };
    }
    await tx.update(dataExports).set({ status: "downloaded", downloadedAt: now, updatedAt: now }).where(and(eq(dataExports.id, id), eq(dataExports.status, "ready")));
    await recordAudit(tx, { ...actor, workspaceId, action: "export.downloaded", objectType: "export", objectId: id, details: { rows: row.rowsWritten, bytes: row.bytes } });
    return { row };
  });
  if ("refused" in outcome) throw outcome.refused;
  const { row } = outcome;
  const encoder = new TextEncoder();
  let seq = 0;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const n = seq++;
      const chunk = await withTenant(s.db, workspaceId, async (tx) => {
        const [c] = await tx.delete(exportChunks).where(and(eq(exportChunks.exportId, id), eq(exportChunks.seq, n))).returning();
        return c;
      });
      if (!chunk) return controller.close();
      controller.enqueue(encoder.encode(await openChunk(s, chunk)));
    },
  });
  const csv = row.format === "csv";
  return { body, contentType: csv ? "text/csv; charset=utf-8" : "application/x-ndjson; charset=utf-8", filename: `${row.subject}-${row.id}.${csv ? "csv" : "jsonl"}` };
}
