import { sql } from "drizzle-orm";
import type { Tx } from "../../db/client.js";
import { uuidv7 } from "../ids.js";
import type { ImportRow } from "./csv.js";

export interface BatchResult {
  created: number;
  updated: number;
  unchanged: number;
  /** The consent changes that changed something, for their contact.opted_* events. */
  consent: { contactId: string; waId: string; kind: "opt_in" | "opt_out"; at: Date }[];
}

export interface BatchContext {
  workspaceId: string;
  importId: string;
  now: Date;
  actorType: string;
  actorId: string | null;
}

/**
 * One batch of rows (each number at most once) in the caller's transaction: one
 * INSERT … ON CONFLICT DO UPDATE that touches a row only when something in it would
 * change, then one statement for the rows that carry consent. So a second import of the
 * same file finds nothing to change: 0 created, 0 updated, no consent row.
 * Tags are added (never past 50 on a contact), attributes merged, a name replaced.
 */
export async function applyBatch(tx: Tx, ctx: BatchContext, rows: ImportRow[]): Promise<BatchResult> {
  const input = JSON.stringify(rows.map((r) => ({ id: uuidv7(ctx.now.getTime()), line: r.line, wa_id: r.wa_id, name: r.name, tags: r.tags, attributes: r.attributes })));
  const now = ctx.now.toISOString();
  const upserted = await tx.execute<{ wa_id: string; inserted: boolean }>(sql`
    insert into contacts as c (id, workspace_id, wa_id, name, tags, attributes, created_at, updated_at)
    select r.id, ${ctx.workspaceId}, r.wa_id, r.name, r.tags, r.attributes, ${now}, ${now}
    from jsonb_to_recordset(${input}::jsonb) as r(id uuid, line int, wa_id text, name text, tags text[], attributes jsonb)
    on conflict (workspace_id, wa_id) do update set
      name = coalesce(excluded.name, c.name),
      tags = case when cardinality(c.tags || array(select t from unnest(excluded.tags) t where t <> all(c.tags))) <= 50
                  then c.tags || array(select t from unnest(excluded.tags) t where t <> all(c.tags)) else c.tags end,
      attributes = c.attributes || excluded.attributes,
      updated_at = excluded.updated_at
    where (excluded.name is not null and excluded.name is distinct from c.name)
       or (not (excluded.tags <@ c.tags) and cardinality(c.tags || array(select t from unnest(excluded.tags) t where t <> all(c.tags))) <= 50)
       or exists (select 1 from jsonb_each_text(excluded.attributes) e where (c.attributes ->> e.key) is distinct from e.value)
    returning c.wa_id, (xmax = 0) as inserted`);

  const touched = new Set<string>();
  let created = 0;
  for (const u of upserted) {
    if (u.inserted) created++;
    touched.add(u.wa_id);
  }
  const changes: BatchResult["consent"] = [];
  const withConsent = rows.filter((r) => r.consent);
  if (withConsent.length) {
    const consent = JSON.stringify(withConsent.map((r) => ({ line: r.line, wa_id: r.wa_id, kind: r.consent!.kind, at: r.consent!.at })));
    const details = { import_id: ctx.importId };
    const changed = await tx.execute<{ wa_id: string; contact_id: string; kind: "opt_in" | "opt_out"; occurred_at: string }>(sql`
      with input as (
        select r.*, c.id as contact_id from jsonb_to_recordset(${consent}::jsonb) as r(line int, wa_id text, kind text, at timestamptz)
        join contacts c on c.wa_id = r.wa_id
      ), opted_in as (
        update contacts c set marketing_opt_in_at = i.at, marketing_opt_in_source = 'import', opted_out_at = null, opted_out_source = null, updated_at = ${now}
        from input i where c.id = i.contact_id and i.kind = 'opt_in' and c.marketing_opt_in_at is null
        returning c.id, c.wa_id, i.line, i.at, i.kind
      ), opted_out as (
        update contacts c set opted_out_at = i.at, opted_out_source = 'import', marketing_opt_in_at = null, marketing_opt_in_source = null, updated_at = ${now}
        from input i where c.id = i.contact_id and i.kind = 'opt_out' and c.opted_out_at is null
        returning c.id, c.wa_id, i.line, i.at, i.kind
      ), changed as (select * from opted_in union all select * from opted_out)
      insert into contact_consent_events (workspace_id, contact_id, consent, source, actor_type, actor_id, occurred_at, details)
      select ${ctx.workspaceId}, id, kind, 'import', ${ctx.actorType}, ${ctx.actorId}, at, ${JSON.stringify(details)}::jsonb || jsonb_build_object('line', line) from changed
      returning contact_id, consent as kind, occurred_at, (select wa_id from changed x where x.id = contact_id) as wa_id`);
    for (const c of changed) {
      touched.add(c.wa_id);
      changes.push({ contactId: c.contact_id, waId: c.wa_id, kind: c.kind, at: new Date(c.occurred_at) });
    }
  }
  return { created, updated: touched.size - created, unchanged: rows.length - touched.size, consent: changes };
}
