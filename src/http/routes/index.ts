import type { FastifyInstance } from 'fastify';
import type { AccountService } from '../../accounts/service.js';
import type { AuditService } from '../../audit/service.js';
import type { CredentialService } from '../../credentials/service.js';
import type { OAuthAppService } from '../../oauth-apps/service.js';
import { accountRoutes } from './accounts.js';
import { bulkRoutes } from './bulk.js';
import { credentialRoutes } from './credentials.js';
import { oauthAppRoutes } from './oauth-apps.js';
import { healthRoutes } from './health.js';
import { type ProxyEndpoint, type ProxyRouteDeps, proxyRoutes } from './proxy.js';
import type { HealthService } from '../../health/service.js';
import type { TokenService } from '../../tokens/service.js';
import type { EventService } from '../../events/service.js';
import type { WebhookService } from '../../webhooks/service.js';
import { eventRoutes } from './events.js';
import { webhookRoutes } from './webhooks.js';
import { type ConnectRouteDeps, connectRoutes } from './connect.js';
import type { Revoker } from '../../connect/revoke.js';
import { type KeyStatusService, keyRoutes } from './keys.js';

export interface Services {
  accounts: AccountService;
  audit: AuditService;
  credentials: CredentialService;
  oauthApps: OAuthAppService;
  health: HealthService;
  /** The token path: POST /v1/credentials/{id}/access-token. */
  tokens: TokenService;
  events: EventService;
  webhooks: WebhookService;
  connect: Omit<ConnectRouteDeps, 'accounts'>;
  revoke: Revoker;
  /** Master key status (GET /v1/keys, admin). */
  keys: KeyStatusService;
  /** The proxy routes (absent in apps built without one). */
  proxy?: ProxyRouteDeps;
}

/** The routes; `proxy` answers the proxy route (built by the app with its token check, edge.ts). */
export function registerRoutes(app: FastifyInstance, s: Services, proxy?: ProxyEndpoint): void {
  bulkRoutes(app, s.credentials, s.audit);
  credentialRoutes(app, s.credentials, s.revoke);
  oauthAppRoutes(app, s.oauthApps);
  accountRoutes(app, s.accounts);
  healthRoutes(app, s.health, s.tokens, s.credentials, s.audit);
  eventRoutes(app, s.events);
  webhookRoutes(app, s.webhooks);
  keyRoutes(app, s.keys);
  connectRoutes(app, { ...s.connect, accounts: s.accounts });
  if (proxy) proxyRoutes(app, proxy);
}
