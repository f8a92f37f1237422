/**
 * Checkout Champ (formerly Konnektive) API user: loginId/password on every call, from an
 * allowlisted IP. Errors come back as HTTP 200 {"result":"ERROR","message":"..."}.
 * identify: POST https://api.checkoutchamp.com/campaign/query/  https://apidocs.checkoutchamp.com/
 *
 * The docs show loginId/password as query parameters; the API reads the same fields from a
 * form POST body, which keeps the password out of URLs (docs/security.md A7).
 */
import { z } from 'zod';
import type { ProviderModule } from '../module.js';
import {
  FORM,
  JSON_TYPE,
  callJson,
  failure,
  formBody,
  join,
  missingField,
  prop,
  type Classify,
  type Wording,
} from './common.js';

const W: Wording = {
  provider: 'Checkout Champ',
  credential: 'the API login',
  reauth: 'Check login_id and password of the API user (Admin > Users, user type API) and import them again.',
  permissions:
    "Allow credvault's outbound IP address on the API user and give the user access to the Campaign query API.",
};

const reply = z.object({ result: z.string(), message: z.unknown().optional() }).loose();

/** Reads the 200 ERROR envelope; its message text is matched, never echoed. */
const classify: Classify = (res, json) => {
  if (res.status < 200 || res.status >= 300) return undefined; // real HTTP errors map by status
  const r = reply.safeParse(json);
  if (!r.success || r.data.result.toUpperCase() !== 'ERROR') return undefined;
  const message = typeof r.data.message === 'string' ? r.data.message : '';
  if (/no .*(found|match)/i.test(message)) return undefined; // logged in fine, nothing to list
  if (/\bIP\b|not authori[sz]ed|permission|access denied/i.test(message)) {
    return failure(
      'forbidden',
      `Checkout Champ refused the API user's request (not allowed from this IP or for this API). ${W.permissions}`,
      { status: res.status },
    );
  }
  if (/login|password|credential|authenticat/i.test(message)) {
    return failure(
      'unauthorized',
      `Checkout Champ rejected the API login (invalid login id or password). ${W.reauth}`,
      { status: res.status },
    );
  }
  return failure(
    'provider_error',
    'Checkout Champ answered the check with an error it did not explain in a known way. credvault will retry; if it persists, check the API user in Checkout Champ.',
    { status: res.status },
  );
};

export const checkoutChampModule: ProviderModule = {
  provider: 'checkout_champ',
  displayName: W.provider,
  baseUrls: { default: 'https://api.checkoutchamp.com' },

  async identify(cred, ctx) {
    const loginId = prop(cred, 'login_id');
    if (loginId === undefined) return missingField(W, 'login_id');
    const password = prop(cred, 'password');
    if (password === undefined) return missingField(W, 'password');
    const r = await callJson(
      ctx,
      W,
      {
        method: 'POST',
        url: join(ctx.baseUrl(), '/campaign/query/'),
        headers: { 'content-type': FORM, accept: JSON_TYPE },
        body: formBody({ loginId, password, resultsPerPage: '1' }),
      },
      { schema: reply, classify },
    );
    if (!r.ok) return r;
    // Checkout Champ exposes no account id to an API user; the login id names the account.
    return { ok: true, accountId: loginId };
  },
};
