import { describe, expect, it } from "vitest";
import { revokeApiKey } from "../lib/apikeys/manage.js";
import { eventually } from "./support/eventually.js";
import { useOwnRedisStack } from "./support/own-redis.js";

const own = useOwnRedisStack();

const workspace = (key: string) => own.stack.request("/v1/workspace", { headers: { authorization: `Bearer ${key}` } });
/** Any answer from the app, once the Redis client has reconnected. */
const settled = (key: string) => eventually(() => workspace(key).catch(() => undefined), (r) => r !== undefined && r.status < 500);

describe("revocation survives a Redis that forgets", () => {
  it("a key revoked before Redis restarts without persistence stays refused, though this process still has it cached", async () => {
    const t = await own.stack.tenant();
    expect((await workspace(t.key)).status).toBe(200);
    expect((await workspace(t.key)).status).toBe(200); // in the identity cache now
    await revokeApiKey(own.stack.services, t.workspaceId, t.keyId, { actorType: "operator" });
    expect((await workspace(t.key)).status).toBe(401);
    await own.redis.restart(); // the tombstone is gone
    const res = await settled(t.key);
    expect(res!.status).toBe(401);
    expect((await res!.json()).error.message).toMatch(/revoked/);
  });

  it("a valid key keeps working across the same restart", async () => {
    const t = await own.stack.tenant();
    expect((await workspace(t.key)).status).toBe(200);
    await own.redis.restart();
    expect((await settled(t.key))!.status).toBe(200);
    expect((await workspace(t.key)).status).toBe(200);
  });
});
