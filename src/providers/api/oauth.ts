/**
 * OAuth token endpoints as the providers here speak them (RFC 6749): the token reply and error
 * reply schemas, one form POST that reads either, the mapping of OAuth error codes to health
 * reasons, and a RefreshSuccess that keeps a rotated refresh token. The notes follow the rule of
 * common.ts: built from constants, the provider's name and status numbers only (docs/security.md C8).
 */
import { z } from 'zod';
import type { OutboundResponse } from '../../net/types.js';
import type { ProviderContext, ProviderFailure, RefreshSuccess } from '../module.js';
import {
  type Classify,
  type ResetHeader,
  type Wording,
  FORM,
  JSON_TYPE,
  basicAuth,
  failure,
  forbidden,
  formBody,
  httpFailure,
  invalidResponse,
  safeJson,
  send,
  unauthorized,
} from './common.js';

const digits = z.string().regex(/^\d+$/).transform(Number);

/** RFC 6749 §5.1 token reply; providers add fields (kept by `.loose()`). */
export const tokenReply = z
  .object({
    access_token: z.string().min(1),
    refresh_token: z.string().min(1).optional(),
    expires_in: z.union([z.number(), digits]).optional(),
    scope: z.string().optional(),
  })
  .loose();
export type TokenReply = z.output<typeof tokenReply>;

/** RFC 6749 §5.2 error reply. */
export const oauthError = z.object({ error: z.string(), error_description: z.string().optional() }).loose();

export interface TokenRequest {
  url: string;
  form: Record<string, string | undefined>;
  /** Client authentication by Basic header; otherwise the form carries it. */
  basic?: { user: string; pass: string };
  headers?: Record<string, string>;
  /** True when the client id/secret are the credential itself (client-credentials kinds). */
  clientIsCredential?: boolean;
  classify?: Classify;
  resets?: readonly ResetHeader[];
}

/** POSTs a form to a token endpoint and reads the reply or the OAuth error. */
export async function requestToken(
  ctx: ProviderContext,
  w: Wording,
  tr: TokenRequest,
): Promise<{ ok: true; reply: TokenReply; json: unknown } | ProviderFailure> {
  const headers: Record<string, string> = { 'content-type': FORM, accept: JSON_TYPE, ...tr.headers };
  if (tr.basic) headers.authorization = basicAuth(tr.basic.user, tr.basic.pass);
  const sent = await send(ctx, w, { method: 'POST', url: tr.url, headers, body: formBody(tr.form) });
  if (!sent.ok) return sent;
  const { res } = sent;
  const json = safeJson(res.body);
  const custom = tr.classify?.(res, json);
  if (custom) return custom;
  if (res.status >= 200 && res.status < 300) {
    const reply = tokenReply.safeParse(json);
    return reply.success ? { ok: true, reply: reply.data, json } : invalidResponse(w, res.status);
  }
  const err = oauthError.safeParse(json);
  if (err.success) {
    const mapped = oauthErrorFailure(w, res, err.data.error, tr.clientIsCredential === true);
    if (mapped) return mapped;
  }
  return httpFailure(w, res, ctx.now(), tr.resets);
}

function oauthErrorFailure(
  w: Wording,
  res: OutboundResponse,
  code: string,
  clientIsCredential: boolean,
): ProviderFailure | undefined {
  const status = res.status;
  switch (code) {
    case 'invalid_grant':
      return invalidGrant(w, status);
    case 'invalid_client':
    case 'unauthorized_client':
      if (clientIsCredential) {
        return failure('unauthorized', `${w.provider} rejected the client id or secret (${code}). ${w.reauth}`, {
          status,
        });
      }
      return failure(
        'misconfigured',
        `${w.provider} rejected the OAuth app's client id or secret (${code}). Check the OAuth app configured in credvault for ${w.provider} against the app's settings at ${w.provider}.`,
        { status, oauthApp: true },
      );
    case 'invalid_scope':
    case 'insufficient_scope':
      return forbidden(w, status, 'missing_scope');
    case 'access_denied':
      return status === 403 ? forbidden(w, status) : unauthorized(w, status);
    default:
      return undefined;
  }
}

export function invalidGrant(w: Wording, status: number): ProviderFailure {
  return failure(
    'invalid_grant',
    `${w.provider} refused the refresh token (invalid_grant): the grant was revoked, expired or already used. ${w.reauth}`,
    { status },
  );
}

/** A RefreshSuccess from a token reply; the refresh token only when it changed (rotation). */
export function refreshSuccess(
  reply: TokenReply,
  now: Date,
  sentRefreshToken: string | undefined,
  learned?: Record<string, unknown>,
): RefreshSuccess {
  const out: RefreshSuccess = { ok: true, accessToken: reply.access_token };
  if (reply.expires_in !== undefined && Number.isFinite(reply.expires_in) && reply.expires_in > 0) {
    out.expiresAt = new Date(now.getTime() + reply.expires_in * 1000);
  }
  if (reply.refresh_token !== undefined && reply.refresh_token !== sentRefreshToken)
    out.refreshToken = reply.refresh_token;
  if (learned && Object.keys(learned).length > 0) out.learned = learned;
  return out;
}
