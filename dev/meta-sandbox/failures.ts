import { META_ERRORS, type GraphErrorSpec } from "./graph-errors.js";

/**
 * Failure recipes: the last four digits of the recipient choose how Meta behaves, so
 * every error path can be driven end to end with nothing but a phone number. The
 * README's table is this list; a test keeps the two in step.
 */
export type StatusStep = "sent" | "delivered" | "read" | { failed: GraphErrorSpec };

export interface Recipe {
  suffix: string;
  summary: string;
  /** Answer the send with this error instead of a message id. */
  reject?: GraphErrorSpec;
  /** Accept the message (it is recorded and its statuses are posted) but drop the connection without an answer. */
  dropConnection?: true;
  /** The rejection or drop happens only on the first send to this recipient from this number; later sends succeed. */
  once?: true;
  /** Status webhooks after an accepted send, in this order (default sent → delivered → read). */
  statuses?: StatusStep[];
  /** Every status webhook is posted twice, as Meta's at-least-once delivery does. */
  duplicateWebhooks?: true;
}

export const DEFAULT_STATUSES: StatusStep[] = ["sent", "delivered", "read"];

const E = META_ERRORS;
export const RECIPES: Recipe[] = [
  // Rejected synchronously, every time (permanent).
  { suffix: "0100", summary: "invalid parameter", reject: E.invalidParameter },
  { suffix: "0190", summary: "access token expired (the number needs a new token)", reject: E.tokenExpired },
  { suffix: "0010", summary: "permission denied", reject: E.permissionDenied },
  { suffix: "0021", summary: "recipient cannot be sender", reject: E.recipientIsSender },
  { suffix: "0026", summary: "message undeliverable", reject: E.undeliverable },
  { suffix: "0030", summary: "recipient not in allowed list (test numbers)", reject: E.notInAllowedList },
  { suffix: "0047", summary: "re-engagement: outside the 24 h window", reject: E.reEngagement },
  { suffix: "0051", summary: "unsupported message type", reject: E.unsupportedType },
  { suffix: "0368", summary: "account blocked for policy", reject: E.policyBlocked },
  { suffix: "2001", summary: "template does not exist", reject: E.templateMissing },
  { suffix: "2015", summary: "template paused", reject: E.templatePaused },
  { suffix: "0599", summary: "server error on every attempt (retries run out)", reject: E.somethingWentWrong },
  // Rejected synchronously the first time only (retryable), then accepted.
  { suffix: "0429", summary: "throughput reached, once", reject: E.throughput, once: true },
  { suffix: "0056", summary: "pair rate limit, once", reject: E.pairRateLimit, once: true },
  { suffix: "0500", summary: "something went wrong, once", reject: E.somethingWentWrong, once: true },
  { suffix: "0503", summary: "server temporarily unavailable, once", reject: E.serverUnavailable, once: true },
  { suffix: "0408", summary: "Meta takes the message but the connection drops before the answer, once", dropConnection: true, once: true },
  // Accepted (200 with a wamid); the outcome arrives by webhook.
  { suffix: "0009", summary: "sent, then failed: undeliverable", statuses: ["sent", { failed: E.undeliverable }] },
  { suffix: "1047", summary: "failed without sent: re-engagement (how Meta usually reports it)", statuses: [{ failed: E.reEngagement }] },
  { suffix: "0049", summary: "failed without sent: healthy-ecosystem limit", statuses: [{ failed: E.ecosystemEngagement }] },
  { suffix: "0007", summary: "sent, delivered, never read (read receipts off)", statuses: ["sent", "delivered"] },
  { suffix: "0008", summary: "out of order: read arrives before delivered", statuses: ["sent", "read", "delivered"] },
  { suffix: "0002", summary: "every status webhook arrives twice", duplicateWebhooks: true },
];

const bySuffix = new Map(RECIPES.map((r) => [r.suffix, r]));

export const recipeFor = (waId: string): Recipe | undefined => bySuffix.get(waId.slice(-4));
