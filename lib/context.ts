import type { MetaPost } from "./meta/client.js";
import type { Db } from "../db/client.js";
import type { Clock } from "./clock.js";
import type { Config } from "./config.js";
import type { Logger } from "./logger.js";
import type { RedisPort } from "./redis/port.js";
import type { Vault } from "./vault/vault.js";
import type { CachedAllowlist } from "./network/allowlist.js";
import type { TtlCache } from "./cache.js";
import type { ApiKeyAuth } from "./apikeys/auth.js";
import type { SenderSet } from "./messages/sender.js";
import type { NumberOwner } from "./ingest/owner.js";
import type { QueuePort } from "./queue/port.js";
import type { MessageWriter } from "./messages/writer.js";
import type { StatusWriter } from "./ingest/status-writer.js";
import type { MarkWriter } from "./jobs/mark-writer.js";
import type { EndpointRoute } from "./webhooks/emit.js";
import type { WebhookPost } from "./webhooks/transport.js";
import type { OidcCache } from "./oidc/cache.js";
import type { AccessWriter } from "./access/writer.js";

/**
 * Everything a handler or a job needs, built by the entry point from validated
 * config. The Node process builds it once; the Worker builds the database part per
 * request (a Worker cannot share a socket across requests). Tests build their own.
 */
export interface Services {
  config: Config;
  db: Db;
  /**
   * Connections of their own for the reads a send request waits on (its key, its sender,
   * its pre-flight), so Meta's status webhooks, the send jobs and the sweeps, which share
   * `db`, never queue an accept behind them. `db` when absent (a Worker's request).
   */
  requestDb?: Db;
  /**
   * Connections of their own for the runs that write in pages (a broadcast's audience),
   * so a page never waits for a connection the send jobs hold: with 16 send workers on
   * `db`, a page waited about 100 ms for one, a third of its time. `db` when absent.
   */
  bulkDb?: Db;
  redis: RedisPort;
  vault: Vault;
  clock: Clock;
  logger: Logger;
  /** Per process (per isolate in a Worker): only facts made safe by a check elsewhere. */
  caches: {
    apiKeys: TtlCache<ApiKeyAuth>;
    senders: TtlCache<SenderSet>;
    numbersByPhoneId: TtlCache<NumberOwner | null>;
    /** Enabled webhook endpoints per workspace; changes in this process invalidate at once. */
    webhookEndpoints: TtlCache<EndpointRoute[]>;
    /** Hashes of keys the database did not know, briefly: a guessing loop costs no queries. */
    unknownKeys: TtlCache<"unknown" | "revoked">;
    /** Look-ups of keys in flight, by hash: concurrent requests with one cold key share one. */
    keyLookups: TtlCache<Promise<ApiKeyAuth>>;
    /** "number:contact" → until when its customer-service window is known to be open (ms). */
    openWindows: TtlCache<number>;
    /** Workspace → its IP allow-list as read under a Redis stamp (lib/network/allowlist.ts). */
    allowlists: TtlCache<CachedAllowlist>;
    /** Google sign-in: discovery documents and the issuer's key sets (rotated keys picked up). */
    oidc: OidcCache;
  };
  queue: QueuePort;
  /** How the send job POSTs to the Graph API; fetch unless the runtime has a leaner way. */
  metaPost?: MetaPost;
  /** How webhook attempts go out; fetch unless the runtime can resolve and pin addresses (Node). */
  webhookPost?: WebhookPost;
  /** Group commit of accepted messages (lib/messages/writer.ts). */
  messageWriter: MessageWriter;
  /**
   * Group commit of Meta's status webhooks (lib/ingest/status-writer.ts), in a long-lived
   * process. Absent (a Worker's request, one call per invocation): each call is its own transaction.
   */
  statusWriter?: StatusWriter;
  /**
   * Group commit of the send job's posting marks (lib/jobs/mark-writer.ts), in a long-lived
   * process. Absent (a Worker's invocation): each batch commits its own marks.
   */
  markWriter?: MarkWriter;
  /**
   * Group commit of read records (lib/access/writer.ts), in a long-lived process. Absent
   * (a Worker's request): each read's record is one insert of its own.
   */
  accessWriter?: AccessWriter;
}
