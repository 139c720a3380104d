import { UUID_PATTERN } from "../ids.js";

/**
 * Sandesh's mark on a send: `biz_opaque_callback_data` = `sandesh:<message id>`, then
 * `|` and the client's own value when it gave one. Meta echoes the field on every status
 * of the message, so a status whose send answer was lost (a dropped connection, a time-out,
 * a worker killed mid-send) still names its message and settles it. The client's value
 * goes to Meta inside ours and comes back out of it unchanged; the stored payload is
 * the client's own. A value too long to carry ours (Meta's limit is 512) goes untagged.
 */
const PREFIX = "sandesh:";
export const OPAQUE_MAX = 512;

export function tagSend(messageId: string, payload: Record<string, unknown>): Record<string, unknown> {
  // null is "absent", as everywhere in Graph's bodies.
  const own = payload.biz_opaque_callback_data ?? undefined;
  // Not a string: Meta refuses it, as it would have without us.
  if (own !== undefined && typeof own !== "string") return payload;
  const tagged = `${PREFIX}${messageId}${own === undefined ? "" : `|${own}`}`;
  return tagged.length > OPAQUE_MAX ? payload : { ...payload, biz_opaque_callback_data: tagged };
}

export interface ReadTag {
  /** The Sandesh message the status names, if it carries our mark. */
  messageId: string | null;
  /** What the client sent as biz_opaque_callback_data, if anything. */
  clientValue: string | undefined;
}

export function readTag(value: unknown): ReadTag {
  if (typeof value !== "string") return { messageId: null, clientValue: undefined };
  const id = value.slice(PREFIX.length, PREFIX.length + 36);
  const rest = value.slice(PREFIX.length + 36);
  if (!value.startsWith(PREFIX) || !UUID_PATTERN.test(id) || (rest !== "" && !rest.startsWith("|"))) return { messageId: null, clientValue: value };
  return { messageId: id.toLowerCase(), clientValue: rest === "" ? undefined : rest.slice(1) };
}
