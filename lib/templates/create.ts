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
 * answered (usually PENDING); the review's outcome arrives as a status webhook.
 */
export async function createTemplate(s: Services, workspaceId: string, input: CreateTemplateInput, actor: Actor) {
  const { number } = await pickWaba(s, workspaceId, input.waba_id);
  const { target, token } = await wabaAccess(s, number);
  const answer = await submitMetaTemplate(target, token, { name: input.name, language: input.language, category: input.category, components: input.components });
  const now = s.clock.now();
  return withTenant(s.db, workspaceId, async (tx) => {
    const values = { metaId: answer.id ?? null, category: answer.category ?? input.category, status: answer.status ?? "PENDING", components: input.components, rejectedReason: null, updatedAt: now };
    const [row] = await tx
      .insert(messageTemplates)
      .values({ workspaceId, wabaId: number.wabaId, name: input.name, language: input.language, ...values })
      .onConflictDoUpdate({ target: [messageTemplates.workspaceId, messageTemplates.wabaId, messageTemplates.name, messageTemplates.language], set: values })
      .returning();
    await recordAudit(tx, { ...actor, workspaceId, action: "template.submitted", objectType: "template", objectId: row!.id, details: { name: input.name, language: input.language, waba_id: number.wabaId } });
    return templateView(row!);
  });
}
