import { eq } from "drizzle-orm";
import { whatsappNumbers } from "../../db/schema/index.js";
import { withTenant } from "../../db/tenant.js";
import type { Services } from "../context.js";
import { AppError, validationFailed } from "../errors.js";
import { openToken } from "../whatsapp/numbers.js";
import type { WabaTarget } from "./graph.js";

type NumberRow = typeof whatsappNumbers.$inferSelect;

/** The workspace's WABAs, each with one connected number whose token can speak for it. */
export async function workspaceWabas(s: Services, workspaceId: string): Promise<Map<string, NumberRow>> {
  const rows = await withTenant(s.db, workspaceId, (tx) => tx.select().from(whatsappNumbers).where(eq(whatsappNumbers.tokenStatus, "active")));
  const byWaba = new Map<string, NumberRow>();
  for (const r of rows) if (!byWaba.has(r.wabaId)) byWaba.set(r.wabaId, r);
  return byWaba;
}

/** Which WABA a request means: the one given, or the only one the workspace has. */
export async function pickWaba(s: Services, workspaceId: string, wabaId: string | undefined): Promise<{ wabaId: string; number: NumberRow }> {
  const all = await workspaceWabas(s, workspaceId);
  if (wabaId !== undefined) {
    const number = all.get(wabaId);
    if (!number) throw new AppError(422, "unknown_waba", `WABA ${wabaId} has no connected number with a valid token in this workspace`, [{ field: "waba_id", message: "is not a connected WABA" }]);
    return { wabaId, number };
  }
  if (all.size === 0) throw new AppError(422, "no_whatsapp_number", "Connect a WhatsApp number (with a valid token) to this workspace first");
  if (all.size > 1) throw validationFailed([{ field: "waba_id", message: "is required when the workspace has several WABAs" }], "This workspace has several WABAs: say which one with waba_id");
  const [only] = all;
  return { wabaId: only![0], number: only![1] };
}

/** Just in time, for one request to Meta: the plaintext token stays in the caller's memory. */
export async function wabaAccess(s: Services, number: NumberRow): Promise<{ target: WabaTarget; token: string }> {
  return { target: { graphUrl: s.config.meta.graphUrl, apiVersion: s.config.meta.apiVersion, wabaId: number.wabaId }, token: await openToken(s, number) };
}
