/** Fake Salesforce: /services/oauth2/token (refresh) and /services/oauth2/userinfo. */
import type { FakeProviderDef } from '../server.js';
import { bearerInfo, handleToken } from '../oauth.js';
import { str } from '../state.js';

export const salesforceFake: FakeProviderDef = {
  setup: (state) => {
    state.expiresIn = undefined; // Salesforce token replies carry no expires_in
    state.rotate = false;
  },
  routes: [
    {
      name: 'token',
      method: 'POST',
      path: /^\/services\/oauth2\/token$/,
      handle: (req, state) =>
        handleToken(req, state, {
          clientAuth: 'body',
          extra: (info) => ({
            instance_url: str(info, 'instance_url') || 'https://acme.my.salesforce.com',
            id: `https://login.salesforce.com/id/${str(info, 'org_id')}/${str(info, 'user_id')}`,
            issued_at: String(Date.now()),
            signature: 'c2lnbmF0dXJl',
            scope: 'api refresh_token id',
          }),
          invalidGrant: () => ({
            status: 400,
            body: { error: 'invalid_grant', error_description: 'expired access/refresh token' },
          }),
          invalidClient: () => ({
            status: 400,
            body: { error: 'invalid_client_id', error_description: 'client identifier invalid' },
          }),
        }),
    },
    {
      name: 'userinfo',
      method: 'GET',
      path: /^\/services\/oauth2\/userinfo$/,
      handle: (req, state) => {
        const info = bearerInfo(req, state);
        // The identity service answers a bad token with 403 and a plain-text code.
        if (info === undefined) return { status: 403, body: 'Bad_OAuth_Token' };
        const org = str(info, 'org_id');
        const user = str(info, 'user_id');
        return {
          status: 200,
          body: {
            sub: `https://login.salesforce.com/id/${org}/${user}`,
            user_id: user,
            organization_id: org,
            preferred_username: 'admin@acme.example',
            active: true,
          },
        };
      },
    },
  ],
  error: (answer, route) => {
    switch (answer) {
      case 'unauthorized':
        return route === 'token'
          ? { status: 400, body: { error: 'invalid_grant', error_description: 'expired access/refresh token' } }
          : { status: 403, body: 'Bad_OAuth_Token' };
      case 'forbidden':
        return {
          status: 403,
          body: [{ message: 'The REST API is not enabled for this Organization.', errorCode: 'API_DISABLED_FOR_ORG' }],
        };
      case 'not_found':
        return { status: 404, body: 'Inactive' };
      case 'rate_limited':
        if (route === 'token')
          return { status: 400, body: { error: 'rate_limit_exceeded', error_description: 'too many requests' } };
        // Daily API allowance exhausted: 403, no Retry-After.
        return {
          status: 403,
          body: [{ message: 'TotalRequests Limit exceeded.', errorCode: 'REQUEST_LIMIT_EXCEEDED' }],
        };
      case 'server_error':
        return { status: 500, body: [{ message: 'An unexpected error occurred.', errorCode: 'UNKNOWN_EXCEPTION' }] };
    }
  },
};
