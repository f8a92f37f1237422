/** The typed client (credvault/client) drives a live server: create, import, bulk, list, get, delete, errors. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CredvaultError,
  type Credential,
  type ImportCredentialBody,
  createCredvaultClient,
  unwrap,
} from '../../src/client/index.js';
import { type LiveServer, startLiveServer } from '../cli/live.js';

describe('typed client against a live server', () => {
  let server: LiveServer;
  beforeAll(async () => {
    server = await startLiveServer('pglite');
  });
  afterAll(async () => server?.close());

  it('creates an OAuth app, imports, lists, reads and deletes credentials', async () => {
    const account = await server.newAccount();
    const client = createCredvaultClient({ url: `${server.url}/`, token: account.token });
    const app = await unwrap(
      client.POST('/v1/oauth-apps', {
        body: { name: 'SF', provider: 'salesforce', client_id: 'cid', client_secret: 'cs' },
      }),
    );
    expect(app.client_secret).toBe('**********');

    const body: ImportCredentialBody = {
      name: 'Acme',
      oauth_app_id: app.id,
      properties: { kind: 'salesforce', instance_url: 'https://acme.my.salesforce.com', refresh_token: 'rt' },
    };
    const imported: Credential = await unwrap(client.POST('/v1/credentials', { body }));
    expect(imported).toMatchObject({
      name: 'Acme',
      kind: 'salesforce_oauth2',
      oauth_app: { id: app.id },
      properties: { refresh_token: '***********' },
    });

    const bulk = await unwrap(
      client.POST('/v1/credentials/bulk', {
        body: {
          items: [
            { properties: { kind: 'stripe_key', secret: 'sk_test_client_1' } },
            // @ts-expect-error an unknown kind: the typed client refuses it, the server must too
            { properties: { kind: 'nope' } },
          ],
        },
      }),
    );
    expect(bulk.results.map((r) => r.status)).toEqual([200, 422]);
    const failed = bulk.results[1];
    if (failed?.status === 422) expect(failed.error.validation_errors).toHaveProperty(['properties.kind']);

    const list = await unwrap(
      client.GET('/v1/credentials', { params: { query: { limit: 10, provider: 'salesforce' } } }),
    );
    expect(list.data.map((c) => c.id)).toEqual([imported.id]);
    const got = await unwrap(client.GET('/v1/credentials/{id}', { params: { path: { id: imported.id } } }));
    expect(got.health.status).toBe('pending');

    const deleted = await unwrap(client.DELETE('/v1/credentials/{id}', { params: { path: { id: imported.id } } }));
    expect(deleted).toEqual({ id: imported.id, deleted: true });
    const gone = await client.GET('/v1/credentials/{id}', { params: { path: { id: imported.id } } });
    expect(gone.response.status).toBe(404);
    expect(gone.error?.summary).toMatch(/No credential/);
  });

  it('unwrap throws a CredvaultError with the status and the error body', async () => {
    const account = await server.newAccount();
    const client = createCredvaultClient({ url: server.url, token: account.token });
    // @ts-expect-error the secret is missing: the typed client refuses it, the server must too
    const err = await unwrap(client.POST('/v1/credentials', { body: { properties: { kind: 'stripe_key' } } })).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(CredvaultError);
    expect(err).toMatchObject({ status: 422, body: { validation_errors: { 'properties.secret': ['is required'] } } });
    const bad = createCredvaultClient({ url: server.url, token: 'wrong-token' });
    await expect(unwrap(bad.GET('/v1/accounts/me'))).rejects.toMatchObject({ status: 401 });
  });
});
