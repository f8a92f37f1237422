import { bearerAt, type ProxyTarget } from './types.js';

export const airtableOauth2Proxy: ProxyTarget = bearerAt();
