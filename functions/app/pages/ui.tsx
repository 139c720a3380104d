import type { Child } from "hono/jsx";
import type { FieldError } from "../../../lib/storable.js";

/**
 * The pieces every page's forms are made of. Each input has a <label> tied to it by id,
 * a hint or an error tied by aria-describedby, and every form that changes something
 * carries the session's CSRF token in a hidden `csrf` field.
 */
export const CsrfField = ({ token }: { token: string }) => <input type="hidden" name="csrf" value={token} />;

export const Flash = ({ message }: { message: string | null }) => (message ? <p class="flash" role="status">{message}</p> : null);

/** What was wrong with the last submission, as a list the screen reader announces. */
export function Problems({ message, errors }: { message?: string | null | undefined; errors?: FieldError[] | undefined }) {
  if (!message && !errors?.length) return null;
  return (
    <div class="problems" role="alert">
      {message ? <p>{message}</p> : null}
      {errors?.length ? (
        <ul>
          {errors.map((e) => (
            <li>
              <code>{e.field}</code> {e.message}
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}

const fieldId = (form: string, name: string) => `${form}-${name.replace(/[^a-z0-9]+/gi, "-")}`;

export interface FieldProps {
  form: string;
  name: string;
  label: string;
  value?: string | undefined;
  type?: "text" | "password" | "email" | "url" | "number" | "date" | "datetime-local" | "search";
  required?: boolean;
  hint?: string;
  autocomplete?: string;
  errors?: FieldError[] | undefined;
  inputmode?: "numeric" | "tel" | "text";
  pattern?: string;
  maxlength?: number;
}

export function Field(p: FieldProps) {
  const id = fieldId(p.form, p.name);
  const error = p.errors?.find((e) => e.field === p.name || e.field.startsWith(`${p.name}.`));
  const described = [p.hint ? `${id}-hint` : "", error ? `${id}-error` : ""].filter(Boolean).join(" ");
  return (
    <div class="field">
      <label for={id}>{p.label}</label>
      <input
        id={id}
        name={p.name}
        type={p.type ?? "text"}
        value={p.value ?? ""}
        required={p.required}
        autocomplete={p.autocomplete}
        inputmode={p.inputmode}
        pattern={p.pattern}
        maxlength={p.maxlength}
        aria-invalid={error ? "true" : undefined}
        aria-describedby={described || undefined}
      />
      {p.hint ? (
        <small id={`${id}-hint`} class="hint">
          {p.hint}
        </small>
      ) : null}
      {error ? (
        <small id={`${id}-error`} class="error">
          {error.message}
        </small>
      ) : null}
    </div>
  );
}

export function Select(p: { form: string; name: string; label: string; value?: string | undefined; options: { value: string; label: string }[]; hint?: string }) {
  const id = fieldId(p.form, p.name);
  return (
    <div class="field">
      <label for={id}>{p.label}</label>
      <select id={id} name={p.name} aria-describedby={p.hint ? `${id}-hint` : undefined}>
        {p.options.map((o) => (
          <option value={o.value} selected={o.value === (p.value ?? "")}>
            {o.label}
          </option>
        ))}
      </select>
      {p.hint ? (
        <small id={`${id}-hint`} class="hint">
          {p.hint}
        </small>
      ) : null}
    </div>
  );
}

/** One button that POSTs: revoke, delete, pause… `label` says what it does to what (for screen readers too). */
export function PostButton(p: { action: string; csrf: string; label: string; fields?: Record<string, string>; danger?: boolean; accessibleLabel?: string }) {
  return (
    <form method="post" action={p.action} class="inline">
      <CsrfField token={p.csrf} />
      {Object.entries(p.fields ?? {}).map(([k, v]) => (
        <input type="hidden" name={k} value={v} />
      ))}
      <button type="submit" class={p.danger ? "danger" : undefined} aria-label={p.accessibleLabel}>
        {p.label}
      </button>
    </form>
  );
}

/** A table with a caption (read out first) and a line saying so when it is empty. */
export function Table(p: { caption: string; head: string[]; empty: string; children?: Child; rows: number }) {
  return (
    <table>
      <caption>{p.caption}</caption>
      <thead>
        <tr>
          {p.head.map((h) => (
            <th scope="col">{h}</th>
          ))}
        </tr>
      </thead>
      <tbody>
        {p.rows === 0 ? (
          <tr>
            <td colspan={p.head.length} class="empty">
              {p.empty}
            </td>
          </tr>
        ) : (
          p.children
        )}
      </tbody>
    </table>
  );
}

/** "Older" for keyset pages: the same filters, the next cursor. */
export function Pager({ path, query, next }: { path: string; query: Record<string, string | undefined>; next: string | null }) {
  if (!next) return null;
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v) q.set(k, v);
  q.set("cursor", next);
  return (
    <nav class="pager" aria-label="Pages">
      <a href={`${path}?${q.toString()}`} rel="next">
        Older →
      </a>
    </nav>
  );
}
