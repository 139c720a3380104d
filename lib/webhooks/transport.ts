import { concatBytes } from "../bytes.js";

/**
 * How one webhook attempt reaches its endpoint. The answer says whether the address the
 * request went to was checked to be public: only then may its body be shown back to
 * the tenant (in production), or an endpoint URL would be a way to read our network.
 */
export interface WebhookAnswer {
  status: number;
  /** The first RESPONSE_BYTES of the body, decoded as UTF-8. */
  head: string;
  /** The connection went to an address that was resolved here and checked public. */
  verifiedPublic: boolean;
}

/** Throws on any failure to get an answer (refused, unreachable, reset, timed out, address refused). */
export type WebhookPost = (url: URL, headers: Record<string, string>, body: string, timeoutMs: number) => Promise<WebhookAnswer>;

export const RESPONSE_BYTES = 500;

/** Thrown before any connection: the name resolved to an address that is not public. */
export class AddressRefused extends Error {
  constructor(readonly host: string) {
    super("the endpoint's name resolves to an address that is not on the public internet");
    this.name = "AddressRefused";
  }
}

/** The first bytes of a web stream only: a receiver's body can be anything, of any size. */
async function head(res: Response): Promise<string> {
  if (!res.body) return "";
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < RESPONSE_BYTES) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.length;
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
  return new TextDecoder().decode(concatBytes(chunks, size).subarray(0, RESPONSE_BYTES));
}

/**
 * The Worker's way: fetch cannot resolve a name first or pin the socket to a checked
 * address, so its answers are never `verifiedPublic`. Cloudflare's fetch does not reach
 * the deployment's private networks; the literal URL check is what else stands.
 * Redirects are not followed: a 3xx is a failure, never a hop to somewhere unchecked.
 */
export const fetchPost: WebhookPost = async (url, headers, body, timeoutMs) => {
  const res = await fetch(url, { method: "POST", headers, body, redirect: "manual", signal: AbortSignal.timeout(timeoutMs) });
  return { status: res.status, head: await head(res).catch(() => ""), verifiedPublic: false };
};
