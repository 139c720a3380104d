import { APP_ROLE } from "../../db/tenant.js";
import type { Db } from "../../db/client.js";
import { GroupCommit } from "../batch.js";
import { groupBy } from "../group.js";
import { ACCESS_COLUMNS, accessRow, type AccessEntry } from "./entry.js";

/**
 * Group commit of read records (the Node process). Every read of personal data awaits
 * its record's COMMIT before the answer leaves; the records of the reads that arrive in
 * the same turn of the event loop, or while a flush runs, go in one transaction: each
 * workspace's scope and its multi-row insert, pipelined. A lone read is flushed at once.
 * A flush that fails (or does not commit within the deadline) fails every read in it:
 * those answer 503, never unrecorded.
 */
export interface AccessWriter {
  add(entry: AccessEntry): Promise<void>;
}

/** Records per flush: one small insert per workspace in one transaction. */
const MAX_BATCH = 200;
/** Flushes in flight, each on a connection of the shared pool. */
const LANES = 2;
export const ACCESS_WRITER_DEADLINE_MS = 5000;

export function createAccessWriter(db: Db, opts: { deadlineMs?: number } = {}): AccessWriter {
  const flush = async (items: AccessEntry[]) => {
    await db.$client.begin(async (t) => {
      const sent: Promise<unknown>[] = [];
      for (const [workspaceId, group] of groupBy(items, (i) => i.workspaceId)) {
        sent.push(t`select set_config('role', ${APP_ROLE}, true), set_config('app.workspace_id', ${workspaceId}, true)`.execute());
        sent.push(t`insert into data_access ${t(group.map(accessRow), ...ACCESS_COLUMNS)}`.execute());
      }
      await Promise.all(sent);
    });
  };
  const commits = new GroupCommit<AccessEntry>(flush, {
    maxBatch: MAX_BATCH,
    maxInFlight: LANES,
    gather: true,
    overlapAt: 4,
    deadlineMs: opts.deadlineMs ?? ACCESS_WRITER_DEADLINE_MS,
  });
  return { add: (e) => commits.add(e) };
}
