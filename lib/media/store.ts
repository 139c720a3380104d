import { and, eq } from "drizzle-orm";
import { media, whatsappNumbers } from "../../db/schema/index.js";
import { withTenant } from "../../db/tenant.js";
import type { Services } from "../context.js";
import { AppError } from "../errors.js";
import { openToken } from "../whatsapp/numbers.js";
import type { GraphTarget } from "./graph.js";

export type MediaRow = typeof media.$inferSelect;
export type NumberRow = typeof whatsappNumbers.$inferSelect;

/** Meta's ids are digits; anything else is no media of anyone's. */
export const MEDIA_ID = /^\d{1,32}$/;

export const mediaNotFound = (id: string) => new AppError(404, "not_found", `Media ${id} not found`);

export const graphTarget = (s: Services): GraphTarget => ({ graphUrl: s.config.meta.graphUrl, apiVersion: s.config.meta.apiVersion });

/** The workspace's media row and the number it came through; another workspace's id is not found. */
export async function findMedia(s: Services, workspaceId: string, mediaId: string): Promise<{ row: MediaRow; number: NumberRow }> {
  if (!MEDIA_ID.test(mediaId)) throw mediaNotFound(mediaId);
  const [hit] = await withTenant(s.db, workspaceId, (tx) =>
    tx.select({ row: media, number: whatsappNumbers }).from(media).innerJoin(whatsappNumbers, eq(whatsappNumbers.id, media.whatsappNumberId)).where(and(eq(media.mediaId, mediaId))),
  );
  if (!hit) throw mediaNotFound(mediaId);
  return hit;
}

/** The number's full row (with its sealed token) by Meta's phone-number id. */
export async function numberRow(s: Services, workspaceId: string, phoneNumberId: string): Promise<NumberRow> {
  const [row] = await withTenant(s.db, workspaceId, (tx) => tx.select().from(whatsappNumbers).where(eq(whatsappNumbers.phoneNumberId, phoneNumberId)));
  if (!row) throw new AppError(404, "not_found", `Phone-number id ${phoneNumberId} is not connected to this workspace`);
  return row;
}

/** Just in time, for the requests to Meta that follow; the plaintext stays in the caller's memory. */
export const tokenOf = (s: Services, number: NumberRow) => openToken(s, number);
