import * as v from "valibot";
import type { Config } from "../config.js";
import { validationFailed } from "../errors.js";
import { UUID_PATTERN } from "../ids.js";
import { parseJsonBody } from "../parse.js";
import type { FieldError } from "../storable.js";
import { EVENT_TYPES, type EventType } from "./emit.js";
import { checkEndpointUrl } from "./url.js";

/**
 * The contract of /v1/webhook-endpoints. `events` omitted (or null) means every event
 * type, including ones added later; a list subscribes to exactly those.
 */
const events = v.pipe(
  v.array(v.picklist(EVENT_TYPES, `must be a list of: ${EVENT_TYPES.join(", ")}`)),
  v.minLength(1, "must name at least one event type, or be omitted for all"),
  v.check((list) => new Set(list).size === list.length, "must not repeat an event type"),
);
const description = v.pipe(v.string(), v.maxLength(500, "must be at most 500 characters"));
const url = v.pipe(v.string("must be a URL"), v.minLength(1, "is required"));
export const WEBHOOK_FORMATS = ["standard", "meta"] as const;
/** standard: Standard Webhooks (the default); meta: Meta's own envelope and signature (lib/webhooks/meta-format.ts). */
const format = v.picklist(WEBHOOK_FORMATS, `must be one of: ${WEBHOOK_FORMATS.join(", ")}`);

export const CreateSchema = v.strictObject({ url, events: v.optional(v.nullable(events)), description: v.optional(v.nullable(description)), format: v.optional(format) });
export const UpdateSchema = v.pipe(
  v.strictObject({
    url: v.optional(url),
    events: v.optional(v.nullable(events)),
    enabled: v.optional(v.boolean("must be true or false")),
    description: v.optional(v.nullable(description)),
    format: v.optional(format),
  }),
  v.check((o) => Object.keys(o).length > 0, "must change at least one of url, events, enabled, description, format"),
);

export interface EndpointInput {
  url: string;
  events: EventType[] | null;
  description: string | null;
  format: (typeof WEBHOOK_FORMATS)[number];
}
export type EndpointChanges = Partial<EndpointInput & { enabled: boolean }>;

function parse<S extends v.GenericSchema>(schema: S, raw: string, env: Config["env"]): v.InferOutput<S> {
  const parsed = parseJsonBody(schema, raw);
  const out = parsed as { url?: unknown };
  if (typeof out.url === "string") {
    const verdict = checkEndpointUrl(out.url, env);
    if (!verdict.ok) throw validationFailed([{ field: "url", message: verdict.message }]);
    out.url = verdict.url.href;
  }
  return parsed;
}

export const parseCreate = (raw: string, env: Config["env"]): EndpointInput => {
  const o = parse(CreateSchema, raw, env);
  return { url: o.url, events: o.events ?? null, description: o.description ?? null, format: o.format ?? "standard" };
};

export const parseUpdate = (raw: string, env: Config["env"]): EndpointChanges => parse(UpdateSchema, raw, env);

/** ?cursor=&limit= for the lists: the cursor is the last id seen (ids are time-ordered). */
export function parsePage(q: { cursor?: string | undefined; limit?: string | undefined }): { cursor: string | null; limit: number } {
  const limit = q.limit === undefined ? 20 : Number(q.limit);
  const errors: FieldError[] = [];
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) errors.push({ field: "limit", message: "must be a whole number from 1 to 100" });
  if (q.cursor !== undefined && !UUID_PATTERN.test(q.cursor)) errors.push({ field: "cursor", message: "is not a cursor this API returned" });
  if (errors.length) throw validationFailed(errors, "The query is not valid");
  return { cursor: q.cursor ?? null, limit };
}
