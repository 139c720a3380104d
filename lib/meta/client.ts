import { classifySendAnswer, networkFailure, type MetaFailure } from "./errors.js";

export interface MetaTarget {
  graphUrl: string;
  apiVersion: string;
  phoneNumberId: string;
}

export type SendResult = { ok: true; wamid: string } | ({ ok: false } & MetaFailure);

export const META_TIMEOUT_MS = 15_000;

/** One HTTP POST to the Graph API: the status and the body as text. Throws on network failure. */
export type MetaPost = (url: string, headers: Record<string, string>, body: string) => Promise<{ status: number; text: string }>;

/** The Web-standard poster (the Worker, and anywhere without a better one). */
export const fetchPost: MetaPost = async (url, headers, body) => {
  const res = await fetch(url, { method: "POST", headers, body, signal: AbortSignal.timeout(META_TIMEOUT_MS) });
  return { status: res.status, text: await res.text() };
};

/** One POST to the number's messages edge, `messaging_product` added if absent; Meta's status and JSON as they came. Throws on network failure. */
export async function postToGraph(target: MetaTarget, token: string, body: Record<string, unknown>, post: MetaPost = fetchPost): Promise<{ status: number; json: unknown }> {
  const res = await post(messagesUrl(target), { authorization: `Bearer ${token}`, "content-type": "application/json" }, JSON.stringify({ messaging_product: "whatsapp", ...body }));
  let json: unknown = null;
  try {
    json = JSON.parse(res.text);
  } catch {
    // a proxy's HTML error page
  }
  return { status: res.status, json };
}

const messagesUrl = (t: MetaTarget) => `${t.graphUrl}/${t.apiVersion}/${t.phoneNumberId}/messages`;

/**
 * POST /{version}/{phone-number-id}/messages. The token is a parameter, used for this
 * one request and not kept; errors carry Meta's code, never the request headers.
 */
export async function sendToMeta(target: MetaTarget, token: string, body: Record<string, unknown>, post: MetaPost = fetchPost): Promise<SendResult> {
  let res: { status: number; text: string };
  try {
    res = await post(
      messagesUrl(target),
      { authorization: `Bearer ${token}`, "content-type": "application/json" },
      JSON.stringify({ messaging_product: "whatsapp", ...body }),
    );
  } catch (err) {
    return { ok: false, ...networkFailure(err) };
  }
  let json: unknown = null;
  try {
    json = JSON.parse(res.text);
  } catch {
    // a proxy's HTML page, a truncated body: classified below
  }
  const wamid = (json as { messages?: { id?: unknown }[] } | null)?.messages?.[0]?.id;
  if (res.status >= 200 && res.status < 300 && typeof wamid === "string" && wamid) return { ok: true, wamid };
  return { ok: false, ...classifySendAnswer(res.status, json) };
}
