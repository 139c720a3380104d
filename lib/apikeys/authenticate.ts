import type { Services } from "../context.js";
import { enforceAllowlist } from "../network/allowlist.js";
import { passRequestGate, type RequestBucket } from "../gate/request.js";
import { identifyApiKey, reverifyApiKey, type ApiKeyAuth } from "./auth.js";

/**
 * The first thing every /v1 request does: who is calling, is the key still valid (in
 * Redis, or in the database when Redis no longer vouches for it), is it within its rate.
 * Nothing about the request is parsed or looked up before this has passed.
 */
export async function authenticate(s: Services, header: string | undefined, ip: string, bucket: RequestBucket): Promise<ApiKeyAuth> {
  let id = await identifyApiKey(s, header, ip);
  // The workspace's allow-list before anything else is done for the key (its rate included).
  await enforceAllowlist(s, id.auth.workspaceId, ip);
  if ((await passRequestGate(s, id.auth, bucket, id.fresh)) === "unverified") {
    id = await reverifyApiKey(s, id.hash);
    await passRequestGate(s, id.auth, bucket, true);
  }
  return id.auth;
}
