import { asApp } from "../../db/tenant.js";
import type { Services } from "../context.js";
import { AppError } from "../errors.js";
import { applyTemplateWebhook } from "../templates/webhook.js";
import { dispatchRecorded } from "../webhooks/emit.js";
import { recordUnrouted, type DeadLetter } from "./dead-letter.js";
import { applyNumberBatch, type BatchResult, type NumberBatch } from "./number-batch.js";
import { ownerOf, type NumberOwner } from "./owner.js";
import { readDelivery, type Delivery } from "./validate.js";
import { GROUPED_MAX_STATUSES, type StatusWriter, type StatusWork } from "./status-writer.js";

export interface IngestSummary {
  statuses: number;
  inbound: number;
  events: number;
  unknownNumbers: string[];
  /** Items not applied and kept in meta_dead_letters instead. */
  deadLettered: number;
}

/**
 * One verified webhook call from Meta. Every item is either applied or kept as a dead
 * letter, durably, before Meta hears 200; a failure that is not the item's fault (the
 * database away) answers 503, and Meta's retry finds the items already applied
 * unchanged. Forwarding to the workspace's own endpoints is recorded in the same
 * transactions and delivered through the queue afterwards, so Meta never waits on a
 * customer's server.
 */
export async function ingestMetaWebhook(s: Services, rawBody: string): Promise<IngestSummary> {
  let json: unknown;
  try {
    json = JSON.parse(rawBody);
  } catch {
    throw new AppError(400, "invalid_json", "The webhook body is not valid JSON");
  }
  const delivery = readDelivery(json);
  const summary: IngestSummary = { statuses: 0, inbound: 0, events: 0, unknownNumbers: [], deadLettered: 0 };
  if (delivery.ignored) {
    // Signed by Meta but not something we act on: acknowledged, so Meta does not retry it for days.
    s.logger.warn("meta webhook ignored", { reason: delivery.ignored });
    return summary;
  }
  const touched: string[] = [];
  try {
    const owners = await ownersOf(s, delivery);
    const { batches, unrouted } = route(delivery, owners);
    summary.unknownNumbers = [...owners].filter(([, o]) => !o).map(([id]) => id);
    // Meta's usual call (a status or two) joins the next group commit (Node); the rest as always.
    const grouped = s.statusWriter && batches.reduce((n, b) => n + b.statuses.length, 0) <= GROUPED_MAX_STATUSES ? s.statusWriter : null;
    for (const batch of batches) {
      const r = grouped ? await applyGrouped(s, grouped, batch) : await applyNumberBatch(s, batch);
      summary.statuses += r.statuses;
      summary.inbound += r.inbound;
      summary.events += r.events;
      summary.deadLettered += r.deadLettered;
      if (r.recorded) touched.push(batch.owner.workspaceId);
    }
    if (unrouted.length) await asApp(s.db, (tx) => recordUnrouted(tx, unrouted));
    await applyTemplateWebhook(s, json);
    summary.deadLettered += unrouted.length;
  } catch (err) {
    s.logger.error("meta webhook not applied; Meta will retry it", { error: err });
    throw new AppError(503, "temporarily_unavailable", "The delivery could not be recorded; retry it", undefined, { "Retry-After": "30" });
  } finally {
    if (touched.length) await dispatchRecorded(s, touched).catch((err: unknown) => s.logger.error("event dispatch failed; the sweep retries it", { error: err }));
  }
  if (summary.unknownNumbers.length) s.logger.warn("meta webhook for unknown numbers", { phone_number_ids: summary.unknownNumbers });
  if (summary.deadLettered) s.logger.warn("meta webhook items dead-lettered", { count: summary.deadLettered });
  return summary;
}

/**
 * A number's statuses through the status writer, committed before this returns; what the
 * writer hands back (statuses that wait for their wamid, a value the database refused)
 * and any inbound messages or dead letters go the single-call way.
 */
async function applyGrouped(s: Services, writer: StatusWriter, b: NumberBatch): Promise<BatchResult> {
  const work: StatusWork = { workspaceId: b.owner.workspaceId, displayPhoneNumber: b.displayPhoneNumber, statuses: b.statuses };
  if (b.statuses.length) await writer.add(work);
  const rest = work.rest ?? [];
  const r = rest.length || b.messages.length || b.dead.length ? await applyNumberBatch(s, { ...b, statuses: rest }) : { statuses: 0, inbound: 0, events: 0, recorded: false, deadLettered: 0 };
  return { ...r, statuses: r.statuses + b.statuses.length - rest.length, events: r.events + (work.events ?? 0), recorded: r.recorded || !!work.recorded };
}

async function ownersOf(s: Services, d: Delivery): Promise<Map<string, NumberOwner | null>> {
  const ids = [...new Set(d.changes.map((c) => c.phoneNumberId))];
  const owners = new Map<string, NumberOwner | null>();
  const misses = ids.filter((id) => {
    const hit = s.caches.numbersByPhoneId.get(id);
    if (hit !== undefined) owners.set(id, hit);
    return hit === undefined;
  });
  if (misses.length) await asApp(s.db, async (tx) => {
    for (const id of misses) owners.set(id, await ownerOf(s, tx, id));
  });
  return owners;
}

/**
 * Each change goes to its number's batch when the number is known and the entry names
 * the number's own WABA. Otherwise no workspace can be held responsible for the items
 * (and showing them to the number's workspace could show it another business's
 * traffic), so they go to the operator.
 */
function route(d: Delivery, owners: Map<string, NumberOwner | null>): { batches: NumberBatch[]; unrouted: DeadLetter[] } {
  const batches = new Map<string, NumberBatch>();
  const unrouted = [...d.unrouted];
  for (const c of d.changes) {
    const owner = owners.get(c.phoneNumberId) ?? null;
    const reason = !owner ? "unknown_number" : owner.wabaId !== c.wabaId ? "waba_mismatch" : null;
    if (reason) {
      const ids = { phoneNumberId: c.phoneNumberId, wabaId: c.wabaId };
      const problem = { path: "", message: reason === "unknown_number" ? "no workspace has connected this phone number id" : "entry.id is not the WABA this phone number belongs to" };
      for (const item of c.dead) unrouted.push(item);
      for (const item of c.statuses) unrouted.push({ kind: "status", reason, problems: [problem], item, ...ids });
      for (const item of c.messages) unrouted.push({ kind: "message", reason, problems: [problem], item, ...ids });
      continue;
    }
    let b = batches.get(c.phoneNumberId);
    if (!b) batches.set(c.phoneNumberId, (b = { owner: owner!, phoneNumberId: c.phoneNumberId, wabaId: owner!.wabaId, displayPhoneNumber: c.displayPhoneNumber, statuses: [], messages: [], profiles: new Map(), dead: [] }));
    b.statuses = b.statuses.concat(c.statuses);
    b.messages = b.messages.concat(c.messages);
    for (const [waId, name] of c.profiles) b.profiles.set(waId, name);
    b.dead = b.dead.concat(c.dead);
  }
  return { batches: [...batches.values()], unrouted };
}
