import { eq } from "drizzle-orm";
import * as v from "valibot";
import { workspaces } from "../../db/schema/index.js";
import { asApp, switchTenant } from "../../db/tenant.js";
import type { Services } from "../context.js";
import { AppError } from "../errors.js";
import { dispatchRecorded, recordEvents, type OutgoingEvent } from "../webhooks/emit.js";
import { applyInbound, keywordsFrom } from "./inbound.js";
import { ownerOf } from "./owner.js";
import { batchesOf, Envelope } from "./payload.js";
import { applyStatuses, lockWamids } from "./statuses.js";

export interface IngestSummary {
  statuses: number;
  inbound: number;
  events: number;
  unknownNumbers: string[];
}

/**
 * One verified webhook call from Meta → one transaction, then an acknowledgement.
 * Forwarding to the workspace's own endpoints is recorded in the same transaction and
 * delivered through the queue afterwards, so Meta never waits on a customer's server.
 */
export async function ingestMetaWebhook(s: Services, rawBody: string): Promise<IngestSummary> {
  let json: unknown;
  try {
    json = JSON.parse(rawBody);
  } catch {
    throw new AppError(400, "invalid_json", "The webhook body is not valid JSON");
  }
  const parsed = v.safeParse(Envelope, json);
  const summary: IngestSummary = { statuses: 0, inbound: 0, events: 0, unknownNumbers: [] };
  if (!parsed.success || parsed.output.object !== "whatsapp_business_account") {
    // Signed by Meta but not something we act on: acknowledged, so Meta does not retry it for days.
    s.logger.warn("meta webhook ignored", { reason: parsed.success ? `object ${parsed.output.object}` : "unexpected shape", path: parsed.success ? null : parsed.issues[0]?.path?.map((p) => p.key).join(".") });
    return summary;
  }
  const batches = batchesOf(parsed.output);
  const touched: string[] = [];
  // Every wamid of the delivery is locked first, in one sorted statement, before any row
  // lock: a send job recording one of them waits for this commit, or this waits for its
  // (lib/ingest/statuses.ts), and two deliveries sharing wamids queue instead of deadlocking.
  const wamids = batches.flatMap((b) => b.statuses.map((st) => st.id));
  await asApp(s.db, async (tx) => {
    if (wamids.length) await lockWamids(tx, wamids);
    for (const batch of batches) {
      const owner = await ownerOf(s, tx, batch.phoneNumberId);
      if (!owner) {
        summary.unknownNumbers.push(batch.phoneNumberId);
        continue;
      }
      await switchTenant(tx, owner.workspaceId);
      const events: OutgoingEvent[] = await applyStatuses(tx, owner.workspaceId, batch.statuses);
      if (batch.messages.length) {
        const [ws] = await tx.select({ settings: workspaces.settings }).from(workspaces).where(eq(workspaces.id, owner.workspaceId));
        const ctx = { ...owner, phoneNumberId: batch.phoneNumberId, keywords: keywordsFrom(ws?.settings) };
        for (const m of batch.messages) events.push(...(await applyInbound(tx, ctx, m, batch.profiles.get(m.from))));
      }
      summary.statuses += batch.statuses.length;
      summary.inbound += batch.messages.length;
      if (events.length) {
        const n = await recordEvents(s, tx, owner.workspaceId, events);
        if (n) touched.push(owner.workspaceId);
        summary.events += events.length;
      }
    }
  });
  if (summary.unknownNumbers.length) s.logger.warn("meta webhook for unknown numbers", { phone_number_ids: summary.unknownNumbers });
  if (touched.length) await dispatchRecorded(s, touched).catch((err: unknown) => s.logger.error("event dispatch failed; the sweep retries it", { error: err }));
  return summary;
}
