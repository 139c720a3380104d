import { Hono } from "hono";
import type { AppEnv } from "../../functions/env.js";
import { memberPages, publicPages } from "../../functions/app/pages/index.js";
import type { Role, SessionAuth } from "../../functions/app/pages/session.js";
import { requestId } from "../../functions/middleware/request-id.js";
import type { TestStack } from "./stack.js";

/**
 * A person signed in to a workspace, as a browser would be: cookies kept between
 * requests, forms posted as application/x-www-form-urlencoded with the session's CSRF
 * token unless told otherwise. Redirects are not followed, so a test sees the 303.
 */
export interface Browser {
  session: SessionAuth;
  get(path: string): Promise<Page>;
  post(path: string, fields?: Record<string, string | string[]>, opts?: { csrf?: string | null }): Promise<Page>;
}
export interface Page {
  status: number;
  html: string;
  headers: Headers;
}

/**
 * The pages mounted behind a stand-in for the session middleware that sets `session`
 * from the `x-test-session` header: real workspaces and rows, no sign-in ceremony.
 */
export function dashboardRig(stack: TestStack) {
  const sessions = new Map<string, SessionAuth>();
  const app = new Hono<AppEnv>();
  app.use("*", requestId);
  app.use("/app/*", async (c, next) => {
    const s = sessions.get(c.req.header("x-test-session") ?? "");
    if (s) c.set("session", s);
    await next();
  });
  app.route("/app", publicPages());
  app.route("/app", memberPages());
  const fetchPage = async (path: string, init: RequestInit & { headers: Record<string, string> }, jar: Map<string, string>): Promise<Page> => {
    if (jar.size) init.headers.cookie = [...jar].map(([k, v]) => `${k}=${v}`).join("; ");
    const res = await app.fetch(new Request(`http://localhost${path}`, init), { services: stack.services, ip: "203.0.113.9" });
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(";");
      const [k, v] = pair!.split("=") as [string, string];
      if (attrs.some((a) => /max-age=0/i.test(a.trim())) || v === "") jar.delete(k);
      else jar.set(k, v);
    }
    return { status: res.status, html: await res.text(), headers: res.headers };
  };
  return {
    app,
    signIn(workspaceId: string | null, role: Role | null = "owner", email = `person-${crypto.randomUUID().slice(0, 8)}@example.com`): Browser {
      const session: SessionAuth = { sessionId: crypto.randomUUID(), userId: crypto.randomUUID(), email, workspaceId, role, csrfToken: crypto.randomUUID(), method: "passkey", userVerified: true, secondFactorAt: null };
      const handle = crypto.randomUUID();
      sessions.set(handle, session);
      const jar = new Map<string, string>();
      return {
        session,
        get: (path) => fetchPage(path, { headers: { "x-test-session": handle } }, jar),
        post: (path, fields = {}, opts = {}) => {
          const body = new URLSearchParams();
          const csrf = opts.csrf === undefined ? session.csrfToken : opts.csrf;
          if (csrf !== null) body.set("csrf", csrf);
          for (const [k, v] of Object.entries(fields)) for (const x of Array.isArray(v) ? v : [v]) body.append(k, x);
          return fetchPage(path, { method: "POST", body, headers: { "x-test-session": handle, "content-type": "application/x-www-form-urlencoded", origin: "http://localhost" } }, jar);
        },
      };
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
