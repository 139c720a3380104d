import { classifyMetaError, networkFailure, type MetaFailure } from "./errors.js";

export interface MetaTarget {
  graphUrl: string;
  apiVersion: string;
  phoneNumberId: string;
}

export type SendResult = { ok: true; wamid: string } | ({ ok: false } & MetaFailure);

const TIMEOUT_MS = 15_000;

/**
 * POST /{version}/{phone-number-id}/messages. The token is a parameter, used for this
 * one request and not kept; errors carry Meta's code, never the request headers.
 */
export async function sendToMeta(target: MetaTarget, token: string, body: Record<string, unknown>, fetchImpl: typeof fetch = fetch): Promise<SendResult> {
  let res: Response;
  try {
    res = await fetchImpl(`${target.graphUrl}/${target.apiVersion}/${target.phoneNumberId}/messages`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ messaging_product: "whatsapp", recipient_type: "individual", ...body }),
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch (err) {
    return { ok: false, ...networkFailure(err) };
  }
  let json: unknown = null;
  try {
    json = await res.json();
  } catch {
    // a proxy's HTML error page: classified by status below
  }
  const wamid = (json as { messages?: { id?: unknown }[] } | null)?.messages?.[0]?.id;
  if (res.ok && typeof wamid === "string") return { ok: true, wamid };
  return { ok: false, ...classifyMetaError(res.ok ? 502 : res.status, json) };
}
