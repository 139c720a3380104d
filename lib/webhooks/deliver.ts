import { and, eq, gt, isNull, or, sql } from "drizzle-orm";
import { webhookAttempts, webhookDeliveries, webhookEndpoints, webhookEndpointSecrets } from "../../db/schema/index.js";
import { withTenant } from "../../db/tenant.js";
import { recordAudit } from "../audit/record.js";
import type { Services } from "../context.js";
import { uuidv7 } from "../ids.js";
import { webhookRetryDelayS, type Attempt, type WebhookJob } from "../queue/port.js";
import { openSecrets } from "./endpoints.js";
import { hubSignature, isMetaBody } from "./meta-format.js";
import { signedHeaders } from "./signing.js";
import { AddressRefused, fetchPost } from "./transport.js";
import { checkEndpointUrl } from "./url.js";
import { circuitAllows, recordCircuit } from "./circuit.js";

export type DeliveryOutcome =
  | { kind: "delivered"; status: number }
  /** The next attempt is queued, `inSeconds` from now. */
  | { kind: "scheduled"; reason: string; inSeconds: number }
  /** The endpoint's circuit is open: this same attempt waits `inSeconds`, nothing was sent. */
  | { kind: "postponed"; reason: string; inSeconds: number }
  /** The attempt itself must run again (its successor could not be queued). */
  | { kind: "retry"; reason: string }
  | { kind: "failed"; reason: string }
  | { kind: "skipped"; reason: string };

export const DELIVERY_TIMEOUT_MS = 10_000;
/** An endpoint that has failed every attempt for this long is disabled, and says why. */
export const DISABLE_AFTER_MS = 3 * 24 * 3600_000;
const USER_AGENT = "Sandesh-Webhooks/1";

interface Result {
  statusCode: number | null;
  durationMs: number;
  responseBody: string | null;
  error: string | null;
}

const TIMED_OUT = `no answer within ${DELIVERY_TIMEOUT_MS / 1000} s`;

const describeError = (err: unknown): string => {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string }; code?: string };
  if (e.name === "TimeoutError" || e.name === "AbortError") return TIMED_OUT;
  return (e.cause?.code ?? e.code ?? e.cause?.message ?? e.message ?? "request failed").slice(0, 200);
};

/**
 * What the tenant sees when no answer came: one phrase and no duration, whatever the
 * cause. Refused, reset, timed out, no DNS, or an address refused as not public would
 * otherwise tell closed ports from silent ones and internal names from absent ones,
 * turning an endpoint URL into a scanner of our network. The cause goes to our log.
 */
export const CONNECTION_FAILED = "connection failed: the endpoint could not be reached or did not answer in time";

/** One POST through the runtime's transport; redirects are never followed. */
async function post(s: Services, url: URL, headers: Record<string, string>, body: string): Promise<Result & { cause?: string }> {
  const started = performance.now();
  try {
    const answer = await (s.webhookPost ?? fetchPost)(url, headers, body, DELIVERY_TIMEOUT_MS);
    // An answer from an address we did not check (the Worker's fetch) might come from
    // inside a network: in production its body is not shown back.
    const keep = answer.verifiedPublic || s.config.env !== "production";
    return { statusCode: answer.status, durationMs: Math.round(performance.now() - started), responseBody: keep ? answer.head : null, error: null };
  } catch (err) {
    return { statusCode: null, durationMs: 0, responseBody: null, error: CONNECTION_FAILED, cause: err instanceof AddressRefused ? "address not public" : describeError(err) };
  }
}

/** A batch as the local queue hands it over: deliveries go out in parallel. */
export async function runWebhookBatch(s: Services, items: { job: WebhookJob; attempt: Attempt }[]): Promise<DeliveryOutcome[]> {
  return Promise.all(items.map(({ job, attempt }) => runWebhookAttempt(s, job, attempt)));
}

