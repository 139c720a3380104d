import { runImport } from "../../lib/contacts/import-run.js";
import { eventually } from "./eventually.js";
import { createTestStack, type TestStack } from "./stack.js";

/** A stack whose local queue runs contacts imports in this process, as the Node process does. */
export async function importStack(): Promise<TestStack> {
  const stack = await createTestStack({}, { localQueue: true });
  await stack.queue!.workImports(async (items) => {
    for (const { job } of items) await runImport(stack.services, job);
    return items.map(() => "done" as const);
  });
  return stack;
}

type Tenant = { key: string };
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the answer as JSON, checked by the tests
export type ImportView = { id: string; status: string; [k: string]: any };

/** The import's view once its job has ended it (completed or failed). */
export const importEnded = (stack: TestStack, t: Tenant, id: string, timeoutMs = 30_000): Promise<ImportView> =>
  eventually(
    async () => (await stack.request(`/v1/contacts/imports/${id}`, { headers: { authorization: `Bearer ${t.key}` } })).json() as Promise<ImportView>,
    (v) => v.status === "completed" || v.status === "failed",
    timeoutMs,
  );

/** POST /v1/contacts/imports; with a 202, the import's view once it has ended, else the error answer. */
export async function importAndWait(stack: TestStack, t: Tenant, body: BodyInit, timeoutMs?: number): Promise<{ status: number; accepted?: ImportView; body: any }> {
  const res = await stack.request("/v1/contacts/imports", { method: "POST", headers: { authorization: `Bearer ${t.key}`, "content-type": "text/csv" }, body, duplex: "half" } as RequestInit);
  const answer = await res.json();
  if (res.status !== 202) return { status: res.status, body: answer };
  return { status: 202, accepted: answer, body: await importEnded(stack, t, answer.id, timeoutMs) };
}
