import { expect } from "vitest";
import type { TestStack } from "./stack.js";

/**
 * The audit-coverage suites (test/audit-routes*.test.ts): every state-changing route has a
 * case, and each case is run twice. Once where the audit log accepts rows: the request
 * succeeds and leaves its row, naming the actor. Once where the audit log refuses this
 * workspace's rows (a trigger the suite adds to its own database): the request fails and
 * the workspace's data, and the person's, are exactly as before, so no change of the
 * route can commit without its audit row, which is what "in the same transaction" means.
 */

export const STATE_CHANGING = ["POST", "PUT", "PATCH", "DELETE"];

/** "METHOD path" of every state-changing route registered on the app (Hono's own app.routes). */
export function stateChangingRoutes(app: { routes: { method: string; path: string }[] }): string[] {
  const out = new Set<string>();
  for (const r of app.routes) if (STATE_CHANGING.includes(r.method)) out.add(`${r.method} ${r.path}`);
  return [...out];
}

/** What the enumeration says about routes without a case: one line each, naming the route. */
export const missingCases = (routes: string[], known: (r: string) => boolean) =>
  routes.filter((r) => !known(r)).map((r) => `${r}: no audit case (add one to test/support/audit-cases-*.ts, or an exemption with its reason)`);

/** A trigger on audit_log, in the suite's own database, refusing the rows of listed workspaces. */
export async function installAuditRefusal(owner: TestStack["owner"]): Promise<void> {
  await owner.unsafe(`
    create table if not exists test_audit_refusals (workspace_id uuid primary key);
    grant select on test_audit_refusals to sandesh_app;
    create or replace function test_refuse_audit() returns trigger language plpgsql as $$
    begin
      if exists (select 1 from test_audit_refusals where workspace_id = new.workspace_id) then
        raise exception 'the audit log refuses this row (test)';
      end if;
      return new;
    end $$;
    drop trigger if exists test_refuse_audit on audit_log;
    create trigger test_refuse_audit before insert on audit_log for each row execute function test_refuse_audit();`);
}

export const refuseAudit = (owner: TestStack["owner"], workspaceId: string) => owner`insert into test_audit_refusals values (${workspaceId}) on conflict do nothing`;
export const acceptAudit = (owner: TestStack["owner"], workspaceId: string) => owner`delete from test_audit_refusals where workspace_id = ${workspaceId}`;

/** Columns a request touches outside its route's transaction (authentication's bookkeeping). */
const VOLATILE: Record<string, string[]> = { api_keys: ["last_used_at"], sessions: ["last_seen_at"] };

/**
 * Every row of the workspace (each table with workspace_id, and the workspace itself) and
 * of the person (each table with user_id, and the user), as one text: equal before and
 * after means nothing changed. The audit log and its chain heads are left out.
 */
export async function snapshot(owner: TestStack["owner"], workspaceId: string, userId: string | null = null): Promise<string> {
  const cols = await owner<{ table_name: string; column_name: string }[]>`
    select c.table_name, c.column_name from information_schema.columns c join information_schema.tables t using (table_schema, table_name)
    where c.table_schema = 'public' and t.table_type = 'BASE TABLE' order by c.table_name, c.ordinal_position`;
  const tables = new Map<string, string[]>();
  for (const c of cols) tables.set(c.table_name, [...(tables.get(c.table_name) ?? []), c.column_name]);
  const parts: string[] = [];
  for (const [table, columns] of tables) {
    if (table === "audit_log" || table === "audit_chain_heads" || table.startsWith("test_")) continue;
    const where = [columns.includes("workspace_id") ? `workspace_id = '${workspaceId}'` : null, userId && columns.includes("user_id") ? `user_id = '${userId}'` : null];
    if (table === "workspaces") where.push(`id = '${workspaceId}'`);
    if (table === "users" && userId) where.push(`id = '${userId}'`);
    const filter = where.filter(Boolean);
    if (!filter.length) continue;
    const kept = columns.filter((c) => !(VOLATILE[table] ?? []).includes(c)).map((c) => `"${c}"`).join(", ");
    const [row] = await owner.unsafe<{ s: string }[]>(
      `select count(*) || ':' || coalesce(md5(string_agg(r::text, '|' order by r::text)), '') as s from (select ${kept} from "${table}" where ${filter.join(" or ")}) r`,
    );
    parts.push(`${table} ${row!.s}`);
  }
  return parts.join("\n");
}

export const topSeq = async (owner: TestStack["owner"], workspaceId: string) =>
  Number((await owner<{ top: string }[]>`select coalesce(max(seq), 0)::text as top from audit_log where workspace_id = ${workspaceId}`)[0]!.top);

export interface AuditRow {
  action: string;
  actor_type: string;
  actor_id: string;
  ip: string | null;
  user_agent: string | null;
  hash: string;
}

/** The rows written after `seq`, oldest first. */
export const rowsAfter = (owner: TestStack["owner"], workspaceId: string, seq: number) =>
  owner<AuditRow[]>`select action, actor_type, actor_id, ip, user_agent, hash from audit_log where workspace_id = ${workspaceId} and seq > ${seq} order by seq`;

/** The route's row is there, names the actor and is in the chain. */
export function expectRow(rows: AuditRow[], action: string, actor: Partial<AuditRow>, label: string) {
  expect(rows.map((r) => r.action), label).toContain(action);
  expect(rows.find((r) => r.action === action), label).toMatchObject({ ...actor, hash: expect.stringMatching(/^[0-9a-f]{64}$/) });
}
