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
 * One batch of rows (each number at most once) in the caller's transaction, in two
 * statements. The first is one INSERT … ON CONFLICT DO UPDATE: a new contact is inserted
 * with its consent already set, an existing one touched only when something in it would
 * change. The second records the new contacts' consent rows and changes the consent of
 * existing ones (only where it changes: its rows say so), each change one row. So a second
 * import of the same file finds nothing to change: 0 created, 0 updated, no consent row.
 * Tags are added (never past 50 on a contact), attributes merged, a name replaced.
 */
export async function applyBatch(tx: Tx, ctx: BatchContext, rows: ImportRow[]): Promise<BatchResult> {
  const input = JSON.stringify(rows.map((r) => ({ id: uuidv7(ctx.now.getTime()), wa_id: r.wa_id, name: r.name, tags: r.tags, attributes: r.attributes, kind: r.consent?.kind ?? null, at: r.consent?.at ?? null })));
  const now = ctx.now.toISOString();
  const upserted = await tx.execute<{ id: string; wa_id: string; inserted: boolean }>(sql`
    insert into contacts as c (id, workspace_id, wa_id, name, tags, attributes, marketing_opt_in_at, marketing_opt_in_source, opted_out_at, opted_out_source, created_at, updated_at)
    select r.id, ${ctx.workspaceId}, r.wa_id, r.name, r.tags, r.attributes,
           case when r.kind = 'opt_in' then r.at end, case when r.kind = 'opt_in' then 'import' end,
           case when r.kind = 'opt_out' then r.at end, case when r.kind = 'opt_out' then 'import' end,
           ${now}, ${now}
    from jsonb_to_recordset(${input}::jsonb) as r(id uuid, wa_id text, name text, tags text[], attributes jsonb, kind text, at timestamptz)
    on conflict (workspace_id, wa_id) do update set
      name = coalesce(excluded.name, c.name),
      tags = case when cardinality(c.tags || array(select t from unnest(excluded.tags) t where t <> all(c.tags))) <= 50
                  then c.tags || array(select t from unnest(excluded.tags) t where t <> all(c.tags)) else c.tags end,
      attributes = c.attributes || excluded.attributes,
      updated_at = excluded.updated_at
    where (excluded.name is not null and excluded.name is distinct from c.name)
       or (not (excluded.tags <@ c.tags) and cardinality(c.tags || array(select t from unnest(excluded.tags) t where t <> all(c.tags))) <= 50)
       or exists (select 1 from jsonb_each_text(excluded.attributes) e where (c.attributes ->> e.key) is distinct from e.value)
    returning c.id, c.wa_id, (xmax = 0) as inserted`);

  const touched = new Set<string>();
  const insertedIds = new Map<string, string>();
  let created = 0;
  for (const u of upserted) {
    if (u.inserted) (created++, insertedIds.set(u.wa_id, u.id));
    touched.add(u.wa_id);
  }
  const changes: BatchResult["consent"] = [];
  const withConsent = rows.filter((r) => r.consent);
  if (withConsent.length) {
    // A new contact's consent is set already (only its row is to be written); an existing one's is changed here.
    const consent = JSON.stringify(withConsent.map((r) => ({ line: r.line, wa_id: r.wa_id, kind: r.consent!.kind, at: r.consent!.at, new_id: insertedIds.get(r.wa_id) ?? null })));
    const details = { import_id: ctx.importId };
    const changed = await tx.execute<{ wa_id: string; contact_id: string; kind: "opt_in" | "opt_out"; occurred_at: string }>(sql`
      with input as (
        select * from jsonb_to_recordset(${consent}::jsonb) as r(line int, wa_id text, kind text, at timestamptz, new_id uuid)
      ), existing as (
        select i.*, c.id as contact_id from input i join contacts c on c.workspace_id = ${ctx.workspaceId} and c.wa_id = i.wa_id where i.new_id is null
      ), opted_in as (
        update contacts c set marketing_opt_in_at = i.at, marketing_opt_in_source = 'import', opted_out_at = null, opted_out_source = null, updated_at = ${now}
        from existing i where c.id = i.contact_id and i.kind = 'opt_in' and c.marketing_opt_in_at is null
        returning c.id, c.wa_id, i.line, i.at, i.kind
      ), opted_out as (
        update contacts c set opted_out_at = i.at, opted_out_source = 'import', marketing_opt_in_at = null, marketing_opt_in_source = null, updated_at = ${now}
        from existing i where c.id = i.contact_id and i.kind = 'opt_out' and c.opted_out_at is null
        returning c.id, c.wa_id, i.line, i.at, i.kind
      ), changed as (
        select * from opted_in union all select * from opted_out
        union all select new_id, wa_id, line, at, kind from input where new_id is not null
      )
      insert into contact_consent_events (workspace_id, contact_id, consent, source, actor_type, actor_id, occurred_at, details)
      select ${ctx.workspaceId}, id, kind, 'import', ${ctx.actorType}, ${ctx.actorId}, at, ${JSON.stringify(details)}::jsonb || jsonb_build_object('line', line) from changed
      returning contact_id, consent as kind, occurred_at, wa_id`);
    for (const c of changed) {
      touched.add(c.wa_id);
      changes.push({ contactId: c.contact_id, waId: c.wa_id, kind: c.kind, at: new Date(c.occurred_at) });
    }
  }
  return { created, updated: touched.size - created, unchanged: rows.length - touched.size, consent: changes };
}
