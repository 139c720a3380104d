import * as v from "valibot";
import type { DeadLetter, DeadLetterKind, Problem } from "./dead-letter.js";
import { ITEM_SCHEMAS, type MetaInbound, type MetaStatus } from "./payload.js";
import { MAX_JSON_DEPTH, UNSTORABLE_TEXT } from "../storable.js";

/**
 * Reads a signed Meta delivery item by item. The envelope is walked leniently and each
 * status, message and contact is judged on its own, so one bad item (a type Meta never
 * sent before, a value the database cannot store) is set aside as a dead letter while
 * every other item of the delivery, for every tenant in it, is applied.
 */
export const MAX_DEPTH = MAX_JSON_DEPTH; // Meta's deepest item (an order, a flow reply) is under 8
export const MAX_ITEM_CHARS = 64 * 1024;

export interface ChangeItems {
  phoneNumberId: string;
  /** entry[].id: the WhatsApp Business Account Meta says the change belongs to. */
  wabaId: string | null;
  /** metadata.display_phone_number as Meta sent it, for endpoints that receive Meta's shape. */
  displayPhoneNumber: string | null;
  statuses: MetaStatus[];
  messages: MetaInbound[];
  profiles: [waId: string, name: string][];
  dead: DeadLetter[];
}

export interface Delivery {
  /** Signed, but about something else (another object type): acknowledged, not acted on. */
  ignored: string | null;
  changes: ChangeItems[];
  /** What could not be tied to a number: the operator's. */
  unrouted: DeadLetter[];
}

const UNSTORABLE = UNSTORABLE_TEXT;

/** Depth, size and storability of a whole item, without recursion: the depth is what is in doubt. */
export function scanItem(item: unknown): Problem[] {
  const problems: Problem[] = [];
  const stack: [unknown, string, number][] = [[item, "", 0]];
  let chars = 0;
  while (stack.length && problems.length < 5) {
    const [node, path, depth] = stack.pop()!;
    if (typeof node === "string") {
      chars += node.length;
      if (UNSTORABLE.test(node)) problems.push({ path, message: "contains a NUL or an unpaired surrogate, which cannot be stored" });
    } else if (node !== null && typeof node === "object") {
      if (depth >= MAX_DEPTH) {
        problems.push({ path, message: `nests deeper than ${MAX_DEPTH} levels` });
        continue;
      }
      for (const [k, child] of Object.entries(node)) {
        chars += k.length;
        const key = UNSTORABLE.test(k) ? "?" : k.slice(0, 64);
        if (key === "?") problems.push({ path, message: "has a key with a NUL or an unpaired surrogate" });
        stack.push([child, path ? `${path}.${key}` : key, depth + 1]);
      }
    }
    if (chars > MAX_ITEM_CHARS) {
      problems.push({ path: "", message: `is larger than ${MAX_ITEM_CHARS} characters` });
      break;
    }
  }
  return problems;
}

const problemsOf = (issues: v.BaseIssue<unknown>[]): Problem[] =>
  issues.slice(0, 5).map((i) => ({ path: (i.path ?? []).map((p) => String(p.key)).join(".").slice(0, 200), message: i.message.slice(0, 200) }));

const isRecord = (x: unknown): x is Record<string, unknown> => x !== null && typeof x === "object" && !Array.isArray(x);
const safeId = (x: unknown, pattern: RegExp) => (typeof x === "string" && pattern.test(x) ? x : null);

export function readDelivery(json: unknown): Delivery {
  const out: Delivery = { ignored: null, changes: [], unrouted: [] };
  const dead = (kind: DeadLetterKind, item: unknown, problems: Problem[], ids: { phoneNumberId?: string | null; wabaId?: string | null } = {}): DeadLetter => ({
    kind,
    reason: "invalid_item",
    problems,
    item,
    phoneNumberId: ids.phoneNumberId ?? null,
    wabaId: ids.wabaId ?? null,
  });
  if (!isRecord(json) || typeof json.object !== "string" || !Array.isArray(json.entry)) {
    out.unrouted.push(dead("delivery", json, [{ path: "", message: "must be an object with `object` and an `entry` list" }]));
    return out;
  }
  if (json.object !== "whatsapp_business_account") {
    out.ignored = `object ${json.object.slice(0, 64)}`;
    return out;
  }
  for (const [e, entry] of json.entry.entries()) {
    const wabaId = isRecord(entry) ? safeId(entry.id, /^\d{1,32}$/) : null;
    if (!isRecord(entry) || !Array.isArray(entry.changes)) {
      out.unrouted.push(dead("entry", entry, [{ path: `entry.${e}`, message: "must be an object with a `changes` list" }], { wabaId }));
      continue;
    }
    for (const [c, change] of entry.changes.entries()) {
      const at = `entry.${e}.changes.${c}`;
      if (isRecord(change) && typeof change.field === "string" && change.field !== "messages") continue; // not a field Sandesh acts on
      const value = isRecord(change) ? change.value : undefined;
      const phoneNumberId = isRecord(value) && isRecord(value.metadata) ? safeId(value.metadata.phone_number_id, /^\d{1,32}$/) : null;
      if (!isRecord(change) || typeof change.field !== "string" || !isRecord(value) || !phoneNumberId) {
        out.unrouted.push(dead("change", change, [{ path: at, message: "must have a `field` and a `value` whose metadata names a phone number id" }], { wabaId }));
        continue;
      }
      const displayPhoneNumber = safeId((value.metadata as Record<string, unknown>).display_phone_number, /^\d{1,32}$/);
      const items: ChangeItems = { phoneNumberId, wabaId, displayPhoneNumber, statuses: [], messages: [], profiles: [], dead: [] };
      const ids = { phoneNumberId, wabaId };
      const each = <K extends keyof typeof ITEM_SCHEMAS>(key: string, kind: K, keep: (item: v.InferOutput<(typeof ITEM_SCHEMAS)[K]>) => void) => {
        const list = value[key];
        if (list === undefined) return;
        if (!Array.isArray(list)) {
          items.dead.push(dead("change", { [key]: list }, [{ path: `${at}.value.${key}`, message: "must be a list" }], ids));
          return;
        }
        for (const [i, item] of list.entries()) {
          const scanned = scanItem(item);
          const parsed = scanned.length ? null : v.safeParse(ITEM_SCHEMAS[kind], item);
          if (parsed?.success) keep(parsed.output as never);
          else items.dead.push(dead(kind, item, (scanned.length ? scanned : problemsOf(parsed!.issues)).map((p) => ({ ...p, path: `${at}.value.${key}.${i}${p.path ? `.${p.path}` : ""}` })), ids));
        }
      };
      each("statuses", "status", (s) => items.statuses.push(s));
      each("messages", "message", (m) => items.messages.push(m as MetaInbound));
      each("contacts", "contact", (p) => p.wa_id && p.profile?.name && items.profiles.push([p.wa_id, p.profile.name]));
      out.changes.push(items);
    }
  }
  return out;
}
