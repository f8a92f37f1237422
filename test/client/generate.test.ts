/** The committed client types are exactly what the current schemas generate: they cannot drift. */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { GENERATED_PATH, generateClientTypes } from '../../scripts/generate-client.js';

describe('generated client types', () => {
  it('src/client/generated/openapi.ts matches a fresh generation (run `npm run generate:client` when it does not)', async () => {
    const committed = await readFile(GENERATED_PATH, 'utf8');
    const fresh = await generateClientTypes();
    expect(
      fresh === committed,
      'src/client/generated/openapi.ts is stale: run `npm run generate:client` and commit the result',
    ).toBe(true);
  });

  it('types every /v1 route the app serves', async () => {
    const text = await readFile(GENERATED_PATH, 'utf8');
    for (const path of [
      '/v1/credentials',
      '/v1/credentials/{id}',
      '/v1/credentials/bulk',
      '/v1/credentials/export',
      '/v1/oauth-apps',
      '/v1/api-tokens',
      '/v1/accounts',
    ]) {
      expect(text).toContain(`"${path}": {`);
    }
  });
});
