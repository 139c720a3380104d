import type { Context } from "hono";
import { AppError, validationFailed } from "../../../lib/errors.js";
import { textProblem, type FieldError } from "../../../lib/storable.js";
import type { AppEnv } from "../../env.js";

/** A submitted form's fields: text only (no page takes a file), blank fields as absent. */
export interface FormFields {
  text(name: string): string | undefined;
  list(name: string): string[];
}

export async function readForm(c: Context<AppEnv>): Promise<FormFields> {
  // parseBody keeps what it read, so the CSRF check in front and the page read one body.
  const body = await c.req.parseBody({ all: true });
  // Text PostgreSQL cannot hold (a NUL, a lone surrogate) is refused here, named, as a 422.
  const unstorable: FieldError[] = [];
  for (const [k, v] of Object.entries(body)) {
    for (const x of Array.isArray(v) ? v : [v]) {
      const why = typeof x === "string" ? textProblem(x) : "must be text, not a file";
      if (why) unstorable.push({ field: JSON.stringify(k).slice(1, -1), message: why });
    }
  }
  if (unstorable.length) throw validationFailed(unstorable, `The form cannot be stored: ${unstorable.map((u) => `${u.field} ${u.message}`).join("; ")}`);
  const values = (name: string): string[] => {
    const v = body[name];
    return (Array.isArray(v) ? v : v === undefined ? [] : [v]).filter((x): x is string => typeof x === "string");
  };
  return {
    text: (name) => {
      const v = values(name)[0]?.trim();
      return v ? v : undefined;
    },
    list: (name) => values(name).map((v) => v.trim()).filter(Boolean),
  };
}

/** A refusal the person can fix (4xx): shown on the form again; anything else goes to the error page. */
export interface FormProblem {
  status: 400 | 401 | 403 | 404 | 409 | 410 | 413 | 422 | 429;
  message: string;
  errors: FieldError[];
}

export function formProblem(err: unknown): FormProblem | null {
  // Not signed in (401) or not allowed (403) is the error page; a factor change asking for
  // a current code (step_up_required) is said on its form, where the code is typed.
  if (!(err instanceof AppError) || err.status >= 500) return null;
  if ((err.status === 401 || err.status === 403) && err.code !== "step_up_required") return null;
  const d = err.details as { field?: unknown } | FieldError[] | undefined;
  // Field errors as a list, or one `{field}` naming where the message applies.
  const errors = Array.isArray(d)
    ? d.filter((x) => typeof x?.field === "string" && typeof x?.message === "string")
    : typeof d?.field === "string"
      ? [{ field: d.field, message: err.message }]
      : [];
  return { status: err.status as FormProblem["status"], message: err.message, errors };
}

/** Runs a form's action; a fixable refusal becomes the page re-rendered with it, anything else is thrown on. */
export async function attempt<T>(fn: () => Promise<T>): Promise<{ ok: true; value: T } | { ok: false; problem: FormProblem }> {
  try {
    return { ok: true, value: await fn() };
  } catch (err) {
    const problem = formProblem(err);
    if (!problem) throw err;
    return { ok: false, problem };
  }
}
