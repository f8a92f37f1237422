import type { Logger } from 'pino';
import type { AuditService } from '../audit/service.js';
import type { Config } from '../config.js';
import type { CredentialService } from '../credentials/service.js';
import type { SecretBox } from '../crypto/secret-box.js';
import type { Clock } from '../lib/clock.js';
import type { OAuthAppService } from '../oauth-apps/service.js';
import type { KindSpec } from '../providers/types.js';
import type { Db } from '../store/db.js';
import { type FlowDeps, createConnectFlow } from './flow.js';
import { createConnectRepository } from './repository.js';
import { type RevokerDeps, createRevoker } from './revoke.js';
import { createConnectService } from './service.js';

export interface ConnectRuntimeDeps {
  db: Db;
  oauthApps: OAuthAppService;
  credentials: CredentialService;
  audit: AuditService;
  box: SecretBox;
  clock: Clock;
  log: Logger;
  spec(kind: string): KindSpec | undefined;
  /** What health work lends Connect: the provider modules and their context, a just-proven credential's health, a credential with its secrets opened (revoke on delete). */
  health: Pick<FlowDeps, 'modules' | 'context' | 'provenHealth'> & { plainCredential: RevokerDeps['plain'] };
  config: Pick<Config, 'publicUrl' | 'connectRedirectUrls' | 'providerUrls'>;
}

/**
 * Connect on one node (Connect spec): the API side (sessions, start links), the browser side
 * (the link, the provider callback, the key form) on one sessions repository, and revoke on delete.
 */
export function createConnectRuntime(d: ConnectRuntimeDeps) {
  const repo = createConnectRepository(d.db);
  const connect = createConnectService({
    repo,
    oauthApps: d.oauthApps,
    credentials: d.credentials,
    audit: d.audit,
    clock: d.clock,
    resolveKind: d.spec,
    publicUrl: d.config.publicUrl,
    redirectUrls: d.config.connectRedirectUrls,
  });
  const connectFlow = createConnectFlow({
    repo,
    oauthApps: d.oauthApps,
    credentials: d.credentials,
    audit: d.audit,
    box: d.box,
    clock: d.clock,
    log: d.log,
    spec: d.spec,
    modules: d.health.modules,
    context: d.health.context,
    providerUrls: d.config.providerUrls,
    publicUrl: d.config.publicUrl,
    provenHealth: d.health.provenHealth,
  });
  const revoke = createRevoker({
    plain: d.health.plainCredential,
    modules: d.health.modules,
    context: d.health.context,
    providerUrls: d.config.providerUrls,
    credentials: d.credentials,
  });
  return { connect, connectFlow, revoke };
}
