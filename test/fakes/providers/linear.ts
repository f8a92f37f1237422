/** Fake Linear: POST /graphql (errors in extensions.code, HTTP 400) and /oauth/token. */
import type { FakeProviderDef, FakeReply } from '../server.js';
import { bearerInfo, handleToken } from '../oauth.js';
import { str } from '../state.js';

const gqlError = (status: number, code: string, message: string, headers?: Record<string, string>): FakeReply => ({
  status,
  body: {
    errors: [
      { message, extensions: { code, type: code.toLowerCase().replace(/_/g, ' '), userPresentableMessage: message } },
    ],
    data: null,
  },
  ...(headers === undefined ? {} : { headers }),
});

export const linearFake: FakeProviderDef = {
  setup: (state) => {
    state.expiresIn = 86_399;
  },
  routes: [
    {
      name: 'graphql',
      method: 'POST',
      path: /^\/graphql$/,
      handle: (req, state) => {
        const info = bearerInfo(req, state);
        if (info === undefined)
          return gqlError(400, 'AUTHENTICATION_ERROR', 'Authentication required, not authenticated');
        const query = (req.json() as { query?: unknown } | undefined)?.query;
        if (typeof query !== 'string' || !query.includes('organization'))
          return gqlError(400, 'GRAPHQL_VALIDATION_FAILED', 'Bad query');
        return {
          status: 200,
          body: {
            data: {
              viewer: { id: str(info, 'user_id') },
              organization: { id: str(info, 'org_id'), name: str(info, 'org_name') },
            },
          },
          headers: { 'x-ratelimit-requests-remaining': '4999' },
        };
      },
    },
    {
      name: 'token',
      method: 'POST',
      path: /^\/oauth\/token$/,
      handle: (req, state) =>
        handleToken(req, state, { clientAuth: 'either', extra: (info) => ({ scope: str(info, 'scope') }) }),
    },
  ],
  error: (answer, _route, state) => {
    switch (answer) {
      case 'unauthorized':
        return gqlError(400, 'AUTHENTICATION_ERROR', 'Authentication required, not authenticated');
      case 'forbidden':
        return gqlError(400, 'FORBIDDEN', 'You do not have access to this resource');
      case 'not_found':
        return gqlError(400, 'ENTITY_NOT_FOUND', 'Entity not found');
      case 'rate_limited':
        // Linear: HTTP 400 with RATELIMITED and an epoch-milliseconds reset header.
        return gqlError(400, 'RATELIMITED', 'Rate limit exceeded', {
          'x-ratelimit-requests-remaining': '0',
          'x-ratelimit-requests-reset': String(Date.now() + state.retryAfterSeconds * 1000),
        });
      case 'server_error':
        return gqlError(500, 'INTERNAL_SERVER_ERROR', 'Internal server error');
    }
  },
};
