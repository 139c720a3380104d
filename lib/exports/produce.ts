import { and, eq, inArray, sql } from "drizzle-orm";
import { dataExports, exportChunks } from "../../db/schema/index.js";
import { withTenant } from "../../db/tenant.js";
import { recordAudit } from "../audit/record.js";
import type { Services } from "../context.js";
import { AppError } from "../errors.js";
import type { ExportJob } from "../queue/port.js";
import { sealChunk } from "./chunks.js";
import { EXPORT_PAGE_ROWS, exportReader } from "./pages.js";

/** Another run took the export over: this one stops, writing nothing more. */
class Superseded extends Error {}

export type ProduceOutcome = "ready" | "failed" | "superseded" | "nothing";
const SYSTEM = { actorType: "system" as const, actorId: null };

/**
 * The job of /jobs/export and of the local queue: an approved export's file, read a page
 * at a time, each page sealed with the tenant's vault key into a chunk of its own. A run
 * claims the export with a run id of its own (dropping any chunks of a run before it, which
 * crashed or was taken over); each chunk commits only while the run still owns the export,
 * so two deliveries of one job never interleave their pages.
 */
export async function produceExport(s: Services, job: ExportJob): Promise<ProduceOutcome> {
  const { workspaceId, exportId: id } = job;
  const runId = crypto.randomUUID();
  let claimed: { reader: ReturnType<typeof exportReader>; header: string; cap: number } | undefined;
  try {
    claimed = await withTenant(s.db, workspaceId, async (tx) => {
      const [row] = await tx.update(dataExports).set({ status: "producing", runId, rowsWritten: 0, bytes: 0, updatedAt: s.clock.now() }).where(and(eq(dataExports.id, id), inArray(dataExports.status, ["queued", "producing"]))).returning();
      if (!row) return undefined;
      await tx.delete(exportChunks).where(eq(exportChunks.exportId, id));
      // The header reads the attribute columns in use; the pages keep to them.
      const reader = exportReader(row, s.vault);
      const header = await reader.header(tx);
      await recordAudit(tx, { ...SYSTEM, workspaceId, action: "export.producing", objectType: "export", objectId: id, details: { run_id: runId } });
      return { reader, header, cap: row.rowCount };
    });
  } catch (err) {
    // A file that cannot be made (more attribute columns than an export has): failed, with why.
    if (err instanceof AppError && err.status === 422) return fail(s, workspaceId, id, err.message);
    throw err;
  }
  if (!claimed) return "nothing";
  const { reader, cap } = claimed;
  let written = 0;
  let prefix = claimed.header;
  let after: string | null = null;
  try {
    for (let seq = 0; ; seq++) {
      const cursor: string | null = after;
      const done = await withTenant(s.db, workspaceId, async (tx) => {
        // No more rows than were counted (and approved) when asked, however the book grew since.
        const page = await reader.page(tx, cursor, Math.max(0, Math.min(EXPORT_PAGE_ROWS, cap - written)));
        const text = prefix + page.text;
        if (text) {
          await tx.insert(exportChunks).values(await sealChunk(s, workspaceId, id, seq, runId, text));
          const moved = await tx.update(dataExports).set({ rowsWritten: sql`${dataExports.rowsWritten} + ${page.rows}`, bytes: sql`${dataExports.bytes} + ${new TextEncoder().encode(text).length}`, updatedAt: s.clock.now() }).where(and(eq(dataExports.id, id), eq(dataExports.runId, runId))).returning({ id: dataExports.id });
          if (!moved.length) throw new Superseded();
        }
        return page;
      });
      after = done.after;
      written += done.rows;
      prefix = "";
      if (after === null) break;
    }
  } catch (err) {
    if (err instanceof Superseded) return "superseded";
    throw err;
  }
  const ready = await withTenant(s.db, workspaceId, async (tx) => {
    const [r] = await tx.update(dataExports).set({ status: "ready", readyAt: s.clock.now(), updatedAt: s.clock.now() }).where(and(eq(dataExports.id, id), eq(dataExports.runId, runId), eq(dataExports.status, "producing"))).returning();
    if (r) await recordAudit(tx, { ...SYSTEM, workspaceId, action: "export.ready", objectType: "export", objectId: id, details: { rows: r.rowsWritten, bytes: r.bytes } });
    return !!r;
  });
  return ready ? "ready" : "superseded";
}

async function fail(s: Services, workspaceId: string, id: string, why: string): Promise<ProduceOutcome> {
  return withTenant(s.db, workspaceId, async (tx) => {
    const [r] = await tx.update(dataExports).set({ status: "failed", error: why, updatedAt: s.clock.now() }).where(and(eq(dataExports.id, id), inArray(dataExports.status, ["queued", "producing"]))).returning({ id: dataExports.id });
    if (!r) return "nothing";
    await recordAudit(tx, { ...SYSTEM, workspaceId, action: "export.failed", objectType: "export", objectId: id, details: { error: why } });
    return "failed";
  });
}
