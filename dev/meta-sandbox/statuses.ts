import { messagesEnvelope, newConversationId, unixSeconds, type BusinessRef, type MetaEnvelope } from "./envelope.js";
import { statusErrorOf, type GraphErrorSpec } from "./graph-errors.js";

/**
 * Status webhooks as Meta writes them under conversation-based pricing (CBP):
 * `sent` carries the conversation with its expiry and the pricing; `delivered` the
 * conversation without expiry and the pricing; `read` neither; `failed` only `errors`.
 */
export type PricingCategory = "marketing" | "utility" | "authentication" | "service";
export type StatusName = "sent" | "delivered" | "read" | "failed";

export interface StatusInput {
  wamid: string;
  status: StatusName;
  recipientId: string;
  /** A group's statuses say so; a business-scoped user's carry `recipient_user_id` instead of `recipient_id`. */
  recipientKind?: "phone" | "group" | "user";
  timestamp?: string;
  conversation?: { id: string; expirationTimestamp?: string; originType: PricingCategory };
  /** Service conversations are free (`billable: false`) since November 2024. */
  pricing?: { billable: boolean; category: PricingCategory };
  error?: GraphErrorSpec;
  bizOpaqueCallbackData?: string;
}

export function buildStatus(s: StatusInput): Record<string, unknown> {
  const c = s.conversation;
  return {
    id: s.wamid,
    status: s.status,
    timestamp: s.timestamp ?? unixSeconds(),
    ...(s.recipientKind === "user" ? { recipient_user_id: s.recipientId } : { recipient_id: s.recipientId }),
    ...(s.recipientKind === "group" ? { recipient_type: "group" } : {}),
    ...(c ? { conversation: { id: c.id, ...(c.expirationTimestamp ? { expiration_timestamp: c.expirationTimestamp } : {}), origin: { type: c.originType } } } : {}),
    ...(s.pricing ? { pricing: { billable: s.pricing.billable, pricing_model: "CBP", category: s.pricing.category } } : {}),
    ...(s.bizOpaqueCallbackData === undefined ? {} : { biz_opaque_callback_data: s.bizOpaqueCallbackData }),
    ...(s.error ? { errors: [statusErrorOf(s.error)] } : {}),
  };
}

export const statusEnvelope = (biz: BusinessRef, statuses: StatusInput[]): MetaEnvelope => messagesEnvelope(biz, { statuses: statuses.map(buildStatus) });

/**
 * Which category a template bills as. The sandbox cannot know the category Meta
 * approved, so it guesses from the name; pass `templateCategory` to decide otherwise.
 */
export function guessTemplateCategory(name: string): PricingCategory {
  if (/otp|auth|verif|login|code/i.test(name)) return "authentication";
  if (/market|promo|offer|sale|newsletter|campaign/i.test(name)) return "marketing";
  return "utility";
}

interface Conversation {
  id: string;
  category: PricingCategory;
  expiresAt: number;
}

/**
 * Conversations last 24 h per business number, user and category. A free-form message
 * joins whatever conversation is open with that user; with none open it opens a
 * service conversation.
 */
export class Conversations {
  private readonly open = new Map<string, Conversation[]>();

  join(phoneNumberId: string, waId: string, category: PricingCategory | null, now = Date.now()): Conversation {
    const key = `${phoneNumberId}:${waId}`;
    const live = (this.open.get(key) ?? []).filter((c) => c.expiresAt > now);
    let conv = category === null ? live[0] : live.find((c) => c.category === category);
    if (!conv) {
      conv = { id: newConversationId(), category: category ?? "service", expiresAt: now + 24 * 3600_000 };
      live.push(conv);
    }
    this.open.set(key, live);
    return conv;
  }
}

/** The statuses Meta would post for one step of an accepted message. */
export function statusFor(step: StatusName, m: { wamid: string; waId: string; recipientKind?: StatusInput["recipientKind"]; conversation: Conversation; bizOpaqueCallbackData?: string }, error?: GraphErrorSpec): StatusInput {
  const base = { wamid: m.wamid, recipientId: m.waId, ...(m.recipientKind ? { recipientKind: m.recipientKind } : {}), ...(m.bizOpaqueCallbackData === undefined ? {} : { bizOpaqueCallbackData: m.bizOpaqueCallbackData }) };
  const c = m.conversation;
  const pricing = { billable: c.category !== "service", category: c.category };
  if (step === "sent") return { ...base, status: "sent", conversation: { id: c.id, expirationTimestamp: unixSeconds(c.expiresAt), originType: c.category }, pricing };
  if (step === "delivered") return { ...base, status: "delivered", conversation: { id: c.id, originType: c.category }, pricing };
  if (step === "read") return { ...base, status: "read" };
  return { ...base, status: "failed", ...(error ? { error } : {}) };
}
