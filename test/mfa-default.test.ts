import { describe, expect, it } from "vitest";
import { totpCodeAt } from "../lib/factors/totp.js";
import { createInvitation } from "../lib/people/invite.js";
import { createWorkspace } from "../lib/workspaces/workspaces.js";
import { CookieBrowser } from "./support/cookie-browser.js";
import { signedInBrowser, visibleText } from "./support/dashboard-kit.js";
import { uniqueEmail } from "./support/people-kit.js";
import { enrolTotp, googleSignIn, jsonPost, useGoogleRig } from "./support/google-rig.js";

/**
 * Multi-factor authentication is the default (migration 0037): a NEW workspace requires a
 * second factor of every member. A Google-only member is held at set-up until they enrol
 * TOTP; a passkey that verified the person passes at once; an owner may turn it off, and
 * that is audited and warned about. Real HTTP, Google through the development issuer.
 */
const CLIENT_ID = "sandesh-mfa-default.apps.googleusercontent.com";
const CLIENT_SECRET = "GOCSPX-mfa-default-test-secret-4711";
const rig = useGoogleRig(CLIENT_ID, CLIENT_SECRET);

const requireMfa = async (workspaceId: string) => (await rig.stack.owner<{ require_mfa: boolean }[]>`select require_mfa from workspaces where id = ${workspaceId}`)[0]!.require_mfa;

/** A Google sign-in by a new member accepting an invitation; answers the browser and its CSRF token. */
async function googleMember(workspaceId: string, role: "agent" | "owner" = "agent") {
  const email = uniqueEmail("google-only");
  const inv = await createInvitation(rig.stack.services, { workspaceId, email, role }, { actorType: "operator", actorId: "test" });
  const b = new CookieBrowser();
  return { b, email, csrf: await googleSignIn(rig.base, b, email, `/app/auth/google/start?invitation=${inv.token}`) };
}

const page = (b: CookieBrowser, path: string) => b.get(`${rig.base}${path}`, { headers: { accept: "text/html" } });
const post = (b: CookieBrowser, csrf: string, path: string, body: object = {}) => jsonPost(rig.base, b, csrf, path, body);
const errorOf = async (r: Response) => ((await r.json()) as { error: { code: string; details?: Record<string, unknown> } }).error;

describe("MFA enforced by default", () => {
  it("a new workspace requires a second factor, from the operator's creation and the test stack alike", async () => {
    const made = await createWorkspace(rig.stack.services, "Fresh");
    expect(await requireMfa(made.id)).toBe(true);
    expect(await requireMfa((await rig.stack.tenant("Fresh")).workspaceId)).toBe(true);
  });

  it("a Google-only member is sent to set-up and can do nothing else until enrolled; then every later Google sign-in asks for a code", async () => {
    const { workspaceId } = await rig.stack.tenant("Default MFA");
    const { b, email, csrf } = await googleMember(workspaceId);
    // Every page sends them to set-up, with the way back; every action is 403 naming what to do.
    for (const path of ["/app", "/app/contacts", "/app/members", "/app/sessions", "/app/audit"]) {
      const r = await page(b, path);
      expect([path, r.status, r.headers.get("location")]).toEqual([path, 303, `/app/security/setup?next=${encodeURIComponent(path)}`]);
    }
    for (const path of ["/app/sessions/revoke-others", "/app/workspace/require-mfa"]) {
      const r = await post(b, csrf, path, { enabled: false });
      expect([path, r.status]).toEqual([path, 403]);
      expect(await errorOf(r)).toMatchObject({ code: "second_factor_required", details: { next: "enrol", required_by_workspace: true, setup_url: "/app/security/setup" } });
    }
    const setup = await page(b, "/app/security/setup");
    expect(setup.status).toBe(200);

    const { secret, enrolledAt: at, csrf: csrf_token } = await enrolTotp(rig.base, b, csrf);
    expect((await page(b, "/app/contacts")).status).toBe(200);
    expect((await post(b, csrf_token, "/app/sessions/revoke-others")).status).toBe(200);

    // A later Google sign-in (another browser) must enter a code before anything else.
    const again = new CookieBrowser();
    const later = await googleSignIn(rig.base, again, email);
    expect((await errorOf(await post(again, later, "/app/sessions/revoke-others"))).details).toMatchObject({ next: "verify", required_by_workspace: true });
    const verified = await post(again, later, "/app/auth/totp/verify", { code: totpCodeAt(secret, new Date(at.getTime() + 30_000)) });
    expect(verified.status).toBe(200);
    expect((await post(again, ((await verified.json()) as { csrf_token: string }).csrf_token, "/app/sessions/revoke-others")).status).toBe(200);
  });

  it("a member whose passkey verified them passes at once", async () => {
    const { workspaceId } = await rig.stack.tenant("Passkey");
    const member = await signedInBrowser(rig.stack, { workspaceId, role: "agent" });
    expect(await requireMfa(workspaceId)).toBe(true);
    expect((await member.get("/app")).status).toBe(200);
    expect((await member.get("/app/contacts")).status).toBe(200);
    expect((await member.post("/app/sessions/revoke-others")).status).toBe(303);
  });

  it("the owner may turn it off: warned on the security page, audited, and only then is a Google sign-in without a factor let in", async () => {
    const { workspaceId } = await rig.stack.tenant("Opt out");
    const owner = await signedInBrowser(rig.stack, { workspaceId, role: "owner" });
    const before = visibleText((await owner.get("/app/security")).html);
    expect(before).toContain("Warning: if you stop requiring it, a member who signs in with Google and has no authenticator app gets in with one factor only.");

    const off = await owner.post("/app/workspace/require-mfa", {}, { from: "/app/security" }); // the box unticked
    expect([off.status, off.headers.get("location")]).toEqual([303, "/app/security"]);
    expect(await requireMfa(workspaceId)).toBe(false);
    const [row] = await rig.stack.owner<{ actor_type: string; actor_id: string }[]>`
      select actor_type, actor_id from audit_log where workspace_id = ${workspaceId} and action = 'workspace.require_mfa_disabled'`;
    expect(row).toEqual({ actor_type: "user", actor_id: owner.who.userId });
    const after = (await owner.get("/app/security")).html;
    expect(after).toMatch(/<p id="require-mfa-warning" class="problems" role="alert">/);
    expect(visibleText(after)).toContain("A second factor is not required in this workspace");

    const { b } = await googleMember(workspaceId);
    expect((await page(b, "/app/contacts")).status).toBe(200);
  });
});
