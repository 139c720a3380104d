import type { Context } from "hono";
import type { Child } from "hono/jsx";
import type { Services } from "../../../lib/context.js";
import type { AppEnv } from "../../env.js";
import { workspaceOf } from "./facts.js";
import { attempt, type FormProblem } from "./form.js";
import { Pager, Problems, Table } from "./ui.js";

/** What a list read answers: a page of rows, and the next page's cursor where it pages. */
export interface Listed<T> {
  data: T[];
  next_cursor?: string | null;
}

export interface ListResult<T> {
  rows: T[];
  next: string | null;
  problem: FormProblem | undefined;
}

/** A list's rows, or, when its filters are refused, the refusal over an empty list (said on the page, not an error page). */
export async function readList<T>(fn: () => Promise<Listed<T>>): Promise<ListResult<T>> {
  const r = await attempt(fn);
  return r.ok ? { rows: r.value.data, next: r.value.next_cursor ?? null, problem: undefined } : { rows: [], next: null, problem: r.problem };
}

/** The page of a list the dashboard shows: from the address's cursor, 50 rows. */
export interface PageQuery {
  cursor: string | undefined;
  limit: string;
}

/** One page of a workspace list with the page's filters, read as readList reads it. */
export function readPage<Q, T>(c: Context<AppEnv>, list: (s: Services, workspaceId: string, q: Q & PageQuery) => Promise<Listed<T>>, filters: Q): Promise<ListResult<T>> {
  return readList(() => list(c.env.services, workspaceOf(c), { ...filters, cursor: c.req.query("cursor") || undefined, limit: "50" }));
}

export interface ListViewProps {
  /** The page's own path: where the filters go and where "Older" points. */
  path: string;
  /** The filter form's name for screen readers, e.g. "Search contacts". */
  label: string;
  submit: string;
  /** The form's fields (Field, Select). */
  filters: Child;
  problem: FormProblem | undefined;
  /** Between the problems and the table: buttons that act on the list. */
  actions?: Child;
  caption: string;
  head: string[];
  empty: string;
  rows: number;
  /** The filters "Older" keeps, with the next cursor. */
  query?: Record<string, string | undefined>;
  next?: string | null;
  children?: Child;
}

/** A list page's body: the filters (a GET form), what was wrong with them, the table, and "Older". */
export function ListView(p: ListViewProps) {
  return (
    <>
      <form method="get" action={p.path} class="filters" role="search" aria-label={p.label}>
        {p.filters}
        <div class="field">
          <button type="submit">{p.submit}</button>
        </div>
      </form>
      <Problems message={p.problem?.message} errors={p.problem?.errors} />
      {p.actions ?? null}
      <Table caption={p.caption} head={p.head} empty={p.empty} rows={p.rows}>
        {p.children}
      </Table>
      <Pager path={p.path} query={p.query ?? {}} next={p.next ?? null} />
    </>
  );
}
