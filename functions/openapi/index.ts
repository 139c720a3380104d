import { Hono } from "hono";
import type { AppEnv } from "../env.js";
import { openApiDocument, ROUTE_DOCS } from "./document.js";
import { referencePage } from "./reference.js";

/** GET /openapi.json and GET /docs: public, like any API reference. */
export function docsApp() {
  const app = new Hono<AppEnv>();
  app.get("/openapi.json", (c) => c.json(openApiDocument()));
  app.get("/docs", (c) => c.html(referencePage(ROUTE_DOCS)));
  return app;
}
