import type { Role } from "../../lib/people/roles.js";
import { signIn, type SignedIn } from "./people-kit.js";
import type { TestStack } from "./stack.js";

/**
 * A person signed in to a workspace (a real invitation, membership and session), using
 * the dashboard as a browser would: cookies kept between requests, pages asked for as
 * text/html from the dashboard's own origin, forms posted urlencoded with the session's
 * CSRF token unless told otherwise. Redirects are not followed: a test sees the 303.
 */
export interface Browser {
  who: SignedIn;
  get(path: string, headers?: Record<string, string>): Promise<Page>;
  post(path: string, fields?: Record<string, string | string[]>, opts?: { csrf?: string | null; origin?: string | null; from?: string }): Promise<Page>;
}
export interface Page {
  status: number;
  html: string;
  headers: Headers;
}

export async function signedInBrowser(stack: TestStack, opts: { workspaceId?: string; role?: Role; email?: string } = {}): Promise<Browser> {
  const who = await signIn(stack, opts);
  return { who, ...pageClient(stack, jarOf(who.cookie), who.csrf) };
}

/** A cookie jar holding one `name=value` cookie. */
export const jarOf = (cookie: string) => new Map<string, string>([[cookie.slice(0, cookie.indexOf("=")), cookie.slice(cookie.indexOf("=") + 1)]]);

/**
 * A browser's requests with the given cookie jar (empty: nobody signed in). Forms carry
 * the CSRF token of the last page that had one, as a page's own forms do (a step-up
 * gives the browser a new session, and its pages the new token).
 */
export function pageClient(stack: TestStack, jar = new Map<string, string>(), csrf: string | null = null) {
  const origin = stack.config.allowedOrigins[0]!;
  let token = csrf;
  const send = async (path: string, init: RequestInit & { headers: Record<string, string> }): Promise<Page> => {
    if (jar.size) init.headers.cookie = [...jar].map(([k, v]) => `${k}=${v}`).join("; ");
    const res = await stack.request(path, init);
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(";");
      const at = pair!.indexOf("=");
      const [k, v] = [pair!.slice(0, at), pair!.slice(at + 1)];
      if (attrs.some((a) => /^max-age=0$/i.test(a.trim())) || v === "") jar.delete(k);
      else jar.set(k, v);
    }
    const html = await res.text();
    const seen = /name="csrf" value="([^"]+)"/.exec(html)?.[1];
    if (seen) token = seen;
    return { status: res.status, html, headers: res.headers };
  };
  return {
    /** `headers`: what a browser would add (Sec-Fetch-Site of a link followed from another site). */
    get: (path: string, headers: Record<string, string> = {}) => send(path, { headers: { accept: "text/html", ...headers } }),
    /** `from`: the dashboard page the form is on (sent as the Referer a browser would send). */
    post: (path: string, fields: Record<string, string | string[]> = {}, opts: { csrf?: string | null; origin?: string | null; from?: string } = {}) => {
      const body = new URLSearchParams();
      const sent = opts.csrf === undefined ? token : opts.csrf;
      if (sent !== null) body.set("csrf", sent);
      for (const [k, v] of Object.entries(fields)) for (const x of Array.isArray(v) ? v : [v]) body.append(k, x);
      const o = opts.origin === undefined ? origin : opts.origin;
      return send(path, { method: "POST", body, headers: { accept: "text/html", "content-type": "application/x-www-form-urlencoded", ...(o ? { origin: o } : {}), ...(opts.from ? { referer: `${origin}${opts.from}` } : {}) } });
    },
  };
}

/** The text of an HTML page without tags, whitespace folded: what a reader sees. */
export const visibleText = (html: string) =>
  html
    .replace(/<[^>]+>/g, " ")
    .replace(/&amp;/g, "&")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;|&#34;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/\s+/g, " ")
    .trim();
