/**
 * Meta's error codes, classified. HTTP status alone is not enough: Meta answers 400
 * for both a throughput limit (retry) and an undeliverable number (never retry).
 * The table follows the Cloud API error-code reference; unknown codes are permanent
 * (retrying an unknown error risks paying twice), except for HTTP 5xx.
 */
const RETRYABLE = new Set([1, 2, 4, 17, 341, 80007, 130429, 131000, 131016, 131056, 133004]);
const TOKEN_PROBLEM = new Set([0, 190]);

export interface MetaFailure {
  httpStatus: number;
  code: number | null;
  title: string;
  details: string | null;
  retryable: boolean;
  /** The number's token was refused: the number needs a new one before anything sends. */
  tokenInvalid: boolean;
  /** Meta may have the message (the answer was lost): never sent again, settled by Meta's statuses. */
  outcomeUnknown?: true;
}

/**
 * Graph's JSON error envelope: `{"error":{"code":<number>,…}}`. Only Meta writes it, so
 * it proves Meta looked at the request (and refused it); anything else did not come from Graph.
 */
export const isGraphError = (body: unknown): boolean => typeof (body as { error?: { code?: unknown } } | null)?.error?.code === "number";

/**
 * Meta's answer to a send that carries no wamid. A 2xx without a readable
 * `messages[0].id` (a truncated body, a proxy's 200 page), or a 5xx that is not Graph's
 * error envelope (a gateway's 502/504 page), may hide a message Meta took: posting it
 * again could send and charge twice. It is "outcome unknown", settled by Meta's statuses.
 */
export function classifySendAnswer(httpStatus: number, body: unknown): MetaFailure {
  const ok = httpStatus >= 200 && httpStatus < 300;
  if (ok || (httpStatus >= 500 && !isGraphError(body))) {
    const why = ok ? `HTTP ${httpStatus} without a message id` : `HTTP ${httpStatus} that is not a Graph API error`;
    return { httpStatus, code: null, title: `Send outcome unknown: ${why}; not sent again to avoid a double charge`, details: null, retryable: false, tokenInvalid: false, outcomeUnknown: true };
  }
  return classifyMetaError(httpStatus, body);
}

export function classifyMetaError(httpStatus: number, body: unknown): MetaFailure {
  const err = (body as { error?: Record<string, unknown> } | null)?.error;
  const code = typeof err?.code === "number" ? err.code : null;
  const title = typeof err?.message === "string" ? err.message : `HTTP ${httpStatus} from the Graph API`;
  const data = err?.error_data as { details?: unknown } | undefined;
  const details = typeof data?.details === "string" ? data.details : null;
  const retryable = (code !== null && RETRYABLE.has(code)) || httpStatus >= 500 || (code === null && httpStatus === 429);
  return { httpStatus, code, title, details, retryable, tokenInvalid: code !== null && TOKEN_PROBLEM.has(code) };
}

/**
 * A failure to reach the Graph API. Only failures that prove the request never left
 * (refused, no route, no DNS) are retried. A timeout or a connection dropped after
 * sending may mean Meta has the message: it is failed as "outcome unknown", because
 * sending again could make the business pay twice.
 */
const NEVER_SENT = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "ENETUNREACH", "EHOSTUNREACH", "UND_ERR_CONNECT_TIMEOUT"]);

export function networkFailure(err: unknown): MetaFailure {
  const e = err as { name?: string; code?: string; cause?: { code?: string; name?: string } };
  const code = e?.cause?.code ?? e?.code;
  if (code && NEVER_SENT.has(code)) {
    return { httpStatus: 0, code: null, title: "The Graph API could not be reached", details: code, retryable: true, tokenInvalid: false };
  }
  const timedOut = e?.name === "TimeoutError" || e?.cause?.name === "TimeoutError";
  return {
    httpStatus: 0,
    code: null,
    title: `Send outcome unknown: ${timedOut ? "the Graph API did not answer in time" : "the connection to the Graph API broke"}; not sent again to avoid a double charge`,
    details: code ?? null,
    retryable: false,
    tokenInvalid: false,
    outcomeUnknown: true,
  };
}
