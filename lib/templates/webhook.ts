import { sql } from "drizzle-orm";
import { asApp, switchTenant } from "../../db/tenant.js";
import type { Tx } from "../../db/client.js";
import type { Services } from "../context.js";

/**
 * Meta's template webhooks keep the catalogue current: `message_template_status_update`
 * (APPROVED, REJECTED with its reason, PAUSED, DISABLED …) and `template_category_update`
 * (Meta re-categorised it). They name the WABA (entry.id), not a number, so the narrow
 * SECURITY DEFINER look-up says which workspaces hold it; each is then updated under its
 * own tenant scope. Setting a status is idempotent, so Meta's retries change nothing. A
 * template the catalogue does not hold yet is left to the next sync (its components,
 * which pre-flight needs, are not in the webhook).
 */
interface TemplateChange {
  wabaId: string;
  metaId: string | null;
  name: string;
  language: string;
  status?: string;
  reason?: string | null;
  category?: string;
}

const str = (v: unknown) => (typeof v === "string" && v.length > 0 && v.length <= 512 && !v.includes("\u0000") ? v : null);

export function templateChangesOf(json: unknown): TemplateChange[] {
  const out: TemplateChange[] = [];
  const entries = (json as { entry?: unknown })?.entry;
  for (const entry of Array.isArray(entries) ? entries : []) {
    const wabaId = str((entry as { id?: unknown })?.id);
    const changes = (entry as { changes?: unknown })?.changes;
    if (!wabaId || !/^\d{1,32}$/.test(wabaId) || !Array.isArray(changes)) continue;
    for (const c of changes as { field?: unknown; value?: Record<string, unknown> }[]) {
      const v = c?.value;
      if (!v || (c.field !== "message_template_status_update" && c.field !== "template_category_update")) continue;
      const name = str(v.message_template_name);
      const language = str(v.message_template_language);
      if (!name || !language) continue;
      const metaId = v.message_template_id === undefined || v.message_template_id === null ? null : String(v.message_template_id);
      if (c.field === "message_template_status_update") {
        const status = str(v.event);
        if (status) out.push({ wabaId, metaId, name, language, status: status.toUpperCase(), reason: str(v.reason) });
      } else {
        const category = str(v.new_category) ?? str(v.correct_category);
        if (category) out.push({ wabaId, metaId, name, language, category: category.toUpperCase() });
      }
    }
  }
  return out;
}

async function apply(tx: Tx, c: TemplateChange): Promise<void> {
  const set = c.status !== undefined
    ? sql`status = ${c.status}, rejected_reason = ${c.status === "REJECTED" ? (c.reason ?? null) : null}`
    : sql`category = ${c.category!}`;
  await tx.execute(sql`update message_templates set ${set}, updated_at = now()
    where waba_id = ${c.wabaId} and ((name = ${c.name} and language = ${c.language}) or (meta_id is not null and meta_id = ${c.metaId}))`);
}

/** Applies every template change of one verified delivery; returns how many it found. */
export async function applyTemplateWebhook(s: Services, json: unknown): Promise<number> {
  const changes = templateChangesOf(json);
  if (!changes.length) return 0;
  await asApp(s.db, async (tx) => {
    for (const wabaId of new Set(changes.map((c) => c.wabaId))) {
      const owners = await tx.execute<{ workspace_id: string }>(sql`select workspace_id from sandesh_waba_workspaces(${wabaId})`);
      for (const { workspace_id } of owners) {
        await switchTenant(tx, workspace_id);
        for (const c of changes) if (c.wabaId === wabaId) await apply(tx, c);
      }
    }
  });
  return changes.length;
}
