import { toJsonSchema } from "@valibot/to-json-schema";
import type * as v from "valibot";
import type { RouteDoc } from "./registry.js";
import { GRAPH } from "./routes-graph.js";
import { MEDIA } from "./routes-media.js";
import { V1_BOOK } from "./routes-book.js";
import { V1_CORE } from "./routes-v1.js";
import { V1_EXPORTS } from "./routes-exports.js";

export const ROUTE_DOCS: readonly RouteDoc[] = [...V1_CORE, ...V1_BOOK, ...V1_EXPORTS, ...GRAPH, ...MEDIA];

/**
 * JSON Schema 2020-12 (OpenAPI 3.1's dialect) of the handler's own schema. Refinements
 * JSON Schema cannot say (checks across fields, transforms) are left out, not guessed:
 * the route still applies them and answers 422 naming the field.
 */
function schemaOf(schema: v.GenericSchema): Record<string, unknown> {
  const { $schema: _, ...json } = toJsonSchema(schema, { target: "draft-2020-12", typeMode: "input", errorMode: "ignore" }) as Record<string, unknown>;
  return json;
}

const ERROR = {
  type: "object",
  required: ["error"],
  properties: {
    error: {
      type: "object",
      required: ["code", "message", "request_id"],
      properties: {
        code: { type: "string", examples: ["validation_failed"] },
        message: { type: "string" },
        details: { type: "array", items: { type: "object", properties: { field: { type: "string" }, message: { type: "string" } } } },
        request_id: { type: "string" },
      },
    },
  },
};

function operation(r: RouteDoc) {
  const params = [...r.path.matchAll(/\{(\w+)\}/g)].map((m) => ({ name: m[1], in: "path", required: true, schema: { type: "string" } }));
  for (const [name, description] of Object.entries(r.query ?? {})) params.push({ name, in: "query", required: false, description, schema: { type: "string" } } as never);
  const responses: Record<string, unknown> = {};
  for (const [status, description] of Object.entries(r.responses)) {
    const ok = Number(status) < 300;
    responses[status] = ok
      ? { description, ...(r.answer !== undefined && status === Object.keys(r.responses)[0] ? { content: { "application/json": { example: r.answer } } } : {}) }
      : { description, content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } } };
  }
  responses.default = { description: "An error in the one error shape", content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } } };
  const body = !r.body
    ? undefined
    : "csv" in r.body
      ? { required: true, content: { "text/csv": { schema: { type: "string" }, example: r.body.csv } } }
      : "multipart" in r.body
        ? { required: true, content: { "multipart/form-data": { schema: { type: "object", required: Object.keys(r.body.multipart), properties: Object.fromEntries(Object.entries(r.body.multipart).map(([k, d]) => [k, k === "file" ? { type: "string", contentMediaType: "application/octet-stream", description: d } : { type: "string", description: d }])) } } } }
        : { required: true, content: { "application/json": { schema: schemaOf(r.body.schema), example: r.body.example } } };
  return {
    operationId: `${r.method}${r.path.replace(/[{}]/g, "").replace(/[^A-Za-z0-9]+(.)?/g, (_, c: string | undefined) => (c ?? "").toUpperCase())}`,
    tags: [r.tag],
    summary: r.summary,
    ...(r.description ? { description: r.description } : {}),
    ...(params.length ? { parameters: params } : {}),
    ...(body ? { requestBody: body } : {}),
    responses,
    security: r.auth === "none" ? [] : r.path.startsWith("/v1/") ? [{ apiKey: [] }] : [{ apiKey: [] }, { accessToken: [] }],
  };
}

let built: Record<string, unknown> | undefined;

/** The OpenAPI 3.1 document of /v1 and the Graph-compatible routes, built once per process. */
export function openApiDocument(): Record<string, unknown> {
  if (built) return built;
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of ROUTE_DOCS) (paths[r.path] ??= {})[r.method] = operation(r);
  built = {
    openapi: "3.1.0",
    info: { title: "Sandesh API", version: "1", description: "Multi-tenant back end for WhatsApp Business messaging on Meta's Cloud API." },
    jsonSchemaDialect: "https://json-schema.org/draft/2020-12/schema",
    tags: [...new Set(ROUTE_DOCS.map((r) => r.tag))].map((name) => ({ name })),
    paths,
    components: {
      schemas: { Error: ERROR },
      securitySchemes: {
        apiKey: { type: "http", scheme: "bearer", description: "A workspace API key: Authorization: Bearer sk_…" },
        accessToken: { type: "apiKey", in: "query", name: "access_token", description: "Graph's form of the same key" },
      },
    },
  };
  return built;
}
