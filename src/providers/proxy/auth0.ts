/** Management API tokens are minted with the client credentials grant. https://auth0.com/docs/secure/tokens/access-tokens/management-api-access-tokens */
import { bearerOnHost, type ProxyTarget } from './types.js';

export const auth0ClientCredentialsProxy: ProxyTarget = bearerOnHost('domain');