/**
 * One attempt, and on failure the next one queued after the schedule's delay
 * (WEBHOOK_RETRY_DELAYS_S), on whichever queue runs it. If that cannot be queued the
 * answer is `retry`: the queue runs this attempt again rather than lose the delivery.
 */
export async function runWebhookAttempt(s: Services, job: WebhookJob, attempt: Attempt): Promise<DeliveryOutcome> {
  const outcome = await deliverWebhook(s, job, attempt);
  if (outcome.kind === "postponed") {
    try {
      await s.queue.enqueueWebhook({ ...job, postponed: (job.postponed ?? 0) + 1 }, { delaySeconds: outcome.inSeconds });
    } catch (err) {
      s.logger.error("could not postpone a webhook attempt", { delivery_id: job.deliveryId, error: err });
      return { kind: "retry", reason: outcome.reason };
    }
    return outcome;
  }
  if (outcome.kind !== "retry") return outcome;
  const inSeconds = webhookRetryDelayS(attempt.retried);
  try {
    await s.queue.enqueueWebhook({ deliveryId: job.deliveryId, workspaceId: job.workspaceId, retried: attempt.retried + 1 }, { delaySeconds: inSeconds });
  } catch (err) {
    s.logger.error("could not queue the next webhook attempt", { delivery_id: job.deliveryId, error: err });
    return outcome;
  }
  return { kind: "scheduled", reason: outcome.reason, inSeconds };
}

/**
 * One attempt at one delivery, whichever transport runs it. A 2xx ends it; anything
 * else is recorded and handed back for a retry (runWebhookAttempt), until the last attempt
 * or until the endpoint has failed for DISABLE_AFTER_MS, when it is disabled.
 * The secrets are opened for this attempt only and never leave this function.
 */
