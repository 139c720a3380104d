import { AppError } from "../../lib/errors.js";
import { MetaMediaError } from "../../lib/media/graph.js";
import { GraphAnswer, statusOfMetaCode } from "./errors.js";

/** The Graph-compatible media paths: their refusals are Graph's, whatever refused the request. */
export const GRAPH_MEDIA_PATH = /^\/v\d+\.\d+\/([^/]+)(?:\/media)?\/?$/;

const missing = (id: string, method: "get" | "post" | "delete") =>
  new GraphAnswer({
    status: 400,
    code: 100,
    subcode: 33,
    type: "GraphMethodException",
    message: `Unsupported ${method} request. Object with ID '${id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation. Please read the Graph API documentation at https://developers.facebook.com/docs/graph-api`,
  });

/**
 * A media route's refusal as Graph words it: another workspace's media (or number) does
 * not exist (100/33), Meta's own refusal as Meta answered it, a form Meta would refuse
 * as Meta's media upload error (131053; 413 past the type's limit).
 */
export function graphMediaError(err: unknown, id: string, method: "get" | "post" | "delete"): unknown {
  if (err instanceof MetaMediaError) {
    const f = err.failure;
    const code = f.code ?? 131000;
    return new GraphAnswer({ status: f.code === null ? 502 : statusOfMetaCode(code), code, message: f.code === null ? "(#131000) Something went wrong" : f.title, ...(f.details ? { details: f.details } : {}) });
  }
  if (!(err instanceof AppError)) return err;
  if (err.code === "not_found" || err.code === "unknown_sender" || err.code === "no_whatsapp_number") return missing(id, method);
  const fields = Array.isArray(err.details) ? (err.details as { field?: string; message?: string }[]).map((d) => `${d.field}: ${d.message}`).join("; ") : "";
  const details = fields ? `${err.message}: ${fields}` : err.message;
  if (err.code === "payload_too_large") return new GraphAnswer({ status: 413, code: 131053, message: "(#131053) Media upload error", details });
  if (err.code === "validation_failed") return new GraphAnswer({ status: 400, code: method === "post" ? 131053 : 100, message: method === "post" ? "(#131053) Media upload error" : "(#100) Invalid parameter", details });
  return err;
}
