import { and, eq, sql } from "drizzle-orm";
import { withTenant } from "../../db/tenant.js";
import { messageTemplates } from "../../db/schema/index.js";
import { recordAudit, type AuditEntry } from "../audit/record.js";
import type { Services } from "../context.js";
import { submitMetaTemplate } from "./graph.js";
import { templateView, type CreateTemplateInput } from "./schema.js";
import { pickWaba, wabaAccess } from "./waba.js";

type Actor = Pick<AuditEntry, "actorType" | "actorId" | "ip" | "userAgent">;

/**
 * POST /v1/templates: submitted to Meta for review, kept in the catalogue as Meta
 * answered (usually PENDING); the review's outcome arrives as a status webhook. Meta may
 * review within moments, so the row exists (PENDING) before Meta is asked: a webhook
 * arriving before Meta's answer finds it, and the answer never overwrites what the
 * webhook said. A row this call created is removed again if Meta refuses. The audit row
 * (`template.submitted`) is written with the change that places the row (or, for one
 * already there, with the update of Meta's answer); a refusal's removal writes
 * `template.submission_refused` with it.
 */
export async function createTemplate(s: Services, workspaceId: string, input: CreateTemplateInput, actor: Actor) {
  const { number } = await pickWaba(s, workspaceId, input.waba_id);
  const key = and(eq(messageTemplates.wabaId, number.wabaId), eq(messageTemplates.name, input.name), eq(messageTemplates.language, input.language));
  const details = { name: input.name, language: input.language, waba_id: number.wabaId };
  // The placed row is the change: it is audited in its own transaction, before Meta is asked.
  const [placed] = await withTenant(s.db, workspaceId, async (tx) => {
    const rows = await tx
      .insert(messageTemplates)
      .values({ workspaceId, wabaId: number.wabaId, name: input.name, language: input.language, category: input.category, status: "PENDING", components: input.components })
      .onConflictDoNothing()
      .returning({ id: messageTemplates.id });
    if (rows[0]) await recordAudit(tx, { ...actor, workspaceId, action: "template.submitted", objectType: "template", objectId: rows[0].id, details });
    return rows;
  });
  let answer;
  try {
    const { target, token } = await wabaAccess(s, number);
    answer = await submitMetaTemplate(target, token, { name: input.name, language: input.language, category: input.category, components: input.components });
  } catch (err) {
    if (placed) {
      await withTenant(s.db, workspaceId, async (tx) => {
        await tx.delete(messageTemplates).where(eq(messageTemplates.id, placed.id));
        await recordAudit(tx, { ...actor, workspaceId, action: "template.submission_refused", objectType: "template", objectId: placed.id, details });
      }).catch(() => {});
    }
    throw err;
  }
  return withTenant(s.db, workspaceId, async (tx) => {
    const [row] = await tx
      .update(messageTemplates)
      .set({
        metaId: answer.id ?? null,
        category: answer.category ?? input.category,
        components: input.components,
        // A status webhook may already have moved it on from PENDING: that one stands.
        status: sql`case when ${messageTemplates.status} = 'PENDING' then ${answer.status ?? "PENDING"} else ${messageTemplates.status} end`,
        updatedAt: s.clock.now(),
      })
      .where(key)
      .returning();
    // A template already in the catalogue (submitted again): this update is the change.
    if (!placed) await recordAudit(tx, { ...actor, workspaceId, action: "template.submitted", objectType: "template", objectId: row!.id, details });
    return templateView(row!);
  });
}
