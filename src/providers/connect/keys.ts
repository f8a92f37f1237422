/**
 * Key kinds: no provider consent page, credvault's own form (docs: Connect, §3). The fields
 * are the kind's own (kinds.md); secret ones are password inputs.
 */
import type { KeyConnect } from './types.js';

const secret = (name: string, label: string) => ({ name, label, secret: true });
const text = (name: string, label: string) => ({ name, label, secret: false });

export const KEY_CONNECTS = {
  stripe_key: {
    flow: 'key',
    kind: 'stripe_key',
    fields: [secret('secret', 'Secret or restricted key (sk_… or rk_…)')],
  },
  sendgrid_key: { flow: 'key', kind: 'sendgrid_key', fields: [secret('api_key', 'API key (SG.…)')] },
  checkout_champ_password: {
    flow: 'key',
    kind: 'checkout_champ_password',
    fields: [text('login_id', 'API login id'), secret('password', 'API password')],
  },
  netsuite_tba: {
    flow: 'key',
    kind: 'netsuite_tba',
    fields: [
      text('account_id', 'Account id'),
      text('consumer_key', 'Consumer key'),
      secret('consumer_secret', 'Consumer secret'),
      text('token_id', 'Token id'),
      secret('token_secret', 'Token secret'),
    ],
  },
  marketo_client_credentials: {
    flow: 'key',
    kind: 'marketo_client_credentials',
    fields: [
      text('munchkin_id', 'Munchkin id'),
      text('client_id', 'Client id'),
      secret('client_secret', 'Client secret'),
    ],
  },
  auth0_client_credentials: {
    flow: 'key',
    kind: 'auth0_client_credentials',
    fields: [text('domain', 'Auth0 domain'), text('client_id', 'Client id'), secret('client_secret', 'Client secret')],
  },
} as const satisfies Record<string, KeyConnect>;
