/** Fake ServiceNow instance: /oauth_token.do and the Table API on sys_user. */
import type { FakeProviderDef, FakeReply } from '../server.js';
import { bearerInfo, handleToken, retryAfter } from '../oauth.js';
import { str } from '../state.js';

/** ServiceNow's answer to a bad refresh token and to a bad client secret alike. */
const ACCESS_DENIED: FakeReply = { status: 401, body: { error_description: 'access_denied', error: 'server_error' } };
const failure = (status: number, message: string, detail: string, headers?: Record<string, string>): FakeReply => ({
  status,
  body: { error: { message, detail }, status: 'failure' },
  ...(headers === undefined ? {} : { headers }),
});

export const servicenowFake: FakeProviderDef = {
  setup: (state) => {
    state.rotate = false; // the same refresh token comes back until it expires
    state.expiresIn = 1799;
  },
  routes: [
    {
      name: 'token',
      method: 'POST',
      path: /^\/oauth_token\.do$/,
      handle: (req, state) =>
        handleToken(req, state, {
          clientAuth: 'body',
          extra: () => ({ scope: 'useraccount' }),
          invalidGrant: () => ACCESS_DENIED,
          invalidClient: () => ACCESS_DENIED,
        }),
    },
    {
      name: 'table',
      method: 'GET',
      path: /^\/api\/now\/table\/sys_user$/,
      handle: (req, state) => {
        const info = bearerInfo(req, state);
        if (info === undefined) return failure(401, 'User Not Authenticated', 'Required to provide Auth information');
        if (req.query.get('sysparm_limit') !== '1') return failure(400, 'Bad request', 'expected sysparm_limit=1');
        return { status: 200, body: { result: [{ sys_id: str(info, 'sys_id'), user_name: str(info, 'user_name') }] } };
      },
    },
  ],
  error: (answer, route, state) => {
    switch (answer) {
      case 'unauthorized':
        return route === 'token'
          ? ACCESS_DENIED
          : failure(401, 'User Not Authenticated', 'Required to provide Auth information');
      case 'forbidden':
        return failure(403, 'User Not Authorized', 'User does not have access to the table');
      case 'not_found':
        return failure(404, 'Invalid table', 'Requested table does not exist');
      case 'rate_limited':
        return failure(429, 'Rate limit exceeded', 'Too many requests for this user', retryAfter(state));
      case 'server_error':
        return failure(500, 'Internal error', 'Transaction cancelled');
    }
  },
};
