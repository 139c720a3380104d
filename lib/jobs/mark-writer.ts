import postgres from "postgres";
import type { ClientFactory, DedicatedConnection } from "../../db/dedicated.js";
import { goDrizzle, pipelinedTransaction, writerLanes } from "../../db/pipelined.js";
import { tenantScope } from "../../db/tenant.js";
import { GroupCommit } from "../batch.js";
import { groupBy } from "../group.js";
import { markStatement, type PostingClaim } from "./claim.js";

/**
 * Posting marks of the whole process in one group commit (the Node process). A send is
 * posted the moment its mark commits (lib/jobs/send.ts), after it waited for its pace
 * slot, so the mark's latency is how late the POST leaves its slot. Marks committed per
 * batch, on the shared pool beside the claims and answers of every other batch, were 20
 * to over 200 ms late at 1,000/s, and sends that late bunch up: Meta counts a number's
 * calls in a sliding second and refused 6 % of them with 130429, each a slot lost. Here
 * the marks of every batch and workspace that wait go together: BEGIN, each workspace's
 * scope and mark statement, and COMMIT, pipelined in one round trip on a connection of
 * the writer's own. A mark is durable before its POST, as before (synchronous commit).
 */
export interface MarkWriter {
  /** True once the mark is committed; false when the claim is no longer this attempt's (not posted). */
  add(workspaceId: string, claim: PostingClaim): Promise<boolean>;
  close(): Promise<void>;
}

interface MarkWork {
  workspaceId: string;
  claim: PostingClaim;
  marked?: boolean;
}

/** Flushes in flight, each on its own connection: the next is on the wire while one waits for its WAL flush. */
export const MARK_WRITER_LANES = 2;
/** Marks per flush: one lock per message, in one statement per workspace. */
const MAX_MARKS = 400;
/** A flush not committed by then fails its sends (held back, never posted) and its connection is thrown away. */
export const MARK_WRITER_DEADLINE_MS = 5000;

export function createMarkWriter(open: ClientFactory, opts: { lanes?: number; deadlineMs?: number } = {}): MarkWriter {
  const lanes = writerLanes(open, opts.lanes ?? MARK_WRITER_LANES, opts.deadlineMs ?? MARK_WRITER_DEADLINE_MS);
  const flush = (items: MarkWork[]) =>
    lanes.run(async (conn) => {
      try {
        await write(conn, items);
      } catch (err) {
        // A statement the database refused (a deadlock, a timeout) rolled back the whole
        // flush: each workspace's marks go again on their own, so one cannot hold back the rest.
        const byTenant = groupBy(items, (i) => i.workspaceId);
        if (!(err instanceof postgres.PostgresError) || byTenant.size < 2) throw err;
        // One after the other: the lane is one connection.
        const failed = new Map<MarkWork, Error>();
        for (const group of byTenant.values()) {
          const e = await write(conn, group).then(() => null, (x: unknown) => (x instanceof Error ? x : new Error(String(x))));
          if (e) for (const item of group) failed.set(item, e);
        }
        return items.map((item) => failed.get(item) ?? null);
      }
    });
  // Sends whose slots came in the same turn of the event loop go in one flush; a second
  // flush starts beside one in flight at once: a mark's wait is its send's lateness.
  const commits = new GroupCommit<MarkWork>(flush, { maxInFlight: lanes.size, maxBatch: MAX_MARKS, gather: true });
  return {
    async add(workspaceId, claim) {
      const work: MarkWork = { workspaceId, claim };
      await commits.add(work);
      return work.marked === true;
    },
    close: () => lanes.close(),
  };
}

async function write(conn: DedicatedConnection, items: MarkWork[]): Promise<void> {
  const byTenant = groupBy(items, (i) => i.workspaceId);
  await pipelinedTransaction(conn, async (t, commit, begun) => {
    const sent: Promise<unknown>[] = [begun];
    const results: { group: MarkWork[]; rows: Promise<{ id: string; attempts: number }[]> }[] = [];
    for (const [workspaceId, group] of byTenant) {
      sent.push(goDrizzle(t, tenantScope(workspaceId)));
      const rows = goDrizzle(t, markStatement(group.map((g) => g.claim))) as unknown as Promise<{ id: string; attempts: number }[]>;
      sent.push(rows);
      results.push({ group, rows });
    }
    sent.push(commit());
    await Promise.all(sent);
    for (const { group, rows } of results) {
      // By id and attempt: a stale claim of a message in the same flush as its new claim is not marked.
      const marked = new Set((await rows).map((r) => `${r.id}:${r.attempts}`));
      for (const item of group) item.marked = marked.has(`${item.claim.id}:${item.claim.attempts}`);
    }
  });
}
