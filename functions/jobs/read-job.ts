import type { Context } from "hono";
import * as v from "valibot";
import { AppError } from "../../lib/errors.js";
import type { Attempt } from "../../lib/queue/port.js";
import type { JobsEnv } from "./verify.js";

/**
 * The verified body as a job of the route's shape, and which attempt this is. The
 * retry budget travels in the signed body (the QStash adapter puts it there), so the
 * job knows its last attempt. A signed but malformed job will never succeed: 489 with
 * Upstash-NonRetryable-Error tells QStash not to retry it.
 */
export function readJob<T extends { maxRetries?: number | undefined }>(
  c: Context<JobsEnv>,
  schema: v.GenericSchema<unknown, T>,
  what: string,
  defaultRetries: number,
): { job: Omit<T, "maxRetries">; attempt: Attempt } {
  let body: unknown = null;
  try {
    body = JSON.parse(c.get("rawBody"));
  } catch {
    // not JSON: refused below like any other malformed job
  }
  const parsed = v.safeParse(schema, body);
  if (!parsed.success) {
    c.header("Upstash-NonRetryable-Error", "true");
    throw new AppError(489, "invalid_job", `The job body is not ${what}`);
  }
  const { maxRetries, ...job } = parsed.output;
  const retried = Number(c.req.header("upstash-retried") ?? "0");
  return { job, attempt: { retried: Number.isFinite(retried) ? retried : 0, maxRetries: maxRetries ?? defaultRetries } };
}
