import { sql } from "drizzle-orm";
import { withTenant } from "../../db/tenant.js";
import { recordAudit, type AuditEntry } from "../audit/record.js";
import type { Services } from "../context.js";
import { listMetaTemplates } from "./graph.js";
import { pickWaba, wabaAccess, workspaceWabas } from "./waba.js";

type Actor = Pick<AuditEntry, "actorType" | "actorId" | "ip" | "userAgent">;

/**
 * POST /v1/templates/sync: every page of each WABA's templates from the Graph API
 * replaces what the catalogue held for that WABA (a template Meta no longer lists is
 * gone), in one transaction per WABA. From the first sync on, the catalogue decides
 * pre-flight for that WABA.
 */
export async function syncTemplates(s: Services, workspaceId: string, wabaId: string | undefined, actor: Actor) {
  const wabas = wabaId !== undefined ? [(await pickWaba(s, workspaceId, wabaId)).number] : [...(await workspaceWabas(s, workspaceId)).values()];
  const out: { waba_id: string; templates: number }[] = [];
  for (const number of wabas) {
    const { target, token } = await wabaAccess(s, number);
    const templates = await listMetaTemplates(target, token);
    const rows = JSON.stringify(
      templates.map((t) => ({ meta_id: t.id ?? null, name: t.name, language: t.language, category: t.category ?? null, status: t.status, quality: t.quality_score?.score ?? null, rejected_reason: t.rejected_reason ?? null, components: t.components ?? [] })),
    );
    const now = s.clock.now().toISOString();
    await withTenant(s.db, workspaceId, async (tx) => {
      await tx.execute(sql`
        insert into message_templates (workspace_id, waba_id, meta_id, name, language, category, status, quality, rejected_reason, components, updated_at)
        select ${workspaceId}, ${number.wabaId}, r.meta_id, r.name, r.language, r.category, r.status, r.quality, r.rejected_reason, coalesce(r.components, '[]'), ${now}
        from jsonb_to_recordset(${rows}::jsonb) as r(meta_id text, name text, language text, category text, status text, quality text, rejected_reason text, components jsonb)
        on conflict (workspace_id, waba_id, name, language) do update set
          meta_id = excluded.meta_id, category = excluded.category, status = excluded.status, quality = excluded.quality,
          rejected_reason = excluded.rejected_reason, components = excluded.components, updated_at = excluded.updated_at`);
      await tx.execute(sql`
        delete from message_templates where waba_id = ${number.wabaId}
          and (name, language) not in (select r.name, r.language from jsonb_to_recordset(${rows}::jsonb) as r(name text, language text))`);
      await tx.execute(sql`
        insert into template_catalogues (workspace_id, waba_id, synced_at) values (${workspaceId}, ${number.wabaId}, ${now})
        on conflict (workspace_id, waba_id) do update set synced_at = excluded.synced_at`);
      await recordAudit(tx, { ...actor, workspaceId, action: "templates.synced", objectType: "waba", objectId: number.wabaId, details: { templates: templates.length } });
    });
    out.push({ waba_id: number.wabaId, templates: templates.length });
  }
  return { synced: out };
}
