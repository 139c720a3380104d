import { Hono } from "hono";
import { AppError } from "../lib/errors.js";
import { apiApp } from "./api/index.js";
import { dashboardApp } from "./app/index.js";
import { graphApp } from "./graph/index.js";
import type { AppEnv } from "./env.js";
import { health } from "./health.js";
import { jobsApp } from "./jobs/index.js";
import { metaApp } from "./meta/index.js";
import { docsApp } from "./openapi/index.js";
import { accessLog } from "./middleware/access-log.js";
import { renderError } from "./middleware/errors.js";
import { requestId } from "./middleware/request-id.js";
import { limitBody, securityHeaders } from "./middleware/security.js";

/**
 * The whole HTTP surface, one Hono app composed of one small app per caller. The
 * Worker and the Node process both serve exactly this; they differ only in how they
 * build the services binding.
 */
export function buildApp() {
  const app = new Hono<AppEnv>();
  app.use("*", requestId);
  app.use("*", accessLog);
  app.use("*", securityHeaders);
  app.use("*", limitBody);
  app.route("/", health);
  app.route("/v1", apiApp());
  app.route("/app", dashboardApp());
  app.route("/jobs", jobsApp() as never);
  app.route("/webhooks/meta", metaApp());
  app.route("/", docsApp());
  app.route("/", graphApp());
  app.notFound((c) => renderError(new AppError(404, "not_found", `No route for ${c.req.method} ${c.req.path}`), c));
  app.onError(renderError);
  return app;
}

export type App = ReturnType<typeof buildApp>;
