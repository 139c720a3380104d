import { Hono } from "hono";
import type { AppEnv } from "../env.js";
import { openApiDocument, ROUTE_DOCS } from "./document.js";
import { referencePage } from "./reference.js";
import { open } from "../middleware/permission.js";

/** GET /openapi.json and GET /docs: public, like any API reference. */
export function docsApp() {
  const app = new Hono<AppEnv>();
  app.get("/openapi.json", open("the API's public description"), (c) => c.json(openApiDocument()));
  app.get("/docs", open("the API's public reference"), (c) => c.html(referencePage(ROUTE_DOCS)));
  return app;
}
