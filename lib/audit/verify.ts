import { sql } from "drizzle-orm";
import type { Db } from "../../db/client.js";
import { APP_ROLE } from "../../db/tenant.js";

export const GENESIS_HASH = "0".repeat(64);
const BATCH = 1000;

export type ChainProblem = "missing" | "out_of_order" | "edited" | "broken_link" | "head_mismatch";

export interface ChainReport {
  workspace_id: string;
  ok: boolean;
  rows: number;
  /** Rows whose details a data principal's erasure changed (a number replaced by its keyed hash). */
  erased_rows?: number;
  /** The hash of the last good row: keep it elsewhere to catch a chain rewritten from the start. */
  head_hash: string;
  head_seq: number;
  first_bad_seq?: number;
  problem?: ChainProblem;
  message?: string;
}

type Row = {
  seq: string;
  prev_hash: string;
  hash: string;
  computed: string;
  digest_ok: boolean;
  erased: boolean;
};

/**
 * Walks one workspace's chain in seq order, recomputing every row's hash from its stored
 * fields (the database's sandesh_audit_hash, the encoding docs/security.md describes),
 * and stops at the first row that does not hold: a seq that skips (a row deleted), one
 * that repeats or goes back (moved), a hash that no longer matches the row (edited), or
 * a prev_hash that is not the previous row's hash. The chain must also end where its
 * head says (the last rows deleted). Needs a connection that sees every row: the owner.
 */
export async function verifyChain(db: Db, workspaceId: string): Promise<ChainReport> {
  await requireOwner(db);
  let expected = 1;
  let prev = GENESIS_HASH;
  let rows = 0;
  let erased = 0;
  const bad = (seq: number, problem: ChainProblem, message: string): ChainReport => ({
    workspace_id: workspaceId, ok: false, rows, head_hash: prev, head_seq: expected - 1, first_bad_seq: seq, problem, message,
  });
  for (;;) {
    const batch = await db.execute<Row>(sql`
      select seq::text as seq, prev_hash, hash,
        sandesh_audit_hash(workspace_id, seq, actor_type, actor_id, ip, user_agent, action, object_type, object_id, details_digest, created_at, prev_hash) as computed,
        sandesh_audit_details_digest(details) = details_digest as digest_ok,
        erased_at is not null and sandesh_audit_details_digest(details) = erased_digest as erased
      from audit_log where workspace_id = ${workspaceId} and seq >= ${expected}
      order by audit_log.seq limit ${BATCH}`);
    for (const r of batch) {
      const seq = Number(r.seq);
      if (seq !== expected) return bad(expected, "missing", `row ${expected} is missing (the next row is ${seq})`);
      if (r.prev_hash !== prev) return bad(seq, "broken_link", `row ${seq} does not follow row ${seq - 1} (its prev_hash is not that row's hash)`);
      if (r.computed !== r.hash) return bad(seq, "edited", `row ${seq} was changed after it was written (its hash does not match its contents)`);
      // Details may differ from what was hashed only as an erasure left them (a number replaced).
      if (!r.digest_ok && !r.erased) return bad(seq, "edited", `row ${seq}'s details were changed after it was written`);
      if (!r.digest_ok) erased++;
      prev = r.hash;
      expected++;
      rows++;
    }
    if (batch.length < BATCH) break;
  }
  // A seq below 1 never comes from the trigger: a row moved out of the walked range.
  const [stray] = await db.execute<{ seq: string }>(sql`select seq::text as seq from audit_log where workspace_id = ${workspaceId} and seq < 1 order by audit_log.seq limit 1`);
  if (stray) return bad(Number(stray.seq), "out_of_order", `row ${stray.seq} is outside the chain`);
  const [head] = await db.execute<{ seq: string; hash: string }>(sql`select seq::text as seq, hash from audit_chain_heads where workspace_id = ${workspaceId}`);
  const headSeq = head ? Number(head.seq) : 0;
  if (headSeq !== rows || (head && head.hash !== prev)) {
    return bad(rows + 1, "head_mismatch", headSeq > rows
      ? `rows ${rows + 1} to ${headSeq} are missing (the chain's head is at ${headSeq})`
      : `the chain's head (seq ${headSeq}) does not match its last row (seq ${rows})`);
  }
  return { workspace_id: workspaceId, ok: true, rows, head_hash: prev, head_seq: rows, ...(erased ? { erased_rows: erased } : {}) };
}

/** Every workspace that has audit rows or a chain head, or just the one asked for. */
export async function verifyChains(db: Db, workspaceId?: string): Promise<ChainReport[]> {
  await requireOwner(db);
  const ids = workspaceId
    ? [workspaceId]
    : (await db.execute<{ id: string }>(sql`select workspace_id as id from audit_chain_heads union select distinct workspace_id from audit_log order by 1`)).map((r) => r.id);
  const out: ChainReport[] = [];
  for (const id of ids) out.push(await verifyChain(db, id));
  return out;
}

/** The application role sees no rows outside a tenant transaction: its walk would find an empty, "intact" chain. */
async function requireOwner(db: Db): Promise<void> {
  const [me] = await db.execute<{ role: string }>(sql`select current_user as role`);
  if (me?.role === APP_ROLE) throw new Error("audit verify needs the owner role (DATABASE_MIGRATION_URL): the application role cannot see every row");
}
