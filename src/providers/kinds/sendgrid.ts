/** SendGrid API key. https://www.twilio.com/docs/sendgrid/ui/account-and-settings/api-keys */
import { fingerprintIdentity, kindObject, secret, text } from '../normalize.js';
import type { KindSpec } from '../types.js';

const schema = kindObject('sendgrid_key', {
  api_key: secret().refine((v) => v.startsWith('SG.'), { error: 'must start with SG.' }),
  name: text().optional(),
});

export const sendgridKey = {
  kind: 'sendgrid_key',
  provider: 'sendgrid',
  aliases: [],
  schema,
  secretFields: ['api_key'],
  oauthApp: 'optional',
  accessToken: { from: 'field' },
  tokenField: 'api_key',
  expiryField: null,
  learnable: [],
  tenantHosts: [],
  identity: (p, ctx) => fingerprintIdentity('api_key', p.api_key, ctx),
} satisfies KindSpec<typeof schema, 'sendgrid_key'>;
