import type { Context } from "hono";
import type { AppEnv } from "../env.js";

/** The streamed upload's inputs, as both the /v1 and the Graph route hand them on. */
export const uploadFrom = (c: Context<AppEnv>) => {
  const length = c.req.header("content-length");
  return { contentType: c.req.header("content-type"), contentLength: length === undefined ? undefined : Number(length), body: c.req.raw.body };
};
