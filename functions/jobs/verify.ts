import { Receiver } from "@upstash/qstash";
import type { MiddlewareHandler } from "hono";
import { unauthorized } from "../../lib/errors.js";
import type { AppEnv } from "../env.js";

type JobsEnv = AppEnv & { Variables: { rawBody: string } };

/**
 * QStash signs every delivery (a JWT over the body's SHA-256, for this exact URL).
 * Nothing of a job is read or acted on before the signature checks out, with the
 * current key or, during rotation, the next one.
 */
export const verifyQStash: MiddlewareHandler<JobsEnv> = async (c, next) => {
  const q = c.env.services.config.qstash;
  const signature = c.req.header("upstash-signature");
  if (!q || !signature) throw unauthorized("Job callbacks must carry a valid Upstash-Signature");
  const body = await c.req.text();
  // devMode off explicitly: the library would otherwise honour QSTASH_DEV from the
  // environment and accept signatures made with its public development keys.
  const receiver = new Receiver({ currentSigningKey: q.currentSigningKey, nextSigningKey: q.nextSigningKey, devMode: false });
  const ok = await receiver.verify({ signature, body, url: `${c.env.services.config.publicUrl}${c.req.path}` }).catch(() => false);
  if (!ok) throw unauthorized("The Upstash-Signature does not verify");
  c.set("rawBody", body);
  await next();
};

export type { JobsEnv };
