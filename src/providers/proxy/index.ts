/** The proxy target of every kind; the mapped type refuses a missing kind. */
import type { Kind } from '../registry.js';
import { airtableOauth2Proxy } from './airtable.js';
import { auth0ClientCredentialsProxy } from './auth0.js';
import { checkoutChampPasswordProxy } from './checkout_champ.js';
import { githubAppProxy } from './github.js';
import { hubspotOauth2Proxy } from './hubspot.js';
import { linearOauth2Proxy } from './linear.js';
import { marketoClientCredentialsProxy } from './marketo.js';
import { netsuiteTbaProxy } from './netsuite.js';
import { quickbooksOauth2Proxy } from './quickbooks.js';
import { salesforceOauth2Proxy } from './salesforce.js';
import { sendgridKeyProxy } from './sendgrid.js';
import { servicenowOauth2Proxy } from './servicenow.js';
import { shopifyOauth2Proxy } from './shopify.js';
import { stripeKeyProxy, stripeOauth2Proxy } from './stripe.js';
import type { ProxyTarget } from './types.js';
import { workdayOauth2Proxy } from './workday.js';

export const PROXY_TARGETS = {
  stripe_key: stripeKeyProxy,
  stripe_oauth2: stripeOauth2Proxy,
  salesforce_oauth2: salesforceOauth2Proxy,
  hubspot_oauth2: hubspotOauth2Proxy,
  github_app: githubAppProxy,
  airtable_oauth2: airtableOauth2Proxy,
  linear_oauth2: linearOauth2Proxy,
  checkout_champ_password: checkoutChampPasswordProxy,
  shopify_oauth2: shopifyOauth2Proxy,
  quickbooks_oauth2: quickbooksOauth2Proxy,
  netsuite_tba: netsuiteTbaProxy,
  marketo_client_credentials: marketoClientCredentialsProxy,
  sendgrid_key: sendgridKeyProxy,
  servicenow_oauth2: servicenowOauth2Proxy,
  workday_oauth2: workdayOauth2Proxy,
  auth0_client_credentials: auth0ClientCredentialsProxy,
} satisfies Record<Kind, ProxyTarget>;
