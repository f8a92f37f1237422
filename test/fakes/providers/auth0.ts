/** Fake Auth0 tenant: /oauth/token with the client-credentials grant (form or JSON body). */
import type { FakeProviderDef } from '../server.js';
import { handleToken } from '../oauth.js';
import { str } from '../state.js';

/** A JWT-shaped token whose payload names the issuing tenant (unsigned: the fake is not Auth0). */
function jwtLike(iss: string, sub: string, aud: string, scope: string): string {
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${part({ alg: 'RS256', typ: 'JWT' })}.${part({ iss, sub, aud, scope, gty: 'client-credentials' })}.c2ln`;
}

export const auth0Fake: FakeProviderDef = {
  setup: (state) => {
    state.expiresIn = 86_400;
  },
  routes: [
    {
      name: 'token',
      method: 'POST',
      path: /^\/oauth\/token$/,
      handle: (req, state) => {
        const audience = req.form().get('audience') ?? '';
        if (!audience.endsWith('/api/v2/')) {
          return { status: 403, body: { error: 'access_denied', error_description: `Service not found: ${audience}` } };
        }
        const reply = handleToken(req, state, {
          clientAuth: 'either',
          invalidClient: () => ({ status: 401, body: { error: 'access_denied', error_description: 'Unauthorized' } }),
        });
        if (reply.status !== 200) return reply;
        const client = req.form().get('client_id') ?? '';
        const info = state.clientInfo.get(client);
        const scope = str(info, 'scope');
        // Auth0 answers a JWT; it is the token the fake accepts from then on.
        const access = jwtLike(`https://${str(info, 'tenant')}/`, `${client}@clients`, audience, scope);
        state.addAccessToken(access, { client, ...info });
        return {
          status: 200,
          body: { access_token: access, scope, expires_in: state.expiresIn, token_type: 'Bearer' },
        };
      },
    },
  ],
  error: (answer, _route, state) => {
    switch (answer) {
      case 'unauthorized':
        return { status: 401, body: { error: 'access_denied', error_description: 'Unauthorized' } };
      case 'forbidden':
        return {
          status: 403,
          body: {
            error: 'access_denied',
            error_description:
              'Client is not authorized to access "https://acme.us.auth0.com/api/v2/". You need to create a "client-grant" associated to this API.',
          },
        };
      case 'not_found':
        return { status: 404, body: { error: 'not_found', error_description: 'Not Found' } };
      case 'rate_limited':
        // Auth0 rate-limit headers: epoch-seconds reset.
        return {
          status: 429,
          headers: {
            'x-ratelimit-limit': '30',
            'x-ratelimit-remaining': '0',
            'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + state.retryAfterSeconds),
          },
          body: { error: 'too_many_requests', error_description: 'Global limit has been reached' },
        };
      case 'server_error':
        return { status: 500, body: { error: 'server_error', error_description: 'Internal Server Error' } };
    }
  },
};
