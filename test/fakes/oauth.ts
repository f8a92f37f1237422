/** Token-endpoint behaviour shared by the fakes: client auth, rotation, reuse detection. */
import type { FakeReply, FakeRequest } from './server.js';
import type { FakeState, Info } from './state.js';

export interface TokenOptions {
  /** How the client authenticates: Basic header, form fields, or either. */
  clientAuth: 'basic' | 'body' | 'either';
  /** Extra reply fields for a grant (instance_url, hub_id, stripe_user_id...). */
  extra?: (info: Info, state: FakeState) => Record<string, unknown>;
  /** The provider's answer to an unknown, revoked or reused refresh token. */
  invalidGrant?: () => FakeReply;
  invalidClient?: () => FakeReply;
  /** Replaces the standard client check (Stripe authenticates with the platform's secret key). */
  authenticate?: (req: FakeRequest, state: FakeState) => string | undefined;
}

const INVALID_GRANT: FakeReply = {
  status: 400,
  body: { error: 'invalid_grant', error_description: 'Token has been expired or revoked.' },
};
const INVALID_CLIENT: FakeReply = {
  status: 401,
  body: { error: 'invalid_client', error_description: 'Client authentication failed.' },
};

/** The client id that authenticated correctly, or undefined. */
export function clientOf(
  req: FakeRequest,
  state: FakeState,
  how: TokenOptions['clientAuth'],
  form = req.form(),
): string | undefined {
  const basic = req.basic();
  const fromBasic = basic && state.clients.get(basic.user) === basic.pass ? basic.user : undefined;
  const id = form.get('client_id') ?? '';
  const fromBody = id !== '' && state.clients.get(id) === form.get('client_secret') ? id : undefined;
  if (how === 'basic') return fromBasic;
  if (how === 'body') return fromBody;
  return fromBasic ?? fromBody;
}

/** A refresh_token or client_credentials grant, answered like RFC 6749 §5. */
export function handleToken(req: FakeRequest, state: FakeState, opts: TokenOptions): FakeReply {
  const form = req.header('content-type')?.includes('json') ? jsonForm(req) : req.form();
  const client = opts.authenticate ? opts.authenticate(req, state) : clientOf(req, state, opts.clientAuth, form);
  if (client === undefined) return (opts.invalidClient ?? (() => INVALID_CLIENT))();
  const grantType = form.get('grant_type');
  const invalidGrant = opts.invalidGrant ?? (() => INVALID_GRANT);

  if (grantType === 'client_credentials') {
    const info = state.clientInfo.get(client) ?? {};
    const access = state.mint('cc-token');
    state.addAccessToken(access, info);
    return {
      status: 200,
      body: { access_token: access, token_type: 'Bearer', expires_in: state.expiresIn, ...opts.extra?.(info, state) },
    };
  }
  if (grantType !== 'refresh_token') return { status: 400, body: { error: 'unsupported_grant_type' } };

  const old = form.get('refresh_token') ?? '';
  const info = state.refreshTokens.get(old);
  if (info === undefined || state.usedRefreshTokens.has(old)) return invalidGrant();
  const access = state.mint('access');
  state.addAccessToken(access, info);
  const body: Record<string, unknown> = { access_token: access, token_type: 'bearer' };
  if (state.expiresIn !== undefined) body.expires_in = state.expiresIn;
  if (state.rotate) {
    const next = state.mint('refresh');
    state.addRefreshToken(next, info);
    state.refreshTokens.delete(old);
    state.usedRefreshTokens.add(old);
    body.refresh_token = next;
  } else if (state.includeRefreshToken) {
    body.refresh_token = old;
  }
  return { status: 200, body: { ...body, ...opts.extra?.(info, state) } };
}

function jsonForm(req: FakeRequest): URLSearchParams {
  const j = req.json();
  const out = new URLSearchParams();
  if (j !== null && typeof j === 'object') {
    for (const [k, v] of Object.entries(j)) if (typeof v === 'string') out.set(k, v);
  }
  return out;
}

/** The account info behind a bearer token, or undefined. */
export function bearerInfo(req: FakeRequest, state: FakeState): Info | undefined {
  const token = req.bearer();
  return token === undefined ? undefined : state.accessTokens.get(token);
}

/** Retry-After as the fakes send it. */
export function retryAfter(state: FakeState): Record<string, string> {
  return { 'retry-after': String(state.retryAfterSeconds) };
}
