import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { AppError } from "../../lib/errors.js";
import type { AppEnv } from "../env.js";

/**
 * Refusals on the Graph-compatible route, in Graph's envelope with Graph's numeric codes
 * and HTTP statuses, so an SDK's error handling works unchanged. The table is in the
 * README ("Graph-compatible routes"); `fbtrace_id` is Sandesh's request id.
 */
export interface GraphRefusal {
  status: number;
  code: number;
  subcode?: number;
  type?: "OAuthException" | "GraphMethodException";
  message: string;
  details?: string;
  headers?: Record<string, string>;
}

/** Meta's own refusal of a send, recorded on the message: answered as Meta answered it. */
export class GraphAnswer extends Error {
  constructor(readonly refusal: GraphRefusal) {
    super(refusal.message);
  }
}

const OBJECT_MISSING = (id: string) =>
  `Unsupported post request. Object with ID '${id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation. Please read the Graph API documentation at https://developers.facebook.com/docs/graph-api`;

export const objectMissing = (id: string): GraphRefusal => ({ status: 400, code: 100, subcode: 33, type: "GraphMethodException", message: OBJECT_MISSING(id) });

/** Sandesh's codes → Graph's (code, HTTP status, title). */
const TABLE: Record<string, [number, number, string]> = {
  unauthorized: [190, 401, "Invalid OAuth access token - Cannot parse access token"],
  // A key without the route's scope: Graph's permission error; details name the scope.
  forbidden: [10, 403, "Application does not have permission for this action"],
  sender_token_invalid: [190, 401, "Error validating access token: the number's Meta token was refused; connect it again"],
  validation_failed: [100, 400, "Invalid parameter"],
  invalid_json: [100, 400, "Invalid parameter"],
  bad_request: [100, 400, "Invalid parameter"],
  payload_too_large: [100, 400, "Invalid parameter"],
  idempotency_key_reused: [100, 400, "Invalid parameter"],
  outside_customer_service_window: [131047, 400, "Re-engagement message"],
  template_not_approved: [132001, 404, "Template name does not exist in the translation"],
  template_parameters_mismatch: [132000, 400, "Number of parameters does not match the expected number of params"],
  contact_opted_out: [131050, 400, "User has opted out of marketing messages"],
  quota_sender_per_second: [130429, 400, "Rate limit hit"],
  quota_sender_per_day: [131048, 400, "Spam rate limit hit"],
  quota_messaging_tier: [131048, 400, "Spam rate limit hit"],
  rate_limited_api_key: [4, 400, "Application request limit reached"],
  rate_limited_ip: [4, 400, "Application request limit reached"],
  rate_limited_workspace: [4, 400, "Application request limit reached"],
  idempotency_in_progress: [2, 503, "Service temporarily unavailable"],
  temporarily_unavailable: [2, 503, "Service temporarily unavailable"],
};

/** Graph's HTTP status for one of Meta's codes (the Cloud API error reference). */
export function statusOfMetaCode(code: number | null): number {
  if (code === null) return 500;
  if (code === 0 || code === 190 || code === 104) return 401;
  if (code === 10 || code === 368 || (code >= 200 && code <= 299)) return 403;
  if (code === 132001) return 404;
  if (code === 1 || code === 131000) return 500;
  if (code === 2 || code === 131016 || code === 133004) return 503;
  return 400;
}

export function refusalOf(err: Error, phoneNumberId: string): GraphRefusal {
  if (err instanceof GraphAnswer) return err.refusal;
  if (err instanceof HTTPException) return { status: 400, code: 100, message: "(#100) Invalid parameter", details: err.status === 413 ? "The request body is too large" : err.message };
  if (!(err instanceof AppError)) return { status: 500, code: 1, message: "An unknown error occurred" };
  if (err.code === "unknown_sender" || err.code === "no_whatsapp_number" || err.code === "not_found") return objectMissing(phoneNumberId);
  // A template the catalogue holds but not as APPROVED: Meta's paused and disabled codes.
  const held = err.code === "template_not_approved" ? (err.details as { status?: string } | undefined)?.status : undefined;
  const row = held === "PAUSED" ? ([132015, 400, "Template is Paused"] as const) : held === "DISABLED" ? ([132016, 400, "Template is Disabled"] as const) : TABLE[err.code];
  // Internals (vault configuration, key versions, invariants) stay in the log, as on /v1.
  if (!row) return err.status >= 500 ? { status: 500, code: 1, message: "An unknown error occurred" } : { status: 400, code: 100, message: "(#100) Invalid parameter", details: err.message };
  const [code, status, title] = row;
  if (err.status >= 500 && err.code !== "temporarily_unavailable") return { status, code, message: `(#${code}) ${title}`, ...(err.headers ? { headers: err.headers } : {}) };
  const fields = Array.isArray(err.details) ? (err.details as { field?: string; message?: string }[]).map((d) => `${d.field}: ${d.message}`).join("; ") : "";
  return {
    status,
    code,
    // Graph's own errors (tokens) carry no "(#code)"; the others do.
    message: code === 190 ? title : `(#${code}) ${title}`,
    details: fields ? `${err.message}: ${fields}` : err.message,
    ...(err.headers ? { headers: err.headers } : {}),
  };
}

export function renderGraphError(err: Error, c: Context<AppEnv>, phoneNumberId: string) {
  const r = refusalOf(err, phoneNumberId);
  if (r.code === 1) c.env.services.logger.error("graph route failed", { request_id: c.get("requestId"), error: err });
  for (const [k, v] of Object.entries(r.headers ?? {})) c.header(k, v);
  if (r.status === 401) c.header("WWW-Authenticate", `OAuth "Facebook Platform" "invalid_token" "${r.message.replace(/"/g, "'")}"`);
  const error = {
    message: r.message,
    type: r.type ?? "OAuthException",
    code: r.code,
    ...(r.subcode === undefined ? {} : { error_subcode: r.subcode }),
    ...(r.details === undefined ? {} : { error_data: { messaging_product: "whatsapp", details: r.details } }),
    fbtrace_id: c.get("requestId") ?? "",
  };
  return c.json({ error }, r.status as ContentfulStatusCode);
}

/** The path of the Graph-compatible send route: its refusals are Graph's, even those raised before it (a body too large). */
export const GRAPH_MESSAGES_PATH = /^\/v\d+\.\d+\/([^/]+)\/messages\/?$/;
