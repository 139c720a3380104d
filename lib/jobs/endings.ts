import { SEND_RETRIES } from "../queue/port.js";
import type { OutgoingEvent } from "../webhooks/emit.js";

/**
 * How a send ends. Every accepted message ends `sent` (then delivered/read) or `failed`
 * with a reason, one stable word in `error_reason` (GET /v1/messages/{id} → error.reason):
 *   meta_error         Meta refused it (its code and title are kept)
 *   token_refused      Meta refused the number's token (190); the number needs a new one
 *   token_unopenable   the vault could not open the number's token (a wrong MASTER_KEK, or damage)
 *   retries_exhausted  every attempt met a passing fault (Meta 5xx, Redis, the network) and none sent
 *   outcome_unknown    the send may have reached Meta (a broken connection, a time-out, a worker
 *                      stopped after its posting mark); never sent again, because Meta has no
 *                      idempotency key. (A worker stopped before the mark never posted: sent again.)
 *                      Not final: a Meta status naming the message (lib/meta/tag.ts) still
 *                      settles it to sent, delivered, read or Meta's own failure.
 */
export type FailureReason = "meta_error" | "token_refused" | "token_unopenable" | "retries_exhausted" | "outcome_unknown";

/** Claims of one message, all transports together: the queue's retries, plus the sweep's revivals. */
export const SEND_ATTEMPTS = SEND_RETRIES + 1;

/**
 * A claim (queued|retrying → sending) holds the message this long. Longer than a live
 * worker can hold it: pacing waits up to 5 s per slot and a send up to 15 s, four times
 * at most (lib/jobs/send.ts). Past it, the worker is taken to have stopped mid-send.
 */
export const SENDING_LEASE_MS = 120_000;

export const LEASE_LAPSED = "Send outcome unknown: the worker stopped while posting (its lease lapsed after the posting mark); not sent again to avoid a double charge";
export const CLAIM_RELEASED = "The worker stopped before posting (its lease lapsed with no posting mark); sent again";
export const MARK_FAILED = "The send could not be recorded as posting (database unavailable); nothing was sent";
export const TOKEN_REFUSED = "The number's Meta token was refused; connect it again with a new token";
export const TOKEN_UNOPENABLE = "The number's Meta token could not be opened: the vault key does not match (check MASTER_KEK) or the sealed value was altered";
export const PACING_DOWN = "The sender's pacing could not be checked (Redis unavailable); nothing was sent";
export const SENDER_BACKLOG = "The sender's backlog is longer than one attempt may wait";
export const NO_LIVE_JOB = "No attempt came in time and the attempts are spent; nothing was sent";

export interface Failure {
  code: number | null;
  title: string;
  details: string | null;
  reason: FailureReason;
}

/** The `message.failed` event every failure forwards, reason included. */
export const failedEvent = (id: string, to: string, f: Failure, at: Date): OutgoingEvent => ({
  type: "message.failed",
  timestamp: at,
  data: { id, status: "failed", to, error: { code: f.code, title: f.title, details: f.details, reason: f.reason } },
});
