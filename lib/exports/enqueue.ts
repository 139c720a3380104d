import type { Services } from "../context.js";

/** After the commit that approved it: a lost enqueue is not lost work, the sweep queues it again. */
export async function enqueueProduction(s: Services, workspaceId: string, exportId: string, revival?: number): Promise<void> {
  await s.queue.enqueueExport({ exportId, workspaceId, ...(revival ? { revival } : {}) }).catch((err: unknown) => s.logger.error("export enqueue failed; the sweep queues it", { export_id: exportId, error: err }));
}
