import type { Context } from "hono";
import { getCookie } from "hono/cookie";
import { FLOW_COOKIE, FLOW_TTL_S } from "../../../lib/oidc/flow.js";
import type { AppEnv } from "../../env.js";

/**
 * The browser's binding to its Google sign-in attempts: random, HttpOnly, `__Host-`
 * (Secure, Path=/, no Domain), as long-lived as an attempt. Lax, because the issuer
 * sends the browser back with a top-level GET from its own site, which Lax lets through
 * and Strict would not.
 */
export const flowSetCookie = (binding: string) => `${FLOW_COOKIE}=${binding}; Max-Age=${FLOW_TTL_S}; Path=/; HttpOnly; Secure; SameSite=Lax`;
export const flowBinding = (c: Context<AppEnv>) => getCookie(c, FLOW_COOKIE);
export const requestFacts = (c: Context<AppEnv>) => ({ ip: c.env.ip ?? null, userAgent: c.req.header("user-agent") ?? null });

/** Where a refused Google sign-in lands: one message for every reason (no answer says whether an account exists). */
export const GOOGLE_FAILED = "/app/sign-in?error=google_failed";
export const GOOGLE_LINK_FAILED = "/app/security?error=google_failed";
