import { drizzle } from "drizzle-orm/postgres-js";
import { sql, type SQL } from "drizzle-orm";
import postgres from "postgres";
import type { Tx } from "../../db/client.js";
import type { ClientFactory, DedicatedConnection } from "../../db/dedicated.js";
import { goDrizzle as exec, pipelinedTransaction, writerLanes } from "../../db/pipelined.js";
import { APP_ROLE } from "../../db/tenant.js";
import { GroupCommit } from "../batch.js";
import type { Services } from "../context.js";
import { groupBy } from "../group.js";
import { recordEvents, type OutgoingEvent } from "../webhooks/emit.js";
import { cannotStore } from "./number-batch.js";
import type { MetaStatus } from "./payload.js";
import { applyStatement, appliedFrom, knownStatuses, lockWamidsStatement, type AppliedRow } from "./statuses.js";

/**
 * Group commit of Meta's status webhooks (the Node process). Meta mostly posts one status
 * per call, and one number sending at 1,000/s causes about 3,000 such calls a second: a
 * transaction per call (five round trips and a WAL flush each) caps that near 600/s.
 * Here the statuses of every call that arrives in the same turn of the event loop, or
 * while a flush is running, go together in the next one: BEGIN, each workspace's scope
 * with its wamid locks, its apply statement, and COMMIT, pipelined in one round trip on a
 * connection of the writer's own. Every call awaits its flush's COMMIT before Meta hears
 * 200, and a flush that fails answers 503 to every call in it (Meta retries; applying a
 * status twice changes nothing).
 *
 * What one statement cannot settle is handed back to the caller, which applies it the
 * way a single call always has (lib/ingest/number-batch.ts): statuses whose wamid no
 * message carries yet (the backlog, tagged sends) and, after a value the database
 * refused, the whole item, so that one bad status is isolated and dead-lettered alone.
 */
export interface StatusWork {
  workspaceId: string;
  displayPhoneNumber: string | null;
  statuses: MetaStatus[];
  /** Set by the writer: events recorded for this item's statuses. */
  events?: number;
  /** Set by the writer: whether an outgoing webhook delivery was recorded (dispatch after). */
  recorded?: boolean;
  /** Set by the writer: statuses it did not apply, which the caller applies on its own. */
  rest?: MetaStatus[];
}

export interface StatusWriter {
  /** Settles once the item's statuses are committed (see `rest`), or fails: answer 503. */
  add(work: StatusWork): Promise<void>;
  close(): Promise<void>;
}

/** Calls whose statuses go through the writer: Meta's usual few; a big delivery is a batch already. */
export const GROUPED_MAX_STATUSES = 8;
/** Items per flush: with GROUPED_MAX_STATUSES, at most ~500 wamid locks in one transaction (see number-batch.ts). */
const MAX_ITEMS = 60;
/**
 * Flushes in flight, each on its own connection: while one waits for its WAL flush the
 * next batch is already on the wire, and PostgreSQL's own group commit joins their flushes.
 */
export const STATUS_WRITER_LANES = 2;
/**
 * A second flush starts beside the one in flight only once this many calls wait; fewer
 * wait for it (one round trip). Flushes of one call each are what a busy process would
 * otherwise send: each costs its round trip, its socket writes and its commit, which is
 * most of a call's cost, and the storm then costs the most exactly when CPU is short.
 */
export const STATUS_WRITER_OVERLAP_AT = 8;
/** A flush not committed by then fails its calls (503) and its connection is thrown away. */
export const STATUS_WRITER_DEADLINE_MS = 5000;

export function createStatusWriter(open: ClientFactory, services: () => Services, opts: { lanes?: number; deadlineMs?: number; overlapAt?: number } = {}): StatusWriter {
  const lanes = writerLanes(open, opts.lanes ?? STATUS_WRITER_LANES, opts.deadlineMs ?? STATUS_WRITER_DEADLINE_MS);
  const flush = async (items: StatusWork[]): Promise<(Error | null)[] | void> => {
    try {
      await lanes.run((conn) => write(services(), conn, items));
    } catch (err) {
      // A value the database refused: nothing of the flush took effect; each call applies its own, isolating it.
      if (!cannotStore(err)) throw err;
      for (const item of items) {
        item.events = 0;
        item.recorded = false;
        item.rest = item.statuses;
      }
    }
  };
  const commits = new GroupCommit<StatusWork>(flush, {
    maxInFlight: lanes.size,
    maxBatch: MAX_ITEMS,
    // The calls whose bytes arrived in the same turn of the event loop go in one flush.
    gather: true,
    overlapAt: opts.overlapAt ?? STATUS_WRITER_OVERLAP_AT,
  });
  return {
    add: (work) => commits.add(work),
    close: () => lanes.close(),
  };
}

