import { AppError } from "../errors.js";
import { classifyMetaError, networkFailure, type MetaFailure } from "../meta/errors.js";
import { META_TIMEOUT_MS } from "../meta/client.js";

/**
 * The Graph API's template endpoints of one WABA. The token is a parameter, used for
 * these requests and not kept; a failure carries Meta's code and message, never the
 * request (so never the token).
 */
export interface WabaTarget {
  graphUrl: string;
  apiVersion: string;
  wabaId: string;
}

export interface MetaTemplate {
  id?: string;
  name: string;
  language: string;
  category?: string;
  status: string;
  quality_score?: { score?: string };
  rejected_reason?: string;
  components?: unknown[];
}

const FIELDS = "id,name,language,category,status,quality_score,rejected_reason,components";
const PAGE_SIZE = 100;
/** A WABA may hold a few thousand templates; past this many pages something is looping. */
const MAX_PAGES = 200;

async function call(method: string, url: string, token: string, body?: unknown): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(url, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(META_TIMEOUT_MS),
    });
  } catch (err) {
    throw metaRefused(networkFailure(err));
  }
  const text = await res.text();
  let json: unknown = null;
  try {
    json = JSON.parse(text);
  } catch {
    // a proxy's HTML page: classified by status
  }
  if (!res.ok) throw metaRefused(classifyMetaError(res.status, json));
  return json;
}

/** Meta's refusal as the API's error: 502 meta_error with Meta's code (400-class refusals of the submission itself: 422). */
function metaRefused(f: MetaFailure): AppError {
  const clientFault = f.httpStatus >= 400 && f.httpStatus < 500 && !f.tokenInvalid && f.code !== 4 && f.code !== 80007;
  return new AppError(clientFault ? 422 : 502, clientFault ? "meta_rejected" : "meta_error", `Meta answered: ${f.title}`, { meta_code: f.code, meta_details: f.details ?? null });
}

const base = (t: WabaTarget) => `${t.graphUrl}/${t.apiVersion}/${t.wabaId}/message_templates`;

/** GET /{waba-id}/message_templates, every page (following paging.next, or paging.cursors.after). */
export async function listMetaTemplates(t: WabaTarget, token: string): Promise<MetaTemplate[]> {
  const out: MetaTemplate[] = [];
  let url: string | null = `${base(t)}?fields=${FIELDS}&limit=${PAGE_SIZE}`;
  for (let page = 0; url && page < MAX_PAGES; page++) {
    const json = (await call("GET", url, token)) as { data?: unknown; paging?: { next?: unknown; cursors?: { after?: unknown } } } | null;
    // A page that is not Graph's shape (a proxy's JSON, a truncated body) must not read as
    // "no more templates": a sync would then drop the ones it did not see.
    if (json?.data !== undefined && !Array.isArray(json.data)) throw malformed("data");
    const data = (json?.data ?? []) as MetaTemplate[];
    out.push(...data);
    const after = json?.paging?.cursors?.after;
    const next = json?.paging?.next;
    const cursor = typeof after === "string" && after ? `${base(t)}?fields=${FIELDS}&limit=${PAGE_SIZE}&after=${encodeURIComponent(after)}` : null;
    if (!data.length || next === undefined || next === null) url = null;
    // Follow `next` only to the same Graph host: the token must never travel elsewhere.
    else if (originOf(next) === new URL(t.graphUrl).origin) url = next as string;
    else if (cursor) url = cursor;
    else if (originOf(next) === null) throw malformed("paging.next");
    else url = null;
  }
  return out;
}

const originOf = (u: unknown): string | null => {
  if (typeof u !== "string") return null;
  try {
    return new URL(u).origin;
  } catch {
    return null;
  }
};
const malformed = (field: string) => new AppError(502, "meta_error", `Meta answered: a template page with a malformed ${field}`, { meta_code: null, meta_details: null });

export async function submitMetaTemplate(t: WabaTarget, token: string, body: { name: string; language: string; category: string; components: unknown[] }) {
  return (await call("POST", base(t), token, body)) as { id?: string; status?: string; category?: string };
}

export async function deleteMetaTemplate(t: WabaTarget, token: string, name: string): Promise<void> {
  await call("DELETE", `${base(t)}?name=${encodeURIComponent(name)}`, token);
}
