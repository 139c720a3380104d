import { drizzle } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import type { Db } from "../../db/client.js";
import * as schema from "../../db/schema/index.js";
import { APP_ROLE } from "../../db/tenant.js";

/** A statement as the client sent it: its text and its parameters, serialized. */
export interface Statement {
  text: string;
  params: unknown[];
}

/**
 * A Db that keeps every statement it sends, for EXPLAIN: the functions under test run on
 * it as they do on the services' pool, so a plan is read from their own SQL, not a copy.
 */
export function recordingDb(url: string) {
  const statements: Statement[] = [];
  const client = postgres(url, { max: 2, fetch_types: false, onnotice: () => {}, debug: (_connection, text, params) => void statements.push({ text, params: [...params] }) });
  const db = drizzle(client, { schema }) as Db;
  return { db, statements, close: () => client.end({ timeout: 2 }) };
}

/** One node of EXPLAIN (FORMAT JSON)'s tree, with the fields the assertions read. */
export interface PlanNode {
  "Node Type": string;
  "Relation Name"?: string;
  "Index Name"?: string;
  "Index Cond"?: string;
  "Recheck Cond"?: string;
  Filter?: string;
  Plans?: PlanNode[];
}

/** The plan the statement gets as the application role under the tenant's scope, as withTenant sets it. */
export async function planOf(owner: postgres.Sql, workspaceId: string, s: Statement): Promise<PlanNode> {
  return (await owner.begin(async (t) => {
    await t`select set_config('role', ${APP_ROLE}, true), set_config('app.workspace_id', ${workspaceId}, true)`;
    const [row] = await t.unsafe(`explain (format json) ${s.text}`, s.params as never[]);
    const out = row!["QUERY PLAN"];
    return (typeof out === "string" ? JSON.parse(out) : out)[0].Plan;
  })) as PlanNode;
}

/** Every node of the tree, init plans and subplans included. */
export const nodesOf = (n: PlanNode): PlanNode[] => [n, ...(n.Plans ?? []).flatMap(nodesOf)];

/** The nodes that read the table (the heap or one of its indexes; a bitmap's index scans name only their index). */
export const scansOf = (plan: PlanNode, table: string): PlanNode[] =>
  nodesOf(plan).filter((n) => (n["Relation Name"] === table && n["Node Type"] !== "ModifyTable" && n["Node Type"] !== "LockRows") || n["Index Name"]?.startsWith(`${table}_`));

/** A one-line account of a plan's scans of the table, for a failure message. */
export const describeScans = (plan: PlanNode, table: string) =>
  scansOf(plan, table).map((n) => `${n["Node Type"]} ${n["Index Name"] ?? ""} cond=${n["Index Cond"] ?? "-"} filter=${n.Filter ?? "-"}`).join("; ");
