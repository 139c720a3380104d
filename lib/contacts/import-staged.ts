import { and, desc, eq, lte } from "drizzle-orm";
import { contactImportChunks } from "../../db/schema/index.js";
import { withTenant } from "../../db/tenant.js";
import type { Services } from "../context.js";

/**
 * An import's kept body from byte `from` on, as a stream that reads one chunk from the
 * database at a time, when the parser asks for it: memory holds one chunk, never the file.
 */
export function stagedBody(s: Services, workspaceId: string, importId: string, from: number): ReadableStream<Uint8Array> {
  let next: number | null = null; // the seq to read next
  return new ReadableStream<Uint8Array>({
    async pull(ctl) {
      // A pull must enqueue or close: one that does neither is never called again.
      for (;;) {
        const chunk = await withTenant(s.db, workspaceId, async (tx) => {
          if (next === null) {
            // The chunk holding byte `from`: the last one starting at or before it.
            const [c] = await tx.select().from(contactImportChunks).where(and(eq(contactImportChunks.importId, importId), lte(contactImportChunks.startByte, from))).orderBy(desc(contactImportChunks.seq)).limit(1);
            return c ? { ...c, data: c.data.subarray(Math.min(c.data.length, from - c.startByte)) } : undefined;
          }
          const [c] = await tx.select().from(contactImportChunks).where(and(eq(contactImportChunks.importId, importId), eq(contactImportChunks.seq, next)));
          return c;
        });
        if (!chunk) return ctl.close();
        next = chunk.seq + 1;
        if (chunk.data.length) return ctl.enqueue(chunk.data);
      }
    },
  }, { highWaterMark: 0 });
}
