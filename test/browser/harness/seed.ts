import { DEFAULT_WABA_ID } from "../../../dev/meta-sandbox/server.js";
import { eventually } from "../../support/eventually.js";
import { createApiKey, revokeApiKey } from "../../../lib/apikeys/manage.js";
import { connectNumber } from "../../../lib/whatsapp/numbers.js";
import { createWorkspace } from "../../../lib/workspaces/workspaces.js";
import type { BrowserSandesh } from "./sandesh.js";

/**
 * One workspace with something on every dashboard page, made as a newcomer would make
 * it (what the admin CLI does, then the HTTP API with the key) against the Meta
 * sandbox `npm start` runs. Names, numbers and texts are fixed, so the pages (and their
 * screenshots) show the same thing every time; ids and times are the server's own.
 */
export interface Seeded {
  workspaceId: string;
  key: string;
  phoneNumberId: string;
  messageIds: string[];
  webhookEndpointId: string;
  broadcastId: string;
  contactIds: string[];
}

export const SEED = {
  workspace: "Acme Traders",
  phoneNumberId: "1098765432",
  displayNumber: "+91 22 4000 1234",
  contacts: [
    { wa_id: "919812340001", name: "Asha Rao" },
    { wa_id: "919812340002", name: "Vikram Iyer" },
    // The sandbox's "…0009": sent, then failed 131026 (dev/meta-sandbox/README.md).
    { wa_id: "919812340009", name: "Meera Das" },
  ],
  template: { name: "order_update", language: { code: "en" }, category: "UTILITY" },
  broadcast: { name: "Spring sale", send_at: "2030-03-01T09:00:00.000Z" },
};

const OPERATOR = { actorType: "operator" as const, actorId: "seed" };

export async function seedWorkspace(sandesh: BrowserSandesh, receiverUrl: string): Promise<Seeded> {
  // What the admin CLI's workspace/apikey/whatsapp commands call, in this process: each
  // CLI command is a process of its own and costs seconds on a busy machine.
  const s = sandesh.stack.services;
  const ws = await createWorkspace(s, SEED.workspace);
  const key = (await createApiKey(s, ws.id, "production", OPERATOR)).key;
  const staging = await createApiKey(s, ws.id, "staging", OPERATOR);
  await revokeApiKey(s, ws.id, staging.id, OPERATOR);
  await connectNumber(s, { workspaceId: ws.id, phoneNumberId: SEED.phoneNumberId, wabaId: DEFAULT_WABA_ID, displayNumber: SEED.displayNumber, token: "EAAAcmeTradersSandboxToken0123456789" }, OPERATOR);

  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${sandesh.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return (text ? JSON.parse(text) : {}) as Record<string, unknown>;
  };

  const webhook = await call("POST", "/v1/webhook-endpoints", { url: `${receiverUrl}/hooks/sandesh`, description: "Order system" });
  const contactIds: string[] = [];
  for (const c of SEED.contacts) contactIds.push((await call("POST", "/v1/contacts", { ...c, tags: ["spring"], marketing_opt_in: true })).id as string);
  // No catalogue yet: the template's declared category stands (README, "Templates").
  const messageIds: string[] = [];
  for (const c of SEED.contacts) messageIds.push((await call("POST", "/v1/messages", { to: c.wa_id, type: "template", template: SEED.template })).id as string);
  // Then the catalogue: the template submitted for review, approved by the sandbox's Meta.
  await call("POST", "/v1/templates/sync");
  await call("POST", "/v1/templates", { name: SEED.template.name, language: SEED.template.language.code, category: SEED.template.category, components: [{ type: "BODY", text: "Your order has shipped and is on its way." }] });
  await eventually(
    async () => ((await call("GET", `/v1/templates?name=${SEED.template.name}`)).data as { status: string }[])[0]?.status,
    (status) => status === "APPROVED",
    30_000,
  );
  // Every message at its last status (the sandbox's webhooks: read, or failed for …0009).
  for (const id of messageIds) await eventually(() => call("GET", `/v1/messages/${id}`), (m) => m.status === "read" || m.status === "failed", 30_000);
  const broadcast = await call("POST", "/v1/broadcasts", { ...SEED.broadcast, template: { name: SEED.template.name, language: SEED.template.language }, audience: { tag: "spring" } });
  return { workspaceId: ws.id!, key, phoneNumberId: SEED.phoneNumberId, messageIds, webhookEndpointId: webhook.id as string, broadcastId: broadcast.id as string, contactIds };
}
