import { Validator } from "@seriousme/openapi-schema-validator";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import * as v from "valibot";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiApp } from "../functions/api/index.js";
import { graphApp } from "../functions/graph/index.js";
import { openApiDocument, ROUTE_DOCS } from "../functions/openapi/document.js";
import { createTestStack, type TestStack } from "./support/stack.js";

let stack: TestStack;
beforeAll(async () => {
  stack = await createTestStack();
});
afterAll(async () => {
  await stack?.close();
});

/** Hono's `/messages/:id` and `/:version{v…}` in OpenAPI's form. */
const openApiPath = (prefix: string, path: string) => prefix + path.replace(/:(\w+)(\{[^}]*\})?/g, "{$1}");
const registered = () =>
  [
    ...apiApp().routes.map((r) => ({ ...r, path: openApiPath("/v1", r.path) })),
    ...graphApp().routes.map((r) => ({ ...r, path: openApiPath("", r.path) })),
  ]
    .filter((r) => r.method !== "ALL")
    .map((r) => `${r.method.toLowerCase()} ${r.path}`);
/** A JSON Schema 2020-12 validator that checks formats (date-time, uri …) too. */
const jsonSchemaValidator = (): Ajv2020 => {
  const ajv = new Ajv2020({ strict: false });
  (addFormats as unknown as (a: Ajv2020) => void)(ajv);
  return ajv;
};
const doc = openApiDocument() as { paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: object; example: unknown }> } }>> };

describe("the OpenAPI document", () => {
  it("describes every route registered on /v1 and the Graph-compatible surface, and no other", () => {
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m} ${path}`));
    const routes = registered();
    expect(routes.length).toBeGreaterThan(30);
    // A route listed here needs its entry in functions/openapi/routes-*.ts.
    expect(routes.filter((r) => !documented.includes(r)), "routes without an entry in functions/openapi/routes-*.ts").toEqual([]);
    expect(documented.filter((d) => !routes.includes(d))).toEqual([]);
  });

  it("each request example is accepted by the valibot schema the handler parses with, and by the JSON Schema made from it", () => {
    const ajv = jsonSchemaValidator();
    let checked = 0;
    for (const r of ROUTE_DOCS) {
      if (!r.body || !("schema" in r.body)) continue;
      const parsed = v.safeParse(r.body.schema, r.body.example);
      expect(parsed.issues?.map((i) => `${r.method} ${r.path}: ${i.message}`) ?? []).toEqual([]);
      const json = doc.paths[r.path]![r.method]!.requestBody!.content["application/json"]!;
      expect(ajv.validate(json.schema, json.example), `${r.method} ${r.path}: ${ajv.errorsText()}`).toBe(true);
      checked++;
    }
    expect(checked).toBeGreaterThanOrEqual(8);
  });

  it("a body the handler refuses is refused by the generated schema too (it is the handler's schema, not a copy)", () => {
    const ajv = jsonSchemaValidator();
    const schema = doc.paths["/v1/webhook-endpoints"]!.post!.requestBody!.content["application/json"]!.schema;
    expect(ajv.validate(schema, { url: "https://hooks.example.com/x", format: "facebook" })).toBe(false);
    expect(ajv.validate(schema, { url: "https://hooks.example.com/x", unknown: 1 })).toBe(false);
    expect(ajv.validate(schema, { url: "https://hooks.example.com/x", format: "meta" })).toBe(true);
  });

  it("is a valid OpenAPI 3.1 document", async () => {
    const result = await new Validator().validate(openApiDocument() as never);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(openApiDocument().openapi).toBe("3.1.0");
  });

  it("is served at /openapi.json, with a browsable reference at /docs, without an API key", async () => {
    const res = await stack.request("/openapi.json");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    expect(await res.json()).toEqual(JSON.parse(JSON.stringify(openApiDocument())));
    const page = await stack.request("/docs");
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toMatch(/^text\/html/);
    const html = await page.text();
    for (const r of ROUTE_DOCS) expect(html).toContain(`${r.method.toUpperCase()} ${r.path}`);
    expect(html).not.toMatch(/<script|<link|<img|\ssrc=/i); // nothing loaded from anywhere
  });
});
