/** Fake QuickBooks: /oauth2/v1/tokens/bearer (Basic, rotates) and CompanyInfo, Fault envelopes. */
import type { FakeProviderDef, FakeReply } from '../server.js';
import { bearerInfo, handleToken, retryAfter } from '../oauth.js';
import { str } from '../state.js';

const fault = (
  status: number,
  type: string,
  name: string,
  code: string,
  headers?: Record<string, string>,
): FakeReply => ({
  status,
  body: {
    Fault: { Error: [{ Message: `message=${name}; errorCode=00${code}; statusCode=${status}`, code }], type },
    time: new Date().toISOString(),
  },
  ...(headers === undefined ? {} : { headers }),
});

export const quickbooksFake: FakeProviderDef = {
  routes: [
    {
      name: 'token',
      method: 'POST',
      path: /^\/oauth2\/v1\/tokens\/bearer$/,
      handle: (req, state) =>
        handleToken(req, state, {
          clientAuth: 'basic',
          extra: () => ({ x_refresh_token_expires_in: 8_726_400 }),
          invalidGrant: () => ({ status: 400, body: { error: 'invalid_grant' } }),
        }),
    },
    {
      name: 'companyinfo',
      method: 'GET',
      path: /^\/v3\/company\/(\d+)\/companyinfo\/(\d+)$/,
      handle: (req, state, [realm]) => {
        const info = bearerInfo(req, state);
        if (info === undefined) return fault(401, 'AUTHENTICATION', 'AuthenticationFailed', '3200');
        if (str(info, 'realm_id') !== realm)
          return fault(403, 'AUTHORIZATION', 'ApplicationAuthorizationFailed', '3100');
        return {
          status: 200,
          body: {
            CompanyInfo: { CompanyName: str(info, 'company'), Id: '1', Country: 'US' },
            time: new Date().toISOString(),
          },
        };
      },
    },
  ],
  error: (answer, route, state) => {
    switch (answer) {
      case 'unauthorized':
        return route === 'token'
          ? { status: 400, body: { error: 'invalid_grant' } }
          : fault(401, 'AUTHENTICATION', 'AuthenticationFailed', '3200');
      case 'forbidden':
        return fault(403, 'AUTHORIZATION', 'ApplicationAuthorizationFailed', '3100');
      case 'not_found':
        return { status: 404, body: '' };
      case 'rate_limited':
        return fault(429, 'ThrottleExceeded', 'ThrottleExceeded', '3001', retryAfter(state));
      case 'server_error':
        return fault(500, 'SystemFault', 'InternalServerError', '10000');
    }
  },
};
