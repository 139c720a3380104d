import { sql, type SQL } from "drizzle-orm";
import type postgres from "postgres";
import { goDrizzle } from "../../db/pipelined.js";

/**
 * A page of a broadcast's messages in these statuses, after `after` in id order: one range
 * of the (broadcast_id, status, id) index per status, merged. Why not `status in (...)`
 * beside `id > after`: a list of statuses cannot keep the index's id order, so every page
 * read and sorted all the broadcast's messages in them past the cursor (the first page of
 * a 100,000 broadcast read 100,000 rows for its 1,000, the 100 pages about 5 million).
 * Why the statuses come from a set-returning function, even one: `status = 'queued'` as a
 * literal let the planner, told by statistics from before a burst that few messages are
 * queued, walk messages_queued (every tenant's queued messages) and sort them; a status
 * read from a row matches no partial index. (Statistics older than the broadcast itself,
 * every broadcast_id null, still make any index on broadcast_id look empty.) `columns`
 * must include `id`: the pages merge on it.
 */
export const statusPageSql = (broadcastId: string, statuses: readonly string[], after: string, limit: number, columns: string): SQL => sql`
    select m.* from jsonb_array_elements_text(${JSON.stringify(statuses)}::jsonb) s(status)
    cross join lateral (
      select ${sql.raw(columns)} from messages where broadcast_id = ${broadcastId} and status = s.status and id > ${after}::uuid order by id limit ${limit}) m
    order by m.id limit ${limit}`;

/** The same page, run on a postgres.js transaction (withTenantSql). */
export const statusPage = <T extends readonly postgres.MaybeRow[]>(t: postgres.TransactionSql, broadcastId: string, statuses: readonly string[], after: string, limit: number, columns: string): Promise<T> =>
  goDrizzle(t, statusPageSql(broadcastId, statuses, after, limit, columns)) as unknown as Promise<T>;