async function write(s: Services, conn: DedicatedConnection, items: StatusWork[]): Promise<void> {
  const byTenant = groupBy(items, (i) => i.workspaceId);
  await pipelinedTransaction(conn, async (t, commit, begun) => {
    const sent: Promise<unknown>[] = [begun];
    const scope = (workspaceId: string) => t`select set_config('role', ${APP_ROLE}, true), set_config('app.workspace_id', ${workspaceId}, true)`;
    const applied = new Map<string, { statuses: MetaStatus[]; result: Promise<AppliedRow[]> }>();
    // With no endpoint subscribed anywhere in the batch (known, not guessed: the cache says
    // so), there is nothing to record after the statements, and COMMIT goes with them.
    let quiet = true;
    for (const [workspaceId, group] of byTenant) {
      const statuses = knownStatuses(group.flatMap((g) => g.statuses));
      if (!statuses.length) continue;
      if (s.caches.webhookEndpoints.get(workspaceId)?.length !== 0) quiet = false;
      // The tenant's scope and its sorted wamid locks in one statement, before the apply statement looks.
      sent.push(exec(t, sql`select set_config('role', ${APP_ROLE}, true), set_config('app.workspace_id', ${workspaceId}, true), (${lockWamidsStatement(statuses.map((st) => st.id))})`));
      const result = exec(t, applyStatement(workspaceId, statuses)) as unknown as Promise<AppliedRow[]>;
      sent.push(result);
      applied.set(workspaceId, { statuses, result });
    }
    if (quiet) sent.push(commit());
    await Promise.all(sent);

    const recorded = new Set<string>();
    for (const [workspaceId, { statuses, result }] of applied) {
      const { events, unknown } = appliedFrom(statuses, (await result)[0]!);
      const group = byTenant.get(workspaceId)!;
      attribute(group, events, new Set(unknown));
      if (quiet || !events.length) continue;
      await scope(workspaceId);
      // Durable with the statuses that caused them: in this transaction, before COMMIT.
      if ((await recordEvents(s, onConnection(t), workspaceId, events)) > 0) recorded.add(workspaceId);
    }
    if (!quiet) await commit();
    for (const item of items) item.recorded = recorded.has(item.workspaceId);
  });
}

/**
 * Drizzle's query builders on the flush's own connection, for code written against a
 * transaction (recordEvents). Only `unsafe` is used; the value handling drizzle sets is
 * the client's already (db/client.ts), so the options here are placeholders.
 */
const onConnection = (t: postgres.Sql): Tx =>
  drizzle({ unsafe: (q: string, p?: never[], o?: postgres.UnsafeQueryOptions) => t.unsafe(q, p, o), options: { parsers: {}, serializers: {} } } as unknown as postgres.Sql) as unknown as Tx;

/** Each event to the first item that carried its status (a status Meta repeated within the batch is one event). */
function attribute(group: StatusWork[], events: OutgoingEvent[], unknown: Set<string>): void {
  const owner = new Map<string, StatusWork>();
  for (const item of group) {
    item.events = 0;
    item.rest = item.statuses.filter((st) => unknown.has(st.id));
    for (const st of item.statuses) if (!owner.has(`${st.id}:${st.status}`)) owner.set(`${st.id}:${st.status}`, item);
  }
  for (const e of events) {
    const item = owner.get(`${String(e.data.wamid)}:${String(e.data.status)}`);
    if (!item) continue;
    item.events!++;
    if (item.displayPhoneNumber && e.meta) e.meta.displayPhoneNumber = item.displayPhoneNumber;
  }
}
