/**
 * The typed credvault client: `import { createCredvaultClient } from 'credvault/client'`.
 *
 * Every type comes from ./generated/openapi.ts, generated from the server's own OpenAPI
 * document (`npm run generate:client`); nothing here restates a request or answer shape.
 */
import createClient, { type Client, type Middleware } from 'openapi-fetch';
import type { paths } from './generated/openapi.js';

export type { paths } from './generated/openapi.js';
export { CredvaultError, type ErrorBody, unwrap } from './errors.js';

export interface CredvaultClientOptions {
  /** Base URL of the server, e.g. http://127.0.0.1:8080 */
  url: string;
  /** An API token (sent as `Authorization: Bearer <token>`). */
  token: string;
  /** Extra headers on every request (e.g. a User-Agent). */
  headers?: Record<string, string>;
  /** A fetch implementation (defaults to the global one). */
  fetch?: typeof fetch;
}

export type CredvaultClient = Client<paths>;

type JsonOf<T> = T extends { content: { 'application/json': infer J } } ? J : never;
type Post<P extends keyof paths> = paths[P] extends { post: infer O } ? O : never;
type Get<P extends keyof paths> = paths[P] extends { get: infer O } ? O : never;
type BodyOf<O> = O extends { requestBody?: infer B } ? JsonOf<NonNullable<B>> : never;
type Answer<O, S extends number> = O extends { responses: infer R }
  ? S extends keyof R
    ? JsonOf<R[S]>
    : never
  : never;

/** Names for the generated shapes most callers need. */
export type Credential = Answer<Get<'/v1/credentials/{id}'>, 200>;
export type ImportCredentialBody = BodyOf<Post<'/v1/credentials'>>;
export type BulkImportResult = Answer<Post<'/v1/credentials/bulk'>, 200>['results'][number];
export type ExportedCredential = Answer<Get<'/v1/credentials/export'>, 200>['data'][number];
export type OAuthApp = Answer<Get<'/v1/oauth-apps/{id}'>, 200>;
export type Event = Answer<Get<'/v1/events/{id}'>, 200>;
export type WebhookEndpoint = Answer<Get<'/v1/webhook-endpoints/{id}'>, 200>;
export type WebhookEndpointWithSecret = Answer<Post<'/v1/webhook-endpoints'>, 201>;
export type WebhookDeliveryAttempt = Answer<Get<'/v1/webhook-endpoints/{id}/deliveries'>, 200>['data'][number];

/** A client for one server and token; methods are typed by path: `client.POST('/v1/credentials', { body })`. */
export function createCredvaultClient(opts: CredvaultClientOptions): CredvaultClient {
  const client = createClient<paths>({
    baseUrl: opts.url.replace(/\/+$/, ''),
    headers: { ...opts.headers, authorization: `Bearer ${opts.token}` },
    ...(opts.fetch ? { fetch: opts.fetch } : {}),
  });
  // A body-less request must not claim a JSON body: the server answers 400 to an empty JSON body.
  const noEmptyJson: Middleware = {
    onRequest({ request }) {
      if (request.body === null && request.headers.get('content-type')?.startsWith('application/json')) {
        const headers = new Headers(request.headers);
        headers.delete('content-type');
        return new Request(request, { headers });
      }
      return undefined;
    },
  };
  client.use(noEmptyJson);
  return client;
}
