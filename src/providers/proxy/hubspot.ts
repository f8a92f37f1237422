import { bearerAt, type ProxyTarget } from './types.js';

export const hubspotOauth2Proxy: ProxyTarget = bearerAt();
