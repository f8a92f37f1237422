/**
 * Fake GitHub: verifies the App's RS256 JWT with the public key in records('app'), serves
 * GET /app/installations/:id and POST /app/installations/:id/access_tokens.
 */
import { createPublicKey, createVerify } from 'node:crypto';
import type { FakeProviderDef, FakeReply, FakeRequest } from '../server.js';
import { str, type FakeState } from '../state.js';

const msg = (status: number, message: string, headers?: Record<string, string>): FakeReply => ({
  status,
  body: { message, documentation_url: 'https://docs.github.com/rest' },
  ...(headers === undefined ? {} : { headers }),
});

/** Checks signature, alg, iss and the iat/exp window; returns the error reply or undefined. */
function checkJwt(req: FakeRequest, state: FakeState): FakeReply | undefined {
  const jwt = req.bearer() ?? '';
  const [head, body, sig] = jwt.split('.');
  const app = state.records.get('app');
  if (head === undefined || body === undefined || sig === undefined || app === undefined)
    return msg(401, 'A JSON web token could not be decoded');
  const ok = createVerify('RSA-SHA256')
    .update(`${head}.${body}`)
    .verify(createPublicKey(str(app, 'public_key')), Buffer.from(sig, 'base64url'));
  if (!ok) return msg(401, 'A JSON web token could not be decoded');
  const header = JSON.parse(Buffer.from(head, 'base64url').toString('utf8')) as { alg?: unknown };
  const claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as {
    iss?: unknown;
    iat?: unknown;
    exp?: unknown;
  };
  const now = Math.floor(Date.now() / 1000);
  if (header.alg !== 'RS256' || String(claims.iss) !== str(app, 'app_id'))
    return msg(401, "'Issuer' claim ('iss') must be an Integer");
  if (
    typeof claims.exp !== 'number' ||
    typeof claims.iat !== 'number' ||
    claims.exp > now + 600 ||
    claims.exp < now ||
    claims.iat > now
  ) {
    return msg(401, "'Expiration time' claim ('exp') is too far in the future");
  }
  state.records.set('last_jwt_claims', { iss: claims.iss, iat: claims.iat, exp: claims.exp });
  return undefined;
}

export const githubFake: FakeProviderDef = {
  routes: [
    {
      name: 'installation',
      method: 'GET',
      path: /^\/app\/installations\/(\d+)$/,
      handle: (req, state, [id]) => {
        const bad = checkJwt(req, state);
        if (bad) return bad;
        const inst = state.records.get(`installation:${id ?? ''}`);
        if (inst === undefined) return msg(404, 'Not Found');
        return {
          status: 200,
          body: {
            id: Number(id),
            account: { login: str(inst, 'login'), id: Number(str(inst, 'account_id')), type: str(inst, 'type') },
            app_id: Number(str(state.records.get('app'), 'app_id')),
            target_type: str(inst, 'type'),
            permissions: { contents: 'read', metadata: 'read' },
            suspended_at: inst.suspended === true ? '2026-01-01T00:00:00Z' : null,
          },
        };
      },
    },
    {
      name: 'access_tokens',
      method: 'POST',
      path: /^\/app\/installations\/(\d+)\/access_tokens$/,
      handle: (req, state, [id]) => {
        const bad = checkJwt(req, state);
        if (bad) return bad;
        const inst = state.records.get(`installation:${id ?? ''}`);
        if (inst === undefined) return msg(404, 'Not Found');
        if (inst.suspended === true) return msg(403, 'This installation has been suspended');
        const token = state.mint('ghs');
        state.addAccessToken(token, inst);
        return {
          status: 201,
          body: {
            token,
            expires_at: new Date(Date.now() + 3600_000).toISOString(),
            permissions: { contents: 'read' },
            repository_selection: 'all',
          },
        };
      },
    },
  ],
  error: (answer, _route, state) => {
    switch (answer) {
      case 'unauthorized':
        return msg(401, 'Bad credentials');
      case 'forbidden':
        return msg(403, 'Resource not accessible by integration');
      case 'not_found':
        return msg(404, 'Not Found');
      case 'rate_limited':
        // Primary rate limit: 403 with x-ratelimit-remaining 0 and an epoch-seconds reset.
        return msg(403, 'API rate limit exceeded for installation.', {
          'x-ratelimit-limit': '5000',
          'x-ratelimit-remaining': '0',
          'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + state.retryAfterSeconds),
        });
      case 'server_error':
        return msg(502, 'Server Error');
    }
  },
};
