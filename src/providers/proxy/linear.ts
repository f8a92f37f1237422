import { bearerAt, type ProxyTarget } from './types.js';

export const linearOauth2Proxy: ProxyTarget = bearerAt();
