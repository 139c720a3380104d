import { describe, expect, it } from "vitest";
import { buildApp } from "../functions/app.js";
import { FORM_CASES } from "./support/audit-cases-app.js";
import { FACTOR_CASES } from "./support/audit-cases-factors.js";
import { KEY_CASES } from "./support/audit-cases-v1.js";
import { missingCases, stateChangingRoutes } from "./support/audit-routes-kit.js";

/**
 * The enumeration: every state-changing route (POST, PUT, PATCH, DELETE) registered on the
 * app, walked from Hono's own `app.routes` (the registry test/permissions-matrix.test.ts
 * walks), has an audit case, run in its area's suite both with the audit log accepting
 * (its row, naming the actor) and refusing (nothing of its change commits):
 *   /v1 and Graph-compatible   test/support/audit-cases-v1.ts       → test/audit-routes-v1.test.ts
 *   dashboard forms            test/support/audit-cases-app.ts      → test/audit-routes-app.test.ts
 *   second-factor routes       test/support/audit-cases-factors.ts  → test/audit-routes-factors.test.ts
 * or is exempt below, with why. A route in neither fails here, by name.
 */
const app = buildApp();
const GRAPH = "/:version{v[0-9]+\\.[0-9]+}";

/** Routes that change no workspace's state through a person or a key, each with why. */
const EXEMPT: Record<string, string> = {
  // Sends: each is its own record in `messages` (key, number, request hash), not an audit
  // row; the chain's per-workspace lock stays off the send path (docs/security.md).
  "POST /v1/messages": "a send is its own record in messages (key, number, request hash)",
  [`POST ${GRAPH}/:phoneNumberId/messages`]: "the Graph-compatible send: recorded in messages like POST /v1/messages",
  // Neither a person nor a key: Meta's deliveries and the queues' callbacks, each signed.
  "POST /webhooks/meta": "Meta's webhook (HMAC-signed): applies Meta's statuses and messages, not a person's or a key's act",
  "POST /jobs/send": "a queue's delivery (QStash-signed or local), not a person or a key",
  "POST /jobs/deliver-webhook": "a queue's delivery, not a person or a key",
  "POST /jobs/broadcast": "a queue's delivery, not a person or a key",
  "POST /jobs/import": "a queue's delivery; the import itself was audited when it was started (contacts.import_started)",
  "POST /jobs/export": "a queue's delivery; the export was audited when it was requested (export.requested) and approved",
  // Sign-in ceremonies: they hold a challenge or a flow in Redis only, or end in a sign-in
  // that is audited where it completes (session.created, passkey.sign_in / google.sign_in,
  // sign_in.failed in its own transaction), which test/passkey-routes.test.ts and
  // test/google-sign-in.test.ts assert.
  "POST /app/auth/google/start": "starts Google's sign-in: a flow in Redis only; audited at the callback (google.sign_in, session.created)",
  "POST /app/auth/google/link": "starts linking a Google account: a flow in Redis only; the link is audited at the callback (google.linked / google.link_failed)",
  "POST /app/auth/passkey/login/options": "issues a sign-in challenge: Redis only",
  "POST /app/auth/passkey/register/options": "issues a registration challenge: Redis only",
  "POST /app/auth/passkey/login/verify": "the passkey sign-in itself: audited as passkey.sign_in and session.created in the person's workspaces (test/passkeys.test.ts)",
  // The person's own view: which of their workspaces the session shows (membership checked).
  "POST /app/workspace": "switches the session to another of the person's workspaces: no workspace's data or membership changes",
};

const known = (r: string) => r in KEY_CASES || r in FORM_CASES || r in FACTOR_CASES || r in EXEMPT;

describe("every state-changing route has an audit case", () => {
  it("each registered POST, PUT, PATCH and DELETE route has a case or a stated exemption", () => {
    const routes = stateChangingRoutes(app);
    expect(routes.length).toBeGreaterThan(60);
    // A line here names a route without a case: add one to its area's cases, or exempt it with why.
    expect(missingCases(routes, known)).toEqual([]);
  });

  it("the cases and exemptions name only registered routes, each once", () => {
    const routes = stateChangingRoutes(app);
    const named = [...Object.keys(KEY_CASES), ...Object.keys(FORM_CASES), ...Object.keys(FACTOR_CASES), ...Object.keys(EXEMPT)];
    expect(named.filter((r) => !routes.includes(r)).map((r) => `${r}: not a registered route`)).toEqual([]);
    expect(named.filter((r, i) => named.indexOf(r) !== i)).toEqual([]);
  });

  it("a state-changing route registered without a case is named by the same walk", () => {
    const other = buildApp();
    other.post("/v1/forgotten", (c) => c.text("oops"));
    other.delete("/app/forgotten/:id", (c) => c.text("oops"));
    const before = missingCases(stateChangingRoutes(app), known);
    expect(missingCases(stateChangingRoutes(other), known).filter((m) => !before.includes(m))).toEqual([
      "POST /v1/forgotten: no audit case (add one to test/support/audit-cases-*.ts, or an exemption with its reason)",
      "DELETE /app/forgotten/:id: no audit case (add one to test/support/audit-cases-*.ts, or an exemption with its reason)",
    ]);
  });
});
