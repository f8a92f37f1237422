/** Fake HubSpot: /oauth/v3/token (refresh) and /oauth/v3/token/introspect. */
import type { FakeProviderDef } from '../server.js';
import { clientOf, handleToken } from '../oauth.js';
import { retryAfter } from '../oauth.js';

const BAD_REFRESH = {
  status: 400,
  body: {
    status: 'BAD_REFRESH_TOKEN',
    message: 'missing or invalid refresh token',
    correlationId: '4b5c1e2a-0000-4000-8000-000000000000',
  },
};

export const hubspotFake: FakeProviderDef = {
  setup: (state) => {
    state.rotate = false; // HubSpot documents no refresh-token rotation
    state.expiresIn = 1800;
  },
  routes: [
    {
      name: 'token',
      method: 'POST',
      path: /^\/oauth\/v3\/token$/,
      handle: (req, state) =>
        handleToken(req, state, {
          clientAuth: 'body',
          extra: (info) => ({ hub_id: info.hub_id, scopes: info.scopes }),
          invalidGrant: () => BAD_REFRESH,
          invalidClient: () => ({
            status: 400,
            body: { status: 'BAD_CLIENT_ID', message: 'missing or unknown client id' },
          }),
        }),
    },
    {
      name: 'introspect',
      method: 'POST',
      path: /^\/oauth\/v3\/token\/introspect$/,
      handle: (req, state) => {
        const form = req.form();
        if (clientOf(req, state, 'body', form) === undefined)
          return { status: 400, body: { status: 'BAD_CLIENT_ID', message: 'missing or unknown client id' } };
        const token = form.get('token') ?? '';
        const hint = form.get('token_type_hint');
        const info = hint === 'refresh_token' ? state.refreshTokens.get(token) : state.accessTokens.get(token);
        if (info === undefined) return { status: 200, body: { active: false } };
        return {
          status: 200,
          body: {
            active: true,
            token_use: hint === 'refresh_token' ? 'refresh_token' : 'access_token',
            hub_id: info.hub_id,
            user_id: info.user_id,
            user: info.user,
            hub_domain: info.hub_domain,
            scopes: info.scopes,
            client_id: form.get('client_id'),
            app_id: 123,
            expires_in: 1700,
            token_type: 'access',
          },
        };
      },
    },
  ],
  error: (answer, _route, state) => {
    switch (answer) {
      case 'unauthorized':
        return {
          status: 401,
          body: {
            status: 'error',
            message: 'Authentication credentials not found.',
            category: 'INVALID_AUTHENTICATION',
          },
        };
      case 'forbidden':
        return {
          status: 403,
          body: {
            status: 'error',
            message: "This app hasn't been granted all required scopes.",
            category: 'MISSING_SCOPES',
            errors: [
              { message: 'One or more of the following scopes are required.', context: { requiredScopes: ['oauth'] } },
            ],
          },
        };
      case 'not_found':
        return { status: 404, body: { status: 'error', message: 'Resource not found', category: 'OBJECT_NOT_FOUND' } };
      case 'rate_limited':
        return {
          status: 429,
          headers: retryAfter(state),
          body: {
            status: 'error',
            message: 'You have reached your ten_secondly_rolling limit.',
            category: 'RATE_LIMITS',
            policyName: 'TEN_SECONDLY_ROLLING',
          },
        };
      case 'server_error':
        return { status: 502, body: { status: 'error', message: 'Bad Gateway', category: 'INTERNAL_ERROR' } };
    }
  },
};
