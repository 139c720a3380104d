import { createApiKey } from "../../lib/apikeys/manage.js";
import { createInvitation } from "../../lib/people/invite.js";
import { approveSupportGrant } from "../../lib/support/approve.js";
import { requestSupportGrant } from "../../lib/support/request.js";
import { broadcast, endpoint, keyCall, paused, type KeyTenant } from "./audit-cases-v1.js";
import { signedInBrowser, type Browser } from "./dashboard-kit.js";
import { sessionFor, signIn } from "./people-kit.js";

/** A tenant of the audit suites and its owner, signed in on the dashboard. */
export interface AppTenant extends KeyTenant {
  person: Browser;
}

/** One dashboard form, posted by the signed-in owner (or, with `own`, a fresh sign-in of theirs). */
export interface FormCase {
  setup?: (t: AppTenant) => Promise<Record<string, string>>;
  path: (p: Record<string, string>, t: AppTenant) => string;
  fields?: (p: Record<string, string>, t: AppTenant) => Record<string, string | string[]>;
  action: string;
  /** The form ends the session it is posted with: posted by a new session of the same person. */
  own?: boolean;
  /** Posted by another person, whom the setup names (`as`: their email): the row names them. */
  other?: boolean;
}

export const appTenant = async (t: KeyTenant): Promise<AppTenant> => ({ ...t, person: await signedInBrowser(t.stack, { workspaceId: t.workspaceId, role: "owner" }) });

let n = 0;
const disabledEndpoint = async (t: AppTenant) => {
  const e = await endpoint(t);
  await keyCall(t, "PATCH", { path: `/v1/webhook-endpoints/${e.id}`, json: { enabled: false } });
  return e;
};
const invitation = async (t: AppTenant) => {
  const email = `revoked-${n++}-${Date.now()}@example.com`;
  await t.person.post("/app/members/invitations", { email, role: "viewer" });
  const [row] = await t.stack.owner<{ id: string }[]>`select id from invitations where workspace_id = ${t.workspaceId} and email = ${email}`;
  return { id: row!.id };
};
const otherSession = async (t: AppTenant) => ({ id: (await sessionFor(t.stack, t.person.who.userId, t.person.who.email, t.workspaceId)).sessionId });
/** Two sign-in methods of the kind, so one may go (the last one may not). */
const passkeys = async (t: AppTenant) => {
  const ids: string[] = [];
  for (let i = 0; i < 2; i++) {
    const [row] = await t.stack.owner<{ id: string }[]>`insert into passkeys (user_id, credential_id, public_key, user_handle, name, aaguid, backup_eligible, backed_up)
      values (${t.person.who.userId}, ${`cred-${n++}-${Date.now()}`}, ${Buffer.alloc(32, 7)}, ${`h${t.person.who.userId.replace(/-/g, "")}`}, ${`Key ${n}`}, ${"00000000-0000-0000-0000-000000000000"}, false, false) returning id`;
    ids.push(row!.id);
  }
  return { id: ids[0]! };
};
const identities = async (t: AppTenant) => {
  const ids: string[] = [];
  for (let i = 0; i < 2; i++) {
    const [row] = await t.stack.owner<{ id: string }[]>`insert into user_identities (user_id, issuer, subject, email)
      values (${t.person.who.userId}, ${"https://accounts.google.com"}, ${`sub-${n++}-${Date.now()}`}, ${t.person.who.email}) returning id`;
    ids.push(row!.id);
  }
  return { id: ids[0]! };
};
/** A person of another workspace, invited to this one: `token` for the link, `as` who accepts. */
const invited = async (t: AppTenant) => {
  const p = await signIn(t.stack, { role: "owner" });
  const inv = await createInvitation(t.stack.services, { workspaceId: t.workspaceId, email: p.email, role: "viewer" }, { actorType: "operator", actorId: "test" });
  return { token: inv.token, as: p.userId, email: p.email, home: p.workspaceId };
};
const supportRequest = async (t: AppTenant) => ({ id: (await requestSupportGrant(t.stack.services, t.workspaceId, { operator: "ops@sandesh.example", reason: "audit coverage", hours: 4 })).id });
const supportApproved = async (t: AppTenant) => {
  const g = await supportRequest(t);
  await approveSupportGrant(t.stack.services, t.workspaceId, g.id, undefined, { actorType: "user", actorId: t.person.who.userId });
  return g;
};
/** An export above the workspace's threshold (0 rows), waiting for an owner. */
const pendingExport = async (t: AppTenant) => {
  await keyCall(t, "PUT", { path: "/v1/workspace/export-approval", json: { export_approval_threshold: 0 } });
  const r = await keyCall(t, "POST", { path: "/v1/exports", json: { kind: "contacts" } });
  const e = (await r.json()) as { id: string; status: string };
  if (e.status !== "pending_approval") throw new Error(`export: ${r.status} ${JSON.stringify(e)}`);
  return { id: e.id };
};
const tomorrow = () => new Date(Date.now() + 2 * 86400_000).toISOString().slice(0, 16);

