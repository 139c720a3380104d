import { serve } from "@hono/node-server";
import { Hono } from "hono";

/** The baseline: the smallest Hono app, served the same way as Sandesh. */
const app = new Hono().post("/", (c) => c.json({ ok: true })).get("/", (c) => c.json({ ok: true }));
serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }, (info) => console.log(`READY ${info.port}`));
