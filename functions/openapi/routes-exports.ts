import { CreateExport } from "../../lib/exports/schema.js";
import { ThresholdInput } from "../../lib/exports/threshold.js";
import { page, type RouteDoc } from "./registry.js";

/** Approved exports and their threshold. */
export const V1_EXPORTS: RouteDoc[] = [
  {
    method: "post",
    path: "/v1/exports",
    tag: "Exports",
    summary: "Ask for an export of contacts or messages; above the workspace's threshold it waits for an owner's approval",
    description: "The matching rows are counted now. Up to `export_approval_threshold` the export is approved at once (`queued`); above it, `pending_approval` until an owner approves or denies it in the dashboard. Numbers in the file are as this key is shown them. Needs exports:create and contacts:read or messages:read.",
    body: { schema: CreateExport, example: { kind: "contacts", format: "csv", filter: { tag: "vip" } } },
    responses: { 202: "The export: {id, status, rows, threshold, …}" },
  },
  { method: "get", path: "/v1/exports", tag: "Exports", summary: "The workspace's exports, newest first (never their content)", query: { status: "pending_approval, queued, producing, ready, downloaded, expired, denied or failed", ...page }, responses: { 200: "{data, next_cursor}" } },
  { method: "get", path: "/v1/exports/{id}", tag: "Exports", summary: "One export: where it stands", responses: { 200: "The export", 404: "Not this workspace's" } },
  {
    method: "get",
    path: "/v1/exports/{id}/download",
    tag: "Exports",
    summary: "The file, once, to the key that asked, within 24 h of being ready; then it is deleted",
    responses: { 200: "text/csv or application/x-ndjson", 403: "forbidden: not the key that asked", 409: "export_not_ready: pending, denied or still producing", 410: "export_gone: downloaded already, or expired" },
  },
  { method: "get", path: "/v1/workspace/export-approval", tag: "Workspace", summary: "How many rows an export may have without an owner's approval", responses: { 200: "{export_approval_threshold}" } },
  {
    method: "put",
    path: "/v1/workspace/export-approval",
    tag: "Workspace",
    summary: "Lower the export-approval threshold: exports of more rows wait for an owner (0: every export); raising it is an owner's, on the dashboard",
    body: { schema: ThresholdInput, example: { export_approval_threshold: 500 } },
    responses: { 200: "{export_approval_threshold}", 403: "forbidden: a raise (details.missing approvals:write), or no settings:write" },
  },
];
