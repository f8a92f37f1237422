import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { EventListSchema, EventSchema, ListEventsQuery } from '../../events/schemas.js';
import type { EventService } from '../../events/service.js';
import { IdParams, authOf, commonErrors } from './common.js';

const tags = ['events'];

export function eventRoutes(app: FastifyInstance, events: EventService): void {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get('/v1/events', {
    config: { scope: 'credentials:read' },
    schema: {
      tags,
      summary: 'List events: oldest first from `since`, newest first otherwise',
      querystring: ListEventsQuery,
      response: { 200: EventListSchema, ...commonErrors },
    },
    handler: async (req) => events.list(authOf(req).accountId, req.query),
  });

  r.get('/v1/events/:id', {
    config: { scope: 'credentials:read' },
    schema: { tags, summary: 'Get an event', params: IdParams, response: { 200: EventSchema, ...commonErrors } },
    handler: async (req) => events.get(authOf(req).accountId, req.params.id),
  });
}