export const FORM_CASES: Record<string, FormCase> = {
  "POST /app/keys": { path: () => "/app/keys", fields: () => ({ name: `from-the-dashboard-${n++}` }), action: "api_key.created" },
  "POST /app/keys/:id/revoke": { setup: async (t) => ({ id: (await createApiKey(t.stack.services, t.workspaceId, "to-revoke", { actorType: "operator" })).id }), path: (p) => `/app/keys/${p.id}/revoke`, action: "api_key.revoked" },
  "POST /app/exports": { path: () => "/app/exports", fields: () => ({ kind: "messages", format: "jsonl" }), action: "export.requested" },
  "POST /app/exports/:id/approve": { setup: pendingExport, path: (p) => `/app/exports/${p.id}/approve`, action: "export.approved" },
  "POST /app/exports/:id/deny": { setup: pendingExport, path: (p) => `/app/exports/${p.id}/deny`, action: "export.denied" },
  "POST /app/exports/threshold": { path: () => "/app/exports/threshold", fields: () => ({ export_approval_threshold: String(2000 + n++) }), action: "workspace.export_approval_threshold_set" },
  "POST /app/support/:id/approve": { setup: supportRequest, path: (p) => `/app/support/${p.id}/approve`, action: "support.approved" },
  "POST /app/support/:id/deny": { setup: supportRequest, path: (p) => `/app/support/${p.id}/deny`, action: "support.denied" },
  "POST /app/support/:id/revoke": { setup: supportApproved, path: (p) => `/app/support/${p.id}/revoke`, action: "support.revoked" },
  "POST /app/invite/:token/accept": { other: true, setup: invited, path: (p) => `/app/invite/${p.token}/accept`, action: "invitation.accepted" },
  "POST /app/members/invitations": { path: () => "/app/members/invitations", fields: () => ({ email: `invitee-${n++}-${Date.now()}@example.com`, role: "viewer" }), action: "invitation.created" },
  "POST /app/members/invitations/:id/revoke": { setup: invitation, path: (p) => `/app/members/invitations/${p.id}/revoke`, action: "invitation.revoked" },
  "POST /app/webhooks": { path: () => "/app/webhooks", fields: () => ({ url: `http://127.0.0.1:9/app${n++}`, events: ["message.sent"] }), action: "webhook_endpoint.created" },
  "POST /app/webhooks/:id/enable": { setup: disabledEndpoint, path: (p) => `/app/webhooks/${p.id}/enable`, action: "webhook_endpoint.updated" },
  "POST /app/webhooks/:id/disable": { setup: endpoint, path: (p) => `/app/webhooks/${p.id}/disable`, action: "webhook_endpoint.updated" },
  "POST /app/webhooks/:id/rotate-secret": { setup: endpoint, path: (p) => `/app/webhooks/${p.id}/rotate-secret`, action: "webhook_endpoint.secret_rotated" },
  "POST /app/webhooks/:id/delete": { setup: endpoint, path: (p) => `/app/webhooks/${p.id}/delete`, action: "webhook_endpoint.deleted" },
  "POST /app/templates/sync": { path: () => "/app/templates/sync", action: "templates.synced" },
  "POST /app/broadcasts": { path: () => "/app/broadcasts", fields: () => ({ name: `form-${n++}`, template: "audit_plain|en_US", audience: "tag", tag: "audited", send_at: tomorrow() }), action: "broadcast.created" },
  "POST /app/broadcasts/:id/pause": { setup: broadcast, path: (p) => `/app/broadcasts/${p.id}/pause`, action: "broadcast.paused" },
  "POST /app/broadcasts/:id/resume": { setup: paused, path: (p) => `/app/broadcasts/${p.id}/resume`, action: "broadcast.resumed" },
  "POST /app/broadcasts/:id/cancel": { setup: broadcast, path: (p) => `/app/broadcasts/${p.id}/cancel`, action: "broadcast.canceled" },
  "POST /app/numbers": { path: () => "/app/numbers", fields: () => ({ phone_number_id: `5${Date.now() % 1e9}${n++}`, waba_id: "102290129340398", token: `EAAFormToken${Date.now()}${n++}abcdefghij` }), action: "whatsapp.connected" },
  "POST /app/sessions/:id/revoke": { setup: otherSession, path: (p) => `/app/sessions/${p.id}/revoke`, action: "session.revoked" },
  "POST /app/sessions/revoke-others": { setup: otherSession, path: () => "/app/sessions/revoke-others", action: "session.revoked" },
  "POST /app/auth/sign-out": { own: true, path: () => "/app/auth/sign-out", action: "session.signed_out" },
  "POST /app/passkeys/:id/rename": { setup: passkeys, path: (p) => `/app/passkeys/${p.id}/rename`, fields: () => ({ name: `Renamed ${n++}` }), action: "passkey.renamed" },
  "POST /app/passkeys/:id/delete": { setup: passkeys, path: (p) => `/app/passkeys/${p.id}/delete`, action: "passkey.removed" },
  "POST /app/auth/google/identities/:id/remove": { setup: identities, path: (p) => `/app/auth/google/identities/${p.id}/remove`, action: "google.unlinked" },
};

