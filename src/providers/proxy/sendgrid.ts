import { bearerAt, type ProxyTarget } from './types.js';

export const sendgridKeyProxy: ProxyTarget = bearerAt();
