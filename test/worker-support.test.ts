import { describe, expect, it } from "vitest";
import { approveSupportGrant } from "../lib/support/approve.js";
import { requestSupportGrant } from "../lib/support/request.js";
import { revokeSupportGrant } from "../lib/support/revoke.js";
import { eventually } from "./support/eventually.js";
import { signIn } from "./support/people-kit.js";
import { workerOnStack } from "./support/worker-on-stack.js";

/** Support access through workerd (`npm run dev:worker`): the same database check on every request, audit and read-only refusal as in Node. */
const w = workerOnStack();

describe("support access in the Worker", () => {
  it("a pending grant is refused; approved, it reads (audited) and never writes; revoked in another process, the next request is refused", async () => {
    const { workspaceId } = await w.stack.tenant("Worker support");
    const owner = await signIn(w.stack, { workspaceId, role: "owner" });
    const g = await requestSupportGrant(w.stack.services, workspaceId, { operator: "ravi@sandesh.support", reason: "Checking the number's setup" });
    // As a careful client does: a 503 (a database step past its deadline on a loaded machine) is asked again.
    const get = (path: string, init: RequestInit = {}) =>
      eventually(
        () => fetch(`${w.base}${path}`, { ...init, headers: { authorization: `Bearer ${g.token}`, "content-type": "application/json" } }),
        (r) => r.status !== 503,
        60_000,
      );
    const code = async (res: Response) => ((await res.json()) as { error: { code: string; details?: { state?: string } } }).error;

    const pending = await get("/v1/workspace");
    expect(pending.status, w.worker.output().slice(-2000)).toBe(403);
    expect(await code(pending)).toMatchObject({ code: "support_grant_inactive", details: { state: "pending" } });

    await approveSupportGrant(w.stack.services, workspaceId, g.id, 1, { actorType: "user", actorId: owner.userId });
    const ok = await get("/v1/workspace");
    expect(ok.status, w.worker.output().slice(-2000)).toBe(200);
    expect(((await ok.json()) as { id: string }).id).toBe(workspaceId);
    const write = await get("/v1/contacts", { method: "POST", body: JSON.stringify({ wa_id: "919876543210" }) });
    expect(write.status).toBe(403);
    expect((await code(write)).code).toBe("forbidden");

    const audit = await w.stack.owner<{ action: string; details: Record<string, unknown> }[]>`
      select action, details from audit_log where object_type = 'support_grant' and object_id = ${g.id} order by seq`;
    // Rows of requests that answered 503 (and were asked again) aside.
    expect(audit.filter((a) => a.details.status !== 503).map((a) => a.action)).toEqual(["support.requested", "support.approved", "support.read", "support.write_refused"]);
    expect(audit.find((a) => a.action === "support.read" && a.details.status === 200)!.details).toEqual({ method: "GET", route: "/v1/workspace", path: "/v1/workspace", status: 200 });

    await revokeSupportGrant(w.stack.services, workspaceId, g.id, { actorType: "user", actorId: owner.userId });
    const after = await get("/v1/workspace");
    expect(after.status).toBe(403);
    expect((await code(after)).details?.state).toBe("revoked");
    expect(w.worker.output()).not.toContain(g.token.slice(4));
  }, 240_000);
});
