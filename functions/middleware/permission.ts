import type { Context, MiddlewareHandler } from "hono";
import { AppError } from "../../lib/errors.js";
import { recordRead } from "./record-read.js";
import { forbidden } from "../../lib/permissions/forbidden.js";
import { memberPrincipal } from "../../lib/permissions/member.js";
import { missingPermissions, type Principal } from "../../lib/permissions/principal.js";
import type { Permission } from "../../lib/permissions/vocabulary.js";
import type { AppEnv } from "../env.js";
import { presentPhonesFor } from "./phones.js";

/**
 * Every route of the app declares, where it is registered, what it needs:
 *
 *   app.get("/messages/:id", needs("messages:read"), handler)
 *   app.get("/contacts/export", needs("contacts:read", "exports:create"), handler)
 *   app.get("/healthz", open("the load balancer's probe"), handler)
 *
 * `needs` runs after whoever established the principal (the API key on /v1, the Graph
 * access token, the dashboard's session) and before the handler parses anything:
 * lacking a permission is 403 `forbidden` with `details.missing`. It also decides, once
 * for the request, how phone numbers are shown (./phones.ts). `open` says a route
 * needs no principal and why (Meta's signature, QStash's, a link that is its own
 * credential). test/permissions-matrix.test.ts walks `app.routes`: a route with neither
 * fails it, and every declared route is asked of every role and scope.
 *
 * The dashboard (functions/app) sets `principal` from the session, the role coming
 * from the membership (lib/permissions/member.ts), and uses `needs` the same way.
 */
export type Declaration =
  | { kind: "needs"; permissions: readonly Permission[]; csv: readonly Permission[] }
  /** A person's own things (their sessions, which workspace they work in): any signed-in person. */
  | { kind: "person"; why: string }
  | { kind: "open"; why: string };

const declarations = new WeakMap<object, Declaration>();

/**
 * The declaration a route handler carries, if it is one of ours (for the matrix test).
 * A sub-app with its own onError has its handlers wrapped when mounted; Hono keeps the
 * original under "__COMPOSED_HANDLER".
 */
export function declarationOf(handler: unknown): Declaration | undefined {
  for (let h = handler, depth = 0; typeof h === "function" && depth < 5; h = (h as { __COMPOSED_HANDLER?: unknown }).__COMPOSED_HANDLER, depth++) {
    const d = declarations.get(h);
    if (d) return d;
  }
  return undefined;
}

export interface NeedsOptions {
  /** More, when the answer is asked for as CSV (`Accept: text/csv`): a download is an export. */
  csv?: readonly Permission[];
  /** A read of personal data: every GET leaves a data_access record before its answer leaves (./record-read.ts). */
  record?: boolean;
}

export const wantsCsv = (c: Context) => /\btext\/csv\b/i.test(c.req.header("accept") ?? "");

/** The permissions this request needs under its declaration. */
export const requiredFor = (d: Needs, csv: boolean): Permission[] => [...d.permissions, ...(csv ? d.csv : [])];

type Needs = Extract<Declaration, { kind: "needs" }>;

export function needs(...args: (Permission | NeedsOptions)[]): MiddlewareHandler<AppEnv> {
  const opts = args.find((a): a is NeedsOptions => typeof a === "object") ?? {};
  const permissions = args.filter((a): a is Permission => typeof a === "string");
  const d: Needs = { kind: "needs", permissions, csv: opts.csv ?? [] };
  const mw: MiddlewareHandler<AppEnv> = async (c, next) => {
    const p = await principalOf(c);
    const missing = missingPermissions(p, requiredFor(d, d.csv.length > 0 && wantsCsv(c)));
    if (missing.length) throw forbidden(p, missing);
    presentPhonesFor(c, p);
    if (!opts.record) return next();
    await recordRead(c, p, next);
  };
  declarations.set(mw, d);
  return mw;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function open(why: string): MiddlewareHandler<any> {
  const mw: MiddlewareHandler = async (_c, next) => {
    await next();
  };
  declarations.set(mw, { kind: "open", why });
  return mw;
}

/** Any signed-in person (requireSession ran before), whatever their role or workspace. */
export function person(why: string): MiddlewareHandler<AppEnv> {
  const mw: MiddlewareHandler<AppEnv> = async (c, next) => {
    if (!c.get("session")) throw new Error("a route declared person() but requireSession did not run before it");
    await next();
  };
  declarations.set(mw, { kind: "person", why });
  return mw;
}

/**
 * The principal: the key the API's middleware established, or the member behind the
 * dashboard's session (set here, once per request). A session without a workspace has
 * no role and may do nothing a workspace permission guards. Neither is a wiring mistake.
 */
export async function principalOf(c: Context<AppEnv>): Promise<Principal> {
  const p = c.get("principal");
  if (p) return p;
  const session = c.get("session");
  if (!session) throw new Error("a route declared needs() but nothing before it established who is calling");
  if (!session.workspaceId || !session.role) throw new AppError(403, "forbidden", "You are not a member of this workspace", { missing: [] });
  const member = await memberPrincipal(c.env.services, { workspaceId: session.workspaceId, userId: session.userId, role: session.role });
  c.set("principal", member);
  return member;
}
