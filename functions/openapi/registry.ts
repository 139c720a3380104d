import type * as v from "valibot";

/**
 * What the OpenAPI document says of one route. The request body is the valibot schema
 * the handler parses with, so the document cannot drift from what the route accepts;
 * test/openapi.test.ts holds every registered route to an entry here, and every example
 * to its schema.
 */
export interface RouteDoc {
  method: "get" | "post" | "put" | "patch" | "delete";
  /** OpenAPI's form: /v1/messages/{id}. Path parameters are the names in braces. */
  path: string;
  tag: string;
  summary: string;
  description?: string;
  /** Graph routes take the API key as Graph's access token; the rest as a bearer key. */
  auth?: "apiKey" | "none";
  /** Query parameters: name → what it does (all optional). */
  query?: Record<string, string>;
  body?: { schema: v.GenericSchema; example: unknown } | { csv: string } | { multipart: Record<string, string> };
  /** Status → what the answer holds. Errors not listed use the one error shape. */
  responses: Record<number, string>;
  /** A successful answer, for the reference page. */
  answer?: unknown;
}

export const page = { cursor: "the `next_cursor` of the previous page", limit: "1 to 100, default 20" };