export async function deliverWebhook(s: Services, job: WebhookJob, attempt: Attempt): Promise<DeliveryOutcome> {
  const now = s.clock.now();
  const loaded = await withTenant(s.db, job.workspaceId, async (tx) => {
    const [row] = await tx
      .select({ delivery: webhookDeliveries, endpoint: webhookEndpoints })
      .from(webhookDeliveries)
      .innerJoin(webhookEndpoints, eq(webhookEndpoints.id, webhookDeliveries.endpointId))
      .where(eq(webhookDeliveries.id, job.deliveryId));
    if (!row) return null;
    const secrets = await tx
      .select()
      .from(webhookEndpointSecrets)
      .where(and(eq(webhookEndpointSecrets.endpointId, row.endpoint.id), or(isNull(webhookEndpointSecrets.expiresAt), gt(webhookEndpointSecrets.expiresAt, now))));
    return { ...row, secrets };
  });
  if (!loaded) return { kind: "skipped", reason: "the delivery or its endpoint no longer exists" };
  const { delivery, endpoint } = loaded;
  if (delivery.status === "delivered" || delivery.status === "failed") return { kind: "skipped", reason: `already ${delivery.status}` };
  if (!endpoint.enabled) {
    await withTenant(s.db, job.workspaceId, (tx) => tx.update(webhookDeliveries).set({ status: "failed" }).where(eq(webhookDeliveries.id, delivery.id)));
    return { kind: "failed", reason: "the endpoint is disabled" };
  }

  const verdict = checkEndpointUrl(endpoint.url, s.config.env);
  let result: Result & { cause?: string };
  if (!verdict.ok) {
    result = { statusCode: null, durationMs: 0, responseBody: null, error: `URL refused: ${verdict.message}` };
  } else {
    // The last attempt always goes: a delivery is never failed without being tried.
    const circuit = attempt.retried >= attempt.maxRetries ? ({ ok: true } as const) : await circuitAllows(s, job.workspaceId, endpoint.id);
    if (!circuit.ok) {
      // Spread the waiting deliveries, so they do not all wake for the same probe.
      const inSeconds = Math.ceil((circuit.waitMs * (1 + Math.random() / 5)) / 1000);
      s.logger.info("webhook attempt postponed: the endpoint's circuit is open", { delivery_id: delivery.id, endpoint_id: endpoint.id, workspace_id: job.workspaceId, in_seconds: inSeconds });
      return { kind: "postponed", reason: "the endpoint keeps timing out; its circuit is open", inSeconds };
    }
    const secrets = await openSecrets(s, loaded.secrets);
    // Signed as the body was shaped when it was recorded, so deliveries waiting through a
    // change of the endpoint's format still verify. Meta's header holds one signature: the
    // newest secret's (a rotation switches at once).
    const signed = isMetaBody(delivery.body) ? { "x-hub-signature-256": await hubSignature(secrets[0]!, delivery.body) } : await signedHeaders(secrets, delivery.id, now, delivery.body);
    result = await post(s, verdict.url, { "content-type": "application/json", "user-agent": USER_AGENT, ...signed }, delivery.body);
    const seen = result.statusCode !== null ? "answered" : result.cause === TIMED_OUT ? "timeout" : null;
    if (seen) await recordCircuit(s, job.workspaceId, endpoint.id, seen).catch((err: unknown) => s.logger.warn("could not record a webhook circuit", { error: err }));
  }
  const ok = result.statusCode !== null && result.statusCode >= 200 && result.statusCode < 300;
  const failingSince = ok ? null : (endpoint.failingSince ?? now);
  const disable = !ok && now.getTime() - failingSince!.getTime() >= DISABLE_AFTER_MS;
  const last = !ok && (attempt.retried >= attempt.maxRetries || disable || !verdict.ok);
  const status = ok ? "delivered" : last ? "failed" : "retrying";
  const outcome = result.error ?? `HTTP ${result.statusCode}`;
  const reason = disable
    ? `Disabled automatically: every delivery has failed since ${failingSince!.toISOString()} (more than ${DISABLE_AFTER_MS / 3600_000} hours); the last one got ${outcome}`
    : null;

  await withTenant(s.db, job.workspaceId, async (tx) => {
    const [d] = await tx
      .update(webhookDeliveries)
      .set({ status, attempts: sql`${webhookDeliveries.attempts} + 1`, lastAttemptAt: now })
      .where(eq(webhookDeliveries.id, delivery.id))
      .returning({ attempts: webhookDeliveries.attempts });
    const { cause: _cause, ...recorded } = result;
    await tx.insert(webhookAttempts).values({ id: uuidv7(now.getTime()), workspaceId: job.workspaceId, endpointId: endpoint.id, deliveryId: delivery.id, attempt: d!.attempts, attemptedAt: now, ...recorded });
    await tx
      .update(webhookEndpoints)
      .set({ failingSince, ...(reason ? { enabled: false, disabledReason: reason, updatedAt: now } : {}) })
      .where(eq(webhookEndpoints.id, endpoint.id));
    if (reason) await recordAudit(tx, { workspaceId: job.workspaceId, actorType: "system", action: "webhook_endpoint.disabled", objectType: "webhook_endpoint", objectId: endpoint.id, details: { reason } });
  });
  const fields = { delivery_id: delivery.id, endpoint_id: endpoint.id, workspace_id: job.workspaceId, attempt: attempt.retried + 1, status: result.statusCode, ms: result.durationMs };
  if (ok) {
    s.logger.info("webhook delivered", fields);
    return { kind: "delivered", status: result.statusCode! };
  }
  s.logger.warn("webhook attempt failed", { ...fields, error: result.cause ?? result.error, final: last });
  if (reason) {
    s.caches.webhookEndpoints.delete(job.workspaceId);
    s.logger.warn("webhook endpoint disabled", { endpoint_id: endpoint.id, workspace_id: job.workspaceId, reason });
  }
  return last ? { kind: "failed", reason: outcome } : { kind: "retry", reason: outcome };
}
