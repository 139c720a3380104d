import { asc, eq } from "drizzle-orm";
import { contactImportErrors, contactImports } from "../../db/schema/index.js";
import { withTenant } from "../../db/tenant.js";
import type { Services } from "../context.js";
import { notFound } from "../errors.js";
import { UUID_PATTERN } from "../ids.js";

/**
 * GET /v1/contacts/imports/{id}: status (receiving → queued → running → completed | failed),
 * progress, and the first errors by line. Another workspace's import is a 404.
 */
export async function getImport(s: Services, workspaceId: string, id: string) {
  if (!UUID_PATTERN.test(id)) throw notFound("Import");
  return withTenant(s.db, workspaceId, async (tx) => {
    const [r] = await tx.select().from(contactImports).where(eq(contactImports.id, id));
    if (!r) throw notFound("Import");
    const errors = await tx.select({ line: contactImportErrors.line, message: contactImportErrors.message }).from(contactImportErrors).where(eq(contactImportErrors.importId, id)).orderBy(asc(contactImportErrors.line));
    return {
      id: r.id,
      status: r.status,
      // Of the body kept: how far the run has parsed it (bytes), for a progress bar.
      bytes_total: r.bytesTotal,
      bytes_done: r.bytesTotal === null ? null : Math.min(r.bytesDone, r.bytesTotal),
      rows_read: r.rowsRead,
      created: r.created,
      updated: r.updated,
      unchanged: r.unchanged,
      failed: r.failed,
      error: r.error,
      errors,
      errors_truncated: r.failed > errors.length,
      created_at: r.createdAt.toISOString(),
      finished_at: r.finishedAt?.toISOString() ?? null,
    };
  });
}
