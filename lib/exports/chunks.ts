import type { exportChunks } from "../../db/schema/index.js";
import type { Services } from "../context.js";
import type { FieldRef } from "../vault/vault.js";

type Chunk = typeof exportChunks.$inferSelect;

/** A chunk's additional data names its export, its place and its workspace: moved elsewhere, it does not open. */
const chunkField = (workspaceId: string, exportId: string, seq: number): FieldRef => ({ table: "export_chunks", column: "data", rowId: `${exportId}/${seq}`, workspaceId });

export async function sealChunk(s: Services, workspaceId: string, exportId: string, seq: number, runId: string, text: string): Promise<Chunk> {
  const sealed = await s.vault.seal(text, chunkField(workspaceId, exportId, seq));
  return { workspaceId, exportId, seq, runId, dataCiphertext: sealed.ciphertext, dataIv: sealed.iv, dataTag: sealed.tag, dataKeyVersion: sealed.keyVersion };
}

export const openChunk = (s: Services, c: Chunk): Promise<string> =>
  s.vault.open({ ciphertext: c.dataCiphertext, iv: c.dataIv, tag: c.dataTag, keyVersion: c.dataKeyVersion }, chunkField(c.workspaceId, c.exportId, c.seq));
