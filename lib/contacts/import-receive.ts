import { and, eq } from "drizzle-orm";
import { contactImportChunks, contactImports } from "../../db/schema/index.js";
import { withTenant } from "../../db/tenant.js";
import { recordAudit } from "../audit/record.js";
import { concatBytes } from "../bytes.js";
import type { Services } from "../context.js";
import { AppError } from "../errors.js";
import { uuidv7 } from "../ids.js";
import type { Actor } from "./create.js";
import { CsvHeaderError } from "./csv.js";
import { readImportHeader, type ImportHeader } from "./import-header.js";
import { IMPORT_CHUNK_BYTES } from "./import-limits.js";
import { getImport } from "./import-read.js";

/**
 * POST /v1/contacts/imports: the body is kept as it streams in (chunks of 1 MiB, one in
 * memory), its header checked first; once all of it is kept the import is queued and the
 * answer is 202 with its id. The rows are parsed and written by the import's job
 * (import-run.ts), and GET shows their progress. A body that breaks off, or goes past
 * the limit (413), leaves a failed import and nothing staged.
 */
export async function receiveImport(s: Services, workspaceId: string, body: ReadableStream<Uint8Array> | null, actor: Actor) {
  if (!body) throw new AppError(400, "empty_body", "Send the CSV as the request body (Content-Type: text/csv)");
  const reader = body.getReader();
  const id = uuidv7(s.clock.now().getTime());
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  let header: ImportHeader | null = null;
  let ended = false;
  try {
    // The header, before anything is written: a file that cannot be imported is a 422 at once.
    while (!header) {
      const r = await reader.read();
      if (r.done) ended = true;
      else (pending.push(r.value), (pendingBytes += r.value.length));
      const head = concatBytes(pending, pendingBytes);
      pending = [head];
      header = readImportHeader(head, ended);
      if (ended) break;
    }
  } catch (err) {
    await reader.cancel().catch(() => {});
    if (err instanceof CsvHeaderError) throw new AppError(422, "csv_invalid", `The CSV cannot be imported: ${err.message}`);
    throw err;
  }
  const h = header!;
  await withTenant(s.db, workspaceId, async (tx) => {
    await tx.insert(contactImports).values({ id, workspaceId, status: "receiving", actorType: actor.actorType, actorId: actor.actorId ?? null, header: h.names, bytesDone: h.bytes, linesDone: h.lines });
    await recordAudit(tx, { ...actor, workspaceId, action: "contacts.import_started", objectType: "contact_import", objectId: id });
  });

  let seq = 0;
  let start = 0;
  const keep = async () => {
    if (!pendingBytes) return;
    const data = concatBytes(pending, pendingBytes);
    pending = [];
    pendingBytes = 0;
    const at = start;
    start += data.length;
    await withTenant(s.db, workspaceId, (tx) => tx.insert(contactImportChunks).values({ workspaceId, importId: id, seq: seq++, startByte: at, data }));
  };
  try {
    while (!ended) {
      const r = await reader.read();
      if (r.done) break;
      pending.push(r.value);
      pendingBytes += r.value.length;
      if (pendingBytes >= IMPORT_CHUNK_BYTES) await keep();
    }
    await keep();
    const now = s.clock.now();
    await withTenant(s.db, workspaceId, (tx) => tx.update(contactImports).set({ status: "queued", receivedAt: now, bytesTotal: start, updatedAt: now }).where(eq(contactImports.id, id)));
  } catch (err) {
    await reader.cancel().catch(() => {});
    await abandon(s, workspaceId, id, err instanceof AppError ? err.message : "the upload broke off before the end of the file").catch(() => {});
    if (err instanceof AppError) throw err;
    s.logger.error("contact import upload failed", { import_id: id, workspace_id: workspaceId, error: err });
    throw new AppError(503, "temporarily_unavailable", "The upload could not be kept; send the file again", { id }, { "Retry-After": "5" });
  }
  // Kept: a lost enqueue is found by the sweep (import-sweep.ts), so the answer stands.
  await s.queue.enqueueImport({ importId: id, workspaceId }).catch((err: unknown) => s.logger.error("import enqueue failed; the sweep starts it", { import_id: id, error: err }));
  return getImport(s, workspaceId, id);
}

/** An upload that did not complete: failed, with why, and nothing of it staged. */
export async function abandon(s: Services, workspaceId: string, id: string, why: string): Promise<void> {
  await withTenant(s.db, workspaceId, async (tx) => {
    await tx.delete(contactImportChunks).where(eq(contactImportChunks.importId, id));
    await tx.update(contactImports).set({ status: "failed", error: why, finishedAt: s.clock.now(), updatedAt: s.clock.now() }).where(and(eq(contactImports.id, id), eq(contactImports.status, "receiving")));
  });
}
