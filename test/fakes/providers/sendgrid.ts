/** Fake SendGrid: GET /v3/scopes and /v3/user/username with the key as Bearer. */
import type { FakeProviderDef, FakeReply } from '../server.js';
import { bearerInfo } from '../oauth.js';
import { str } from '../state.js';

const errors = (status: number, message: string, headers?: Record<string, string>): FakeReply => ({
  status,
  body: { errors: [{ field: null, message }] },
  ...(headers === undefined ? {} : { headers }),
});

export const sendgridFake: FakeProviderDef = {
  routes: [
    {
      name: 'scopes',
      method: 'GET',
      path: /^\/v3\/scopes$/,
      handle: (req, state) => {
        const info = bearerInfo(req, state);
        if (info === undefined) return errors(401, 'authorization required');
        return { status: 200, body: { scopes: info.scopes } };
      },
    },
    {
      name: 'username',
      method: 'GET',
      path: /^\/v3\/user\/username$/,
      handle: (req, state) => {
        const info = bearerInfo(req, state);
        if (info === undefined) return errors(401, 'authorization required');
        const scopes = Array.isArray(info.scopes) ? info.scopes : [];
        if (!scopes.includes('user.username.read')) return errors(403, 'access forbidden');
        return { status: 200, body: { username: str(info, 'username'), user_id: Number(str(info, 'user_id')) } };
      },
    },
  ],
  error: (answer, _route, state) => {
    switch (answer) {
      case 'unauthorized':
        return errors(401, 'authorization required');
      case 'forbidden':
        return errors(403, 'access forbidden');
      case 'not_found':
        return errors(404, 'resource not found');
      case 'rate_limited':
        // SendGrid: X-RateLimit-Reset in epoch seconds, no Retry-After.
        return errors(429, 'too many requests', {
          'x-ratelimit-limit': '500',
          'x-ratelimit-remaining': '0',
          'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + state.retryAfterSeconds),
        });
      case 'server_error':
        return errors(500, 'internal server error');
    }
  },
};
