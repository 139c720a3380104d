import { acceptInvitation } from "../../lib/people/accept.js";
import { createInvitation } from "../../lib/people/invite.js";
import { findUserIdByEmail } from "../../lib/people/users.js";
import type { Role } from "../../lib/people/roles.js";
import { createSession } from "../../lib/sessions/create.js";
import { SESSION_COOKIE } from "../../lib/sessions/auth.js";
import type { Services } from "../../lib/context.js";
import type { TestStack } from "./stack.js";

export interface SignedIn {
  workspaceId: string;
  userId: string;
  email: string;
  sessionId: string;
  token: string;
  csrf: string;
  /** The Cookie header a browser would send. */
  cookie: string;
}

const rand = () => Math.random().toString(36).slice(2, 10);
export const uniqueEmail = (what = "person") => `${what}-${rand()}${rand()}@example.com`;

/** A person (new unless `email` names one) invited by the operator into a workspace (new unless given), accepted, and signed in. */
export async function signIn(stack: TestStack, opts: { role?: Role; workspaceId?: string; email?: string; services?: Services; userAgent?: string } = {}): Promise<SignedIn> {
  const s = opts.services ?? stack.services;
  const workspaceId = opts.workspaceId ?? (await stack.tenant("People")).workspaceId;
  const inv = await createInvitation(s, { workspaceId, email: opts.email ?? uniqueEmail(), role: opts.role ?? "owner" }, { actorType: "operator", actorId: "test" });
  // A person who already has an account accepts signed in (the link alone is refused for them).
  const known = await findUserIdByEmail(s, inv.email);
  const accepted = await acceptInvitation(s, inv.token, known ? { userId: known.userId } : {});
  return sessionFor(stack, accepted.userId, accepted.email, workspaceId, { ...opts, services: s });
}

/** Another sign-in of the same person: a new session (another browser). */
export async function sessionFor(stack: TestStack, userId: string, email: string, workspaceId: string, opts: { services?: Services; userAgent?: string } = {}): Promise<SignedIn> {
  const c = await createSession(opts.services ?? stack.services, { userId, method: "passkey", userVerified: true, ip: "203.0.113.7", userAgent: opts.userAgent ?? "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0", workspaceId });
  return { workspaceId, userId, email, sessionId: c.session.sessionId, token: c.token, csrf: c.session.csrfToken, cookie: `${SESSION_COOKIE}=${c.token}` };
}

/** Headers of a browser on the dashboard's own origin, signed in as `who`. */
export const browser = (stack: TestStack, who?: SignedIn, extra: Record<string, string> = {}): Record<string, string> => ({
  origin: stack.config.allowedOrigins[0]!,
  ...(who ? { cookie: who.cookie } : {}),
  ...extra,
});
