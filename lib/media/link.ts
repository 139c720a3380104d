import type { Services } from "../context.js";
import { fromBase64, sha256Hex, timingSafeEqual, toBase64Url, utf8 } from "../crypto/encoding.js";

/**
 * Sandesh's download links: `${PUBLIC_URL}/media/download/<token>`, where the token is a
 * claim {workspace, media id, expiry} with an HMAC-SHA256 under a key derived from the
 * vault's MASTER_KEK (a label of its own, so it opens nothing else). The link is the
 * only credential a download needs, which is what lets an SDK fetch it like Meta's URL;
 * so it is short-lived and names one media id of one workspace. The Meta token never
 * enters it.
 */
export const MEDIA_LINK_TTL_S = 300;
/** Links in message.received events: a delivery may be retried for hours (GET the media for a fresh one). */
export const MEDIA_EVENT_LINK_TTL_S = 24 * 3600;

export interface MediaClaim {
  workspaceId: string;
  mediaId: string;
  /** Unix seconds. */
  exp: number;
}

const LABEL = "sandesh/media-link/v1|";
// Derived keys per process/isolate, keyed by a hash of the KEK (never the KEK itself).
const keys = new Map<string, Promise<CryptoKey>>();

async function keyFor(kek: string): Promise<CryptoKey> {
  const id = await sha256Hex(kek);
  let k = keys.get(id);
  if (!k) {
    k = crypto.subtle.digest("SHA-256", utf8(LABEL + kek)).then((raw) => crypto.subtle.importKey("raw", raw, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]));
    keys.set(id, k);
  }
  return k;
}

const fromB64url = (s: string) => fromBase64(s.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((s.length + 3) % 4));

async function mac(kek: string, body: string): Promise<string> {
  return toBase64Url(new Uint8Array(await crypto.subtle.sign("HMAC", await keyFor(kek), utf8(body))));
}

/** A token for one media id, signed under the current key version (its version travels with it). */
export async function signMediaLink(s: Services, claim: Omit<MediaClaim, "exp">, ttlS = MEDIA_LINK_TTL_S): Promise<{ url: string; expiresAt: Date }> {
  const exp = Math.floor(s.clock.now().getTime() / 1000) + ttlS;
  const version = s.config.vault.currentVersion;
  const body = `${version}.${toBase64Url(utf8(JSON.stringify({ w: claim.workspaceId, m: claim.mediaId, e: exp })))}`;
  const token = `${body}.${await mac(s.config.vault.keks[version]!, body)}`;
  return { url: `${s.config.publicUrl}/media/download/${token}`, expiresAt: new Date(exp * 1000) };
}

/** The claim of a token that is Sandesh's, unaltered and unexpired; undefined otherwise (no reason given). */
export async function openMediaLink(s: Services, token: string): Promise<MediaClaim | undefined> {
  const m = /^(\d{1,4})\.([A-Za-z0-9_-]{1,400})\.([A-Za-z0-9_-]{43})$/.exec(token);
  if (!m) return undefined;
  const kek = s.config.vault.keks[Number(m[1])];
  if (!kek) return undefined;
  if (!timingSafeEqual(await mac(kek, `${m[1]}.${m[2]}`), m[3]!)) return undefined;
  let c: { w?: unknown; m?: unknown; e?: unknown };
  try {
    c = JSON.parse(new TextDecoder().decode(fromB64url(m[2]!))) as typeof c;
  } catch {
    return undefined;
  }
  if (typeof c.w !== "string" || typeof c.m !== "string" || typeof c.e !== "number") return undefined;
  if (c.e * 1000 <= s.clock.now().getTime()) return undefined;
  return { workspaceId: c.w, mediaId: c.m, exp: c.e };
}
