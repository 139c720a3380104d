import * as v from "valibot";

/**
 * The parts of Meta's webhook envelope Sandesh acts on. Loose on purpose: Meta adds
 * fields without notice, and an unknown field must never make us drop an event.
 */
const Status = v.looseObject({
  id: v.string(),
  status: v.string(),
  timestamp: v.string(),
  recipient_id: v.optional(v.string()),
  conversation: v.optional(v.looseObject({ id: v.optional(v.string()) })),
  pricing: v.optional(v.looseObject({})),
  errors: v.optional(v.array(v.looseObject({ code: v.optional(v.number()), title: v.optional(v.string()), message: v.optional(v.string()), error_data: v.optional(v.looseObject({ details: v.optional(v.string()) })) }))),
});

const Inbound = v.looseObject({ from: v.string(), id: v.string(), timestamp: v.string(), type: v.string() });

const Value = v.looseObject({
  messaging_product: v.optional(v.string()),
  metadata: v.optional(v.looseObject({ phone_number_id: v.string(), display_phone_number: v.optional(v.string()) })),
  contacts: v.optional(v.array(v.looseObject({ wa_id: v.optional(v.string()), profile: v.optional(v.looseObject({ name: v.optional(v.string()) })) }))),
  messages: v.optional(v.array(Inbound)),
  statuses: v.optional(v.array(Status)),
});

export const Envelope = v.looseObject({
  object: v.string(),
  entry: v.array(v.looseObject({ id: v.optional(v.string()), changes: v.array(v.looseObject({ field: v.string(), value: v.optional(Value) })) })),
});

export type MetaStatus = v.InferOutput<typeof Status>;
export type MetaInbound = v.InferOutput<typeof Inbound> & Record<string, unknown>;
export type MetaValue = v.InferOutput<typeof Value>;

export interface NumberBatch {
  phoneNumberId: string;
  statuses: MetaStatus[];
  messages: MetaInbound[];
  profiles: Map<string, string>;
}

/** Groups every messages-field change by the business number it concerns. */
export function batchesOf(envelope: v.InferOutput<typeof Envelope>): NumberBatch[] {
  const byNumber = new Map<string, NumberBatch>();
  for (const entry of envelope.entry) {
    for (const change of entry.changes) {
      const value = change.value;
      if (change.field !== "messages" || !value?.metadata) continue;
      const id = value.metadata.phone_number_id;
      let b = byNumber.get(id);
      if (!b) byNumber.set(id, (b = { phoneNumberId: id, statuses: [], messages: [], profiles: new Map() }));
      b.statuses.push(...(value.statuses ?? []));
      b.messages.push(...((value.messages ?? []) as MetaInbound[]));
      for (const c of value.contacts ?? []) if (c.wa_id && c.profile?.name) b.profiles.set(c.wa_id, c.profile.name);
    }
  }
  return [...byNumber.values()];
}

export const fromUnixSeconds = (s: string) => {
  const n = Number(s);
  return Number.isFinite(n) && n > 0 ? new Date(n * 1000) : new Date();
};
