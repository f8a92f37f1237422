/** Connect data for every kind (docs: Connect, §2); the mapped type refuses a missing kind. */
import type { Kind } from '../registry.js';
import { airtableConnect } from './airtable.js';
import { githubConnect } from './github.js';
import { hubspotConnect } from './hubspot.js';
import { KEY_CONNECTS } from './keys.js';
import { linearConnect } from './linear.js';
import { quickbooksConnect } from './quickbooks.js';
import { salesforceConnect } from './salesforce.js';
import { shopifyConnect } from './shopify.js';
import { stripeConnect } from './stripe.js';
import { servicenowConnect, workdayConnect } from './tenants.js';
import type { ConnectSpec } from './types.js';

export const CONNECT_SPECS: { readonly [K in Kind]: ConnectSpec & { kind: K } } = {
  salesforce_oauth2: salesforceConnect as ConnectSpec & { kind: 'salesforce_oauth2' },
  hubspot_oauth2: hubspotConnect as ConnectSpec & { kind: 'hubspot_oauth2' },
  airtable_oauth2: airtableConnect as ConnectSpec & { kind: 'airtable_oauth2' },
  linear_oauth2: linearConnect as ConnectSpec & { kind: 'linear_oauth2' },
  shopify_oauth2: shopifyConnect as ConnectSpec & { kind: 'shopify_oauth2' },
  quickbooks_oauth2: quickbooksConnect as ConnectSpec & { kind: 'quickbooks_oauth2' },
  stripe_oauth2: stripeConnect as ConnectSpec & { kind: 'stripe_oauth2' },
  servicenow_oauth2: servicenowConnect as ConnectSpec & { kind: 'servicenow_oauth2' },
  workday_oauth2: workdayConnect as ConnectSpec & { kind: 'workday_oauth2' },
  github_app: githubConnect as ConnectSpec & { kind: 'github_app' },
  ...KEY_CONNECTS,
};
