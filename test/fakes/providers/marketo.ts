/** Fake Marketo identity service: /identity/oauth/token, client credentials. */
import type { FakeProviderDef } from '../server.js';
import { handleToken, retryAfter } from '../oauth.js';
import { str } from '../state.js';

export const marketoFake: FakeProviderDef = {
  setup: (state) => {
    state.expiresIn = 3599;
  },
  routes: [
    {
      name: 'token',
      method: 'POST',
      path: /^\/identity\/oauth\/token$/,
      handle: (req, state) =>
        handleToken(req, state, {
          clientAuth: 'body',
          // A client registered with `refresh_token` gets one in its replies (Marketo sends none;
          // credvault must not store a field the kind does not have).
          extra: (info) => ({
            scope: str(info, 'api_user'),
            token_type: 'bearer',
            ...(info.refresh_token ? { refresh_token: str(info, 'refresh_token') } : {}),
          }),
          invalidClient: () => ({
            status: 401,
            body: { error: 'invalid_client', error_description: 'Bad client credentials' },
          }),
        }),
    },
  ],
  error: (answer, _route, state) => {
    switch (answer) {
      case 'unauthorized':
        return {
          status: 401,
          body: { error: 'unauthorized', error_description: 'No client with requested id: 1b2c...' },
        };
      case 'forbidden':
        return {
          status: 403,
          body: { error: 'access_denied', error_description: 'API access is disabled for this subscription' },
        };
      case 'not_found':
        return { status: 404, body: '' };
      case 'rate_limited':
        return { status: 429, headers: retryAfter(state), body: { error: 'too_many_requests' } };
      case 'server_error':
        return { status: 503, body: '<html>Service Unavailable</html>' };
    }
  },
};
