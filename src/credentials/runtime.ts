import type { AuditService } from '../audit/service.js';
import type { Config } from '../config.js';
import { eventWriter } from '../events/outbox.js';
import { type Lookup, vetTenantHosts } from '../net/tenant.js';
import type { Db } from '../store/db.js';
import type { CredentialServiceDeps } from './prepare.js';
import { createCredentialRepository } from './repository/index.js';
import { createCredentialService } from './service.js';

export interface CredentialRuntimeDeps extends Pick<
  CredentialServiceDeps,
  | 'repo'
  | 'oauthApps'
  | 'box'
  | 'clock'
  | 'fingerprint'
  | 'resolveKind'
  | 'identifyAtImport'
  | 'afterImport'
  | 'afterRemove'
> {
  db: Db;
  audit: AuditService;
  /** DNS that vets tenant hosts at import (net/tenant.ts). */
  lookup: Lookup;
  config: Pick<Config, 'providerHosts' | 'providerUrls'>;
}

/**
 * The credential service on one node: tenant hosts vetted at import (a provider whose URL is
 * overridden by CREDVAULT_PROVIDER_URL_<P> is not), and each write path's transaction with the
 * repository, the audit log and the outbox bound to it (docs/architecture.md "Storage").
 */
export function createCredentialRuntime(d: CredentialRuntimeDeps) {
  const { db, audit, lookup, config, ...deps } = d;
  return createCredentialService({
    ...deps,
    providerHosts: config.providerHosts,
    vetProperties: (kindSpec, props) =>
      vetTenantHosts(kindSpec, props, lookup, config.providerUrls[kindSpec.provider] !== undefined),
    transaction: (fn) =>
      db.transaction().execute((trx) =>
        fn({
          repo: createCredentialRepository(trx),
          audit: { record: (entry) => audit.record(entry, trx) },
          events: eventWriter(trx, deps.clock),
        }),
      ),
  });
}
