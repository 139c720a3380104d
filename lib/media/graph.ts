import { AppError } from "../errors.js";
import { META_TIMEOUT_MS } from "../meta/client.js";
import { classifyMetaError, type MetaFailure } from "../meta/errors.js";

/**
 * The Graph API's media endpoints. The token is a parameter, used for these requests and
 * not kept; a failure carries Meta's code and message, never the request (so never the
 * token, nor Meta's download URL).
 */
export interface GraphTarget {
  graphUrl: string;
  apiVersion: string;
}

export interface MetaMediaInfo {
  id: string;
  url: string;
  mime_type: string;
  sha256?: string;
  file_size?: number | string;
  messaging_product?: string;
}

/** Meta refused or could not be reached: the failure travels for the Graph route to answer as Meta did. */
export class MetaMediaError extends AppError {
  constructor(readonly failure: MetaFailure) {
    const clientFault = failure.httpStatus >= 400 && failure.httpStatus < 500 && !failure.tokenInvalid && failure.code !== 4 && failure.code !== 80007;
    super(clientFault ? 422 : 502, clientFault ? "meta_rejected" : "meta_error", `Meta answered: ${failure.title}`, { meta_code: failure.code, meta_details: failure.details });
  }
}

/** No answer from Meta (refused, reset, timed out): media calls are safe to repeat, unlike a send. */
const unreachable = (err: unknown): MetaFailure => {
  const e = err as { name?: string; cause?: { code?: string; name?: string } };
  const timedOut = e?.name === "TimeoutError" || e?.cause?.name === "TimeoutError";
  return { httpStatus: 502, code: null, title: timedOut ? "the Graph API did not answer in time" : "the Graph API could not be reached", details: e?.cause?.code ?? null, retryable: true, tokenInvalid: false };
};

/** An upload may be 100 MB on a slow link; metadata and deletes are Meta's usual time. */
const UPLOAD_TIMEOUT_MS = 300_000;

async function answer(res: Response): Promise<unknown> {
  const text = await res.text();
  let json: unknown = null;
  try {
    json = JSON.parse(text);
  } catch {
    // a proxy's HTML page: classified by status
  }
  if (!res.ok) throw new MetaMediaError(classifyMetaError(res.status, json));
  return json;
}

async function call(url: string, init: RequestInit, onNetworkError?: (err: unknown) => void): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(url, init);
  } catch (err) {
    onNetworkError?.(err);
    throw new MetaMediaError(unreachable(err));
  }
  return answer(res);
}

/**
 * POST /{phone-number-id}/media with the form as it streams in. `onBodyError` may throw
 * the caller's error for a failure of the body itself (the form's own check); any other
 * failure to get an answer is Meta's being away.
 */
export async function uploadToMeta(t: GraphTarget, token: string, phoneNumberId: string, contentType: string, body: ReadableStream<Uint8Array>, onBodyError: (err: unknown) => void): Promise<{ id: string }> {
  const json = (await call(
    `${t.graphUrl}/${t.apiVersion}/${phoneNumberId}/media`,
    { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": contentType }, body, signal: AbortSignal.timeout(UPLOAD_TIMEOUT_MS), duplex: "half" } as RequestInit,
    onBodyError,
  )) as { id?: unknown } | null;
  if (typeof json?.id !== "string" && typeof json?.id !== "number") throw new MetaMediaError({ httpStatus: 502, code: null, title: "the Graph API answered an upload without an id", details: null, retryable: true, tokenInvalid: false });
  return { id: String(json.id) };
}

export async function metaMediaInfo(t: GraphTarget, token: string, mediaId: string, phoneNumberId: string): Promise<MetaMediaInfo> {
  const json = (await call(`${t.graphUrl}/${t.apiVersion}/${mediaId}?phone_number_id=${phoneNumberId}`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(META_TIMEOUT_MS) })) as MetaMediaInfo | null;
  if (!json || typeof json.url !== "string") throw new MetaMediaError({ httpStatus: 502, code: null, title: "the Graph API answered without the media's URL", details: null, retryable: true, tokenInvalid: false });
  return json;
}

export async function deleteMetaMedia(t: GraphTarget, token: string, mediaId: string, phoneNumberId: string): Promise<void> {
  await call(`${t.graphUrl}/${t.apiVersion}/${mediaId}?phone_number_id=${phoneNumberId}`, { method: "DELETE", headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(META_TIMEOUT_MS) });
}

/**
 * Hosts Meta serves media from. The token goes with a download only to one of them (or
 * to the configured Graph host, as the sandbox is): a metadata answer naming another
 * host cannot make Sandesh hand the token elsewhere.
 */
const META_MEDIA_HOSTS = /(^|\.)(fbsbx\.com|facebook\.com|fbcdn\.net|whatsapp\.net)$/i;

export function mayCarryToken(t: GraphTarget, url: string): boolean {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  if (u.origin === new URL(t.graphUrl).origin) return true;
  return u.protocol === "https:" && META_MEDIA_HOSTS.test(u.hostname);
}

/** The media's bytes as Meta streams them: the body is handed on, never read here. */
export async function downloadFromMeta(t: GraphTarget, token: string, url: string): Promise<Response> {
  if (!mayCarryToken(t, url)) throw new MetaMediaError({ httpStatus: 502, code: null, title: "the Graph API named a download host that is not Meta's", details: null, retryable: false, tokenInvalid: false });
  // A deadline for the headers only: a large body may take longer than any fixed bound.
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(new DOMException("The Graph API did not answer in time", "TimeoutError")), META_TIMEOUT_MS);
  let res: Response;
  try {
    res = await fetch(url, { headers: { authorization: `Bearer ${token}` }, signal: ac.signal });
  } catch (err) {
    throw new MetaMediaError(unreachable(err));
  } finally {
    clearTimeout(timer);
  }
  if (!res.ok) await answer(res);
  return res;
}
