import type { Context } from "hono";
import * as v from "valibot";
import { validationFailed } from "../../../lib/errors.js";
import { getThreshold, setThreshold, ThresholdInput } from "../../../lib/exports/threshold.js";
import { fieldErrors } from "../../../lib/parse.js";
import type { AppEnv } from "../../env.js";
import { sessionActor } from "../middleware/session.js";
import { workspaceOf } from "./facts.js";
import type { FormFields } from "./form.js";
import { CsrfField, Field } from "./ui.js";

/** The owner's form on /app/exports: the rows an export may have before it waits for an owner. */
export function ThresholdForm(p: { csrf: string; threshold: number }) {
  return (
    <form method="post" action="/app/exports/threshold" class="card" aria-labelledby="export-threshold">
      <h2 id="export-threshold">Approval threshold</h2>
      <CsrfField token={p.csrf} />
      <Field
        form="threshold"
        name="export_approval_threshold"
        label="Rows an export may have without your approval"
        type="number"
        inputmode="numeric"
        value={String(p.threshold)}
        hint="0: every export waits for an owner. Only an owner may raise it; a key with settings:write may lower it."
      />
      <button type="submit">Save threshold</button>
    </form>
  );
}

export const currentThreshold = async (c: Context<AppEnv>) => (await getThreshold(c.env.services, workspaceOf(c))).export_approval_threshold;

/** POST /app/exports/threshold (approvals:write): an owner sets it, up or down, audited as PUT /v1/workspace/export-approval is. */
export async function saveThreshold(c: Context<AppEnv>, form: FormFields) {
  const raw = form.text("export_approval_threshold");
  const r = v.safeParse(ThresholdInput, { export_approval_threshold: raw !== undefined && /^\d{1,9}$/.test(raw) ? Number(raw) : raw });
  if (!r.success) throw validationFailed(fieldErrors(r.issues), "The threshold must be a whole number of rows, 0 to 100,000,000");
  return setThreshold(c.env.services, workspaceOf(c), r.output.export_approval_threshold, sessionActor(c), true);
}
