/**
 * GET /v1/keys: which master key seals new secrets (the database's primary) and, per node seen
 * recently, the key ids it holds and its last heartbeat (docs/security.md "Key rotation"), so
 * an admin or the console can see whether `credvault keys promote` would be refused.
 * Key ids and times only: never key material. Read-only; promotion stays a CLI command.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { KeyStatusView } from '../../crypto/primary.js';
import { component } from '../openapi/registry.js';
import { commonErrors } from './common.js';

export interface KeyStatusService {
  status(): Promise<KeyStatusView>;
}

const NodeKeysSchema = component(
  'NodeKeys',
  z.object({
    node_id: z.string().describe('The node (host:pid:random), as it reports itself.'),
    kids: z.array(z.string()).describe('Key ids this node holds (can decrypt with).'),
    primary_kid: z.string().describe('The key id this node sealed with at its last heartbeat.'),
    heartbeat_at: z.string().describe('Last heartbeat (every 15 s while running).'),
    live: z.boolean().describe('Heartbeat within the last 90 s: counted when a promotion is checked.'),
  }),
);

const KeyStatusSchema = component(
  'KeyStatus',
  z.object({
    primary_kid: z
      .string()
      .nullable()
      .describe('The key id new secrets are sealed with (null before the first start).'),
    promoted_at: z.string().nullable(),
    nodes: z.array(NodeKeysSchema),
  }),
);

export function keyRoutes(app: FastifyInstance, keys: KeyStatusService): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get('/v1/keys', {
    config: { scope: 'admin' },
    schema: {
      tags: ['keys'],
      operationId: 'getKeyStatus',
      summary: 'Master key status: the primary key id and the key ids each node holds (admin)',
      response: { 200: KeyStatusSchema, ...commonErrors },
    },
    handler: () => keys.status(),
  });
}
