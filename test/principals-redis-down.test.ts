import { describe, expect, it } from "vitest";
import { eraseContact } from "../lib/principals/erase.js";
import { useOwnRedisStack } from "./support/own-redis.js";
import { connectTestNumber } from "./support/senders.js";

// Erasure reaches Redis before it commits: with Redis away nothing is erased, and the
// caller hears a retryable 503 while the number is still there to be found again.
const own = useOwnRedisStack();

describe("erase with Redis away", () => {
  it("answers 503 temporarily_unavailable and changes nothing; once Redis is back the same erase completes", async () => {
    const t = await own.stack.tenant();
    await connectTestNumber(own.stack, t.workspaceId);
    const number = `9197${String(Math.floor(Math.random() * 1e8)).padStart(8, "0")}`;
    const res = await own.stack.request("/v1/contacts", { method: "POST", headers: { authorization: `Bearer ${t.key}`, "content-type": "application/json" }, body: JSON.stringify({ wa_id: `+${number}`, name: "Meera" }) });
    expect(res.status, await res.clone().text()).toBe(201);
    const c = (await res.json()) as { id: string };
    const [audits] = await own.stack.owner<{ n: number }[]>`select count(*)::int as n from audit_log where workspace_id = ${t.workspaceId}`;

    await own.redis.stop(); // no request would pass authentication now: the erase is asked of the library
    await expect(eraseContact(own.stack.services, t.workspaceId, c.id, { actorType: "operator" })).rejects.toMatchObject({ status: 503, code: "temporarily_unavailable" });
    const [row] = await own.stack.owner<{ wa_id: string; name: string | null; erased_at: Date | null }[]>`select wa_id, name, erased_at from contacts where id = ${c.id}`;
    expect(row).toEqual({ wa_id: number, name: "Meera", erased_at: null });
    expect((await own.stack.owner`select count(*)::int as n from audit_log where workspace_id = ${t.workspaceId}`)[0]!.n).toBe(audits!.n);

    await own.redis.restart();
    const done = await eraseContact(own.stack.services, t.workspaceId, c.id, { actorType: "operator" });
    expect(done.id).toBe(c.id);
    const [after] = await own.stack.owner<{ wa_id: string; erased_at: Date | null }[]>`select wa_id, erased_at from contacts where id = ${c.id}`;
    expect(after!.wa_id).toBe(await own.stack.services.vault.keyedHash(number));
    expect(after!.erased_at).not.toBeNull();
  });
});
