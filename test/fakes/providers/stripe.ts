/** Fake Stripe: GET /v1/account (key or platform key + Stripe-Account), Connect /oauth/token. */
import type { FakeProviderDef, FakeReply } from '../server.js';
import { handleToken } from '../oauth.js';
import { str } from '../state.js';

const err = (status: number, type: string, message: string, code?: string): FakeReply => ({
  status,
  body: { error: { type, message, ...(code === undefined ? {} : { code }) } },
});

export const stripeFake: FakeProviderDef = {
  setup: (state) => {
    state.expiresIn = undefined; // Connect access tokens carry no expires_in
  },
  routes: [
    {
      name: 'account',
      method: 'GET',
      path: /^\/v1\/account$/,
      handle: (req, state) => {
        const key = req.bearer() ?? req.basic()?.user ?? '';
        const connected = req.header('stripe-account');
        if (connected !== undefined && [...state.clients.values()].includes(key)) {
          return state.records.has(`connected:${connected}`)
            ? { status: 200, body: { id: connected, object: 'account' } }
            : err(
                403,
                'invalid_request_error',
                'The provided key does not have access to account (or that account does not exist). Application access may have been revoked.',
                'account_invalid',
              );
        }
        const info = state.accessTokens.get(key);
        if (info === undefined)
          return err(401, 'invalid_request_error', `Invalid API Key provided: ${key.slice(0, 8)}****`);
        return {
          status: 200,
          body: { id: str(info, 'account_id'), object: 'account', country: 'US', charges_enabled: true },
        };
      },
    },
    {
      name: 'token',
      method: 'POST',
      path: /^\/oauth\/token$/,
      handle: (req, state) =>
        handleToken(req, state, {
          clientAuth: 'basic',
          authenticate: (r, s) => {
            const user = r.basic()?.user ?? '';
            return [...s.clients.entries()].find(([, secret]) => secret === user)?.[0];
          },
          extra: (info) => ({
            stripe_user_id: str(info, 'account_id'),
            livemode: false,
            scope: 'read_write',
            stripe_publishable_key: 'pk_test_fake',
          }),
          invalidGrant: () => ({
            status: 400,
            body: { error: 'invalid_grant', error_description: 'Refresh token does not exist or has been rolled.' },
          }),
        }),
    },
  ],
  error: (answer) => {
    switch (answer) {
      case 'unauthorized':
        return err(401, 'invalid_request_error', 'Invalid API Key provided: rk_test_****');
      case 'forbidden':
        return err(
          403,
          'invalid_request_error',
          "The provided key does not have the required permissions for this endpoint on account 'acct_1'.",
        );
      case 'not_found':
        return err(404, 'invalid_request_error', 'Unrecognized request URL (GET: /v1/account).');
      case 'rate_limited':
        // Stripe documents no Retry-After on 429: https://docs.stripe.com/rate-limits
        return err(429, 'invalid_request_error', 'Request rate limit exceeded.', 'rate_limit');
      case 'server_error':
        return err(500, 'api_error', 'An unknown error occurred.');
    }
  },
};
