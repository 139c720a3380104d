import { connectNumber } from "../../lib/whatsapp/numbers.js";
import type { TestStack } from "./stack.js";

let next = 0;
/** Connects a WhatsApp number with a unique phone-number id; tier and limits as the test needs. */
/** The WABA test webhooks name in entry[].id (test/support/meta-payloads.ts, the Meta sandbox's default). */
export const TEST_WABA_ID = "102290129340398";

export async function connectTestNumber(stack: TestStack, workspaceId: string, opts: { throughput?: number; tier?: string; token?: string; wabaId?: string } = {}) {
  const phoneNumberId = `${Date.now() % 1_000_000_000}${next++}${Math.floor(Math.random() * 1000)}`;
  const n = await connectNumber(
    stack.services,
    { workspaceId, phoneNumberId, wabaId: opts.wabaId ?? TEST_WABA_ID, token: opts.token ?? `EAATestToken${phoneNumberId}abcdefghij`, ...(opts.throughput ? { throughputMps: opts.throughput } : {}) },
    { actorType: "operator" },
  );
  if (opts.tier) await stack.owner`update whatsapp_numbers set messaging_tier = ${opts.tier} where id = ${n.id}`;
  stack.services.caches.senders.delete(workspaceId);
  return n;
}

/** Raises a workspace's request limits so a test measures only what it means to. */
export async function setLimits(stack: TestStack, workspaceId: string, limits: Record<string, unknown>) {
  await stack.owner`update workspaces set settings = ${stack.owner.json({ limits } as never)} where id = ${workspaceId}`;
  stack.services.caches.apiKeys.clear();
}
