import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { DeletedSchema } from '../../credentials/schemas.js';
import {
  AttemptListSchema,
  CreateEndpointBody,
  EndpointListSchema,
  EndpointSchema,
  EndpointWithSecretSchema,
  ListDeliveriesQuery,
  ListEndpointsQuery,
  PatchEndpointBody,
  ReplayBody,
  ReplaySchema,
  TestSchema,
} from '../../webhooks/schemas.js';
import type { WebhookService } from '../../webhooks/service.js';
import { IdParams, authOf, commonErrors } from './common.js';

const tags = ['webhooks'];

export function webhookRoutes(app: FastifyInstance, webhooks: WebhookService): void {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.post('/v1/webhook-endpoints', {
    config: { scope: 'admin', secretAnswer: true },
    schema: {
      tags,
      summary: 'Create a webhook endpoint (its signing secret is shown only here)',
      body: CreateEndpointBody,
      response: { 201: EndpointWithSecretSchema, ...commonErrors },
    },
    handler: async (req, reply) => reply.code(201).send(await webhooks.create(authOf(req).accountId, req.body)),
  });

  r.get('/v1/webhook-endpoints', {
    config: { scope: 'admin' },
    schema: {
      tags,
      summary: 'List webhook endpoints, newest first',
      querystring: ListEndpointsQuery,
      response: { 200: EndpointListSchema, ...commonErrors },
    },
    handler: async (req) => webhooks.list(authOf(req).accountId, req.query.limit, req.query.cursor),
  });

  r.get('/v1/webhook-endpoints/:id', {
    config: { scope: 'admin' },
    schema: {
      tags,
      summary: 'Get a webhook endpoint',
      params: IdParams,
      response: { 200: EndpointSchema, ...commonErrors },
    },
    handler: async (req) => webhooks.get(authOf(req).accountId, req.params.id),
  });

  r.patch('/v1/webhook-endpoints/:id', {
    config: { scope: 'admin' },
    schema: {
      tags,
      summary: 'Change a webhook endpoint',
      params: IdParams,
      body: PatchEndpointBody,
      response: { 200: EndpointSchema, ...commonErrors },
    },
    handler: async (req) => webhooks.update(authOf(req).accountId, req.params.id, req.body),
  });

  r.delete('/v1/webhook-endpoints/:id', {
    config: { scope: 'admin' },
    schema: {
      tags,
      summary: 'Delete a webhook endpoint',
      params: IdParams,
      response: { 200: DeletedSchema, ...commonErrors },
    },
    handler: async (req) => webhooks.remove(authOf(req).accountId, req.params.id),
  });

  r.post('/v1/webhook-endpoints/:id/rotate-secret', {
    config: { scope: 'admin', secretAnswer: true },
    schema: {
      tags,
      summary: 'New signing secret (shown once); the old one also signs for 24 h',
      params: IdParams,
      response: { 200: EndpointWithSecretSchema, ...commonErrors },
    },
    handler: async (req) => webhooks.rotateSecret(authOf(req).accountId, req.params.id),
  });

  r.post('/v1/webhook-endpoints/:id/test', {
    config: { scope: 'admin' },
    schema: {
      tags,
      summary: 'Send a webhook_endpoint.test event to this endpoint now',
      params: IdParams,
      response: { 200: TestSchema, ...commonErrors },
    },
    handler: async (req) => webhooks.test(authOf(req).accountId, req.params.id),
  });

  r.get('/v1/webhook-endpoints/:id/deliveries', {
    config: { scope: 'admin' },
    schema: {
      tags,
      summary: 'Delivery attempts to this endpoint, newest first',
      params: IdParams,
      querystring: ListDeliveriesQuery,
      response: { 200: AttemptListSchema, ...commonErrors },
    },
    handler: async (req) => webhooks.deliveries(authOf(req).accountId, req.params.id, req.query),
  });

  r.post('/v1/webhook-endpoints/:id/replay', {
    config: { scope: 'admin' },
    schema: {
      tags,
      summary: 'Queue again every retained event since a time that matches the endpoint',
      params: IdParams,
      body: ReplayBody,
      response: { 200: ReplaySchema, ...commonErrors },
    },
    handler: async (req) => webhooks.replay(authOf(req).accountId, req.params.id, req.body.since),
  });
}
