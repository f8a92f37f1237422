/** Fake Airtable: /oauth2/v1/token (Basic client auth, always rotates) and /v0/meta/whoami. */
import type { FakeProviderDef, FakeReply } from '../server.js';
import { bearerInfo, handleToken } from '../oauth.js';
import { str } from '../state.js';

const err = (status: number, type: string, message: string): FakeReply => ({
  status,
  body: { error: { type, message } },
});

export const airtableFake: FakeProviderDef = {
  setup: (state) => {
    state.expiresIn = 3600;
  },
  routes: [
    {
      name: 'token',
      method: 'POST',
      path: /^\/oauth2\/v1\/token$/,
      handle: (req, state) =>
        handleToken(req, state, {
          clientAuth: 'basic',
          extra: (info) => ({ scope: str(info, 'scope'), refresh_expires_in: 5_184_000 }),
          invalidGrant: () => ({
            status: 400,
            body: { error: 'invalid_grant', error_description: 'Token has been expired or revoked.' },
          }),
        }),
    },
    {
      name: 'whoami',
      method: 'GET',
      path: /^\/v0\/meta\/whoami$/,
      handle: (req, state) => {
        const info = bearerInfo(req, state);
        if (info === undefined) return err(401, 'AUTHENTICATION_REQUIRED', 'Authentication required');
        return { status: 200, body: { id: str(info, 'uid'), scopes: str(info, 'scope').split(' ') } };
      },
    },
  ],
  error: (answer) => {
    switch (answer) {
      case 'unauthorized':
        return err(401, 'AUTHENTICATION_REQUIRED', 'Authentication required');
      case 'forbidden':
        return err(
          403,
          'INVALID_PERMISSIONS_OR_MODEL_NOT_FOUND',
          'Invalid permissions, or the requested model was not found.',
        );
      case 'not_found':
        return err(404, 'NOT_FOUND', 'Could not find what you are looking for');
      case 'rate_limited':
        // No Retry-After: Airtable documents a fixed 30-second wait.
        return {
          status: 429,
          body: { errors: [{ error: 'RATE_LIMIT_REACHED', message: 'Rate limit exceeded. Please try again later' }] },
        };
      case 'server_error':
        return err(500, 'SERVER_ERROR', 'Try again. If the problem persists, contact support.');
    }
  },
};
