import { bearerOnHost, type ProxyTarget } from './types.js';

export const workdayOauth2Proxy: ProxyTarget = bearerOnHost('host');
