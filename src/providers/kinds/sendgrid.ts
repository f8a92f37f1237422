/** SendGrid API key. https://www.twilio.com/docs/sendgrid/ui/account-and-settings/api-keys */
import { fingerprintIdentity, kindObject, secret, text } from '../normalize.js';
import type { KindSpec } from '../types.js';
import { secretInput } from '../connect.js';
import { bearerAt } from '../proxy.js';

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
  connect: { flow: 'key', fields: [secretInput('api_key', 'API key (SG.…)')] },
  proxy: bearerAt(),
  identity: (p, ctx) => fingerprintIdentity('api_key', p.api_key, ctx),
} satisfies KindSpec<typeof schema, 'sendgrid_key'>;
