/** Fake Workday tenant: /ccx/oauth2/:tenant/token (Basic) and Common v1 workers. */
import type { FakeProviderDef, FakeReply } from '../server.js';
import { bearerInfo, handleToken, retryAfter } from '../oauth.js';
import { str } from '../state.js';

const err = (status: number, error: string, headers?: Record<string, string>): FakeReply => ({
  status,
  body: { error, errors: [{ error }] },
  ...(headers === undefined ? {} : { headers }),
});

export const workdayFake: FakeProviderDef = {
  setup: (state) => {
    state.rotate = false; // non-expiring refresh tokens, no rotation
  },
  routes: [
    {
      name: 'token',
      method: 'POST',
      path: /^\/ccx\/oauth2\/([^/]+)\/token$/,
      handle: (req, state, [tenant]) => {
        const known = [...state.refreshTokens.values()].some((i) => str(i, 'tenant') === tenant);
        if (!known && state.refreshTokens.size > 0) return err(404, 'Invalid tenant');
        return handleToken(req, state, {
          clientAuth: 'basic',
          invalidGrant: () => ({
            status: 400,
            body: { error: 'invalid_grant', error_description: 'Invalid refresh token' },
          }),
        });
      },
    },
    {
      name: 'workers',
      method: 'GET',
      path: /^\/ccx\/api\/common\/v1\/([^/]+)\/workers$/,
      handle: (req, state, [tenant]) => {
        const info = bearerInfo(req, state);
        if (info === undefined) return err(401, 'invalid access token');
        if (str(info, 'tenant') !== tenant) return err(401, 'invalid access token');
        return { status: 200, body: { total: 1, data: [{ id: str(info, 'worker_id'), descriptor: 'Logan McNeil' }] } };
      },
    },
  ],
  error: (answer, route, state) => {
    switch (answer) {
      case 'unauthorized':
        return route === 'token' ? { status: 400, body: { error: 'invalid_grant' } } : err(401, 'invalid access token');
      case 'forbidden':
        return err(403, 'The task submitted is not authorized.');
      case 'not_found':
        return err(404, 'Resource not found');
      case 'rate_limited':
        return err(429, 'Too many requests', retryAfter(state));
      case 'server_error':
        return err(503, 'Service Unavailable');
    }
  },
};
