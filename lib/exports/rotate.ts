import { and, eq, ne } from "drizzle-orm";
import { exportChunks } from "../../db/schema/index.js";
import { withTenant } from "../../db/tenant.js";
import type { Services } from "../context.js";
import { openChunk, sealChunk } from "./chunks.js";

const BATCH = 20;

/**
 * `vault rotate` for files waiting to be downloaded: each chunk opened under its version
 * and sealed under the current one, unless someone re-sealed or downloaded it meanwhile
 * (each is taken out only at the version it read). A ready file stays downloadable
 * once the old key is dropped. Returns how many chunks it re-sealed per workspace.
 */
export async function rotateExportChunks(s: Services, workspaceIds: string[], onProgress?: (p: { table: string; workspaceId: string; rotated: number }) => void): Promise<{ rotated: number }> {
  const current = s.vault.currentVersion;
  let rotated = 0;
  for (const workspaceId of workspaceIds) {
    let n = 0;
    for (;;) {
      const done = await withTenant(s.db, workspaceId, async (tx) => {
        const rows = await tx.select().from(exportChunks).where(ne(exportChunks.dataKeyVersion, current)).limit(BATCH);
        for (const r of rows) {
          // Chunks are never updated (the app may only add and delete them): taken out and put back re-sealed, in one transaction.
          const [taken] = await tx.delete(exportChunks).where(and(eq(exportChunks.exportId, r.exportId), eq(exportChunks.seq, r.seq), eq(exportChunks.dataKeyVersion, r.dataKeyVersion))).returning();
          if (taken) await tx.insert(exportChunks).values(await sealChunk(s, workspaceId, taken.exportId, taken.seq, taken.runId, await openChunk(s, taken)));
        }
        return rows.length;
      });
      n += done;
      if (done < BATCH) break;
    }
    rotated += n;
    if (n) onProgress?.({ table: "export_chunks", workspaceId, rotated: n });
  }
  return { rotated };
}
