import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { SecretBox } from '../crypto/secret-box.js';
import type { Clock } from '../lib/clock.js';
import { vetOutboundUrl } from '../net/outbound.js';
import { type Lookup, systemLookup } from '../net/tenant.js';
import type { OutboundHttp } from '../net/types.js';
import type { Db } from '../store/db.js';
import { createWebhookHttp } from './http.js';
import { createWebhookService } from './service.js';
import { createDeliveryWorker } from './worker.js';

export interface WebhookRuntimeDeps {
  db: Db;
  box: SecretBox;
  clock: Clock;
  log: Logger;
  nodeId: string;
  config: Pick<Config, 'webhookAllowedOrigins' | 'webhookLeaseSeconds' | 'webhookConcurrency'>;
  /** DNS answers (tests); otherwise the system's. */
  lookup?: Lookup;
  /** Replaces the delivery client (tests). */
  http?: OutboundHttp;
}

/**
 * Webhooks on one node (docs/events.md): the delivery client, the delivery worker and the
 * endpoint service, which wakes the worker when it queues deliveries. Nothing starts here: the
 * composition root (src/main.ts) starts and stops the worker and closes the client's pool.
 */
export function createWebhookRuntime(d: WebhookRuntimeDeps) {
  // Deliveries go over kept connections (the proxy's pool, net/pool.ts, with every outbound check).
  const http = createWebhookHttp({
    allowedOrigins: d.config.webhookAllowedOrigins,
    ...(d.lookup ? { lookup: d.lookup } : {}),
  });
  const deliveries = createDeliveryWorker({
    db: d.db,
    box: d.box,
    clock: d.clock,
    log: d.log,
    http: d.http ?? http,
    nodeId: d.nodeId,
    leaseMs: d.config.webhookLeaseSeconds * 1000,
    perEndpoint: d.config.webhookConcurrency,
    timeoutMs: Math.min(15_000, d.config.webhookLeaseSeconds * 1000),
  });
  const webhooks = createWebhookService({
    db: d.db,
    box: d.box,
    clock: d.clock,
    vetUrl: (url) =>
      vetOutboundUrl(url, { allowedOrigins: d.config.webhookAllowedOrigins, lookup: d.lookup ?? systemLookup() }),
    wake: () => deliveries.wake(),
  });
  return { webhooks, deliveries, http };
}
