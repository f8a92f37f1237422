import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KIND_SPECS } from '../../src/providers/registry.js';
import { KINDS } from '../../src/providers/registry.js';
import { FIXTURES } from '../providers/fixtures.js';
import { createOAuthApp } from '../support/api.js';
import { type Harness, startHarness } from '../support/harness.js';
import { STORE_KINDS } from '../support/stores.js';

const MARKER = 'MRKq7Zx93Leak';
// A non-secret value seeded the same way: found by the same searches, it proves they can see.
const CONTROL = 'CTRLv8Pw21Seen';

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

/** Every kind's fixture with each secret carrying the marker (keeping required prefixes). */
function markedProps(kind: (typeof KINDS)[number]): Record<string, unknown> {
  const props = { ...FIXTURES[kind].valid };
  for (const f of KIND_SPECS[kind].secretFields) {
    const v = props[f];
    props[f] = `${typeof v === 'string' ? v : 'x'}${MARKER}${f}`;
  }
  return props;
}

describe.each(STORE_KINDS)('no plaintext secret anywhere on %s', (store) => {
  let h: Harness;
  let dataDir: string | undefined;
  const answers: string[] = [];
  beforeAll(async () => {
    dataDir = store === 'pglite' ? mkdtempSync(join(tmpdir(), 'credvault-leak-')) : undefined;
    h = await startHarness(store, { LOG_LEVEL: 'trace' }, dataDir ? { dataDir } : {});
  });
  afterAll(async () => {
    await h?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('seeds marker secrets through every path, then finds them in no answer, log line or table', async () => {
    const c = await h.newAccount();
    const record = async (method: string, url: string, body?: unknown, headers?: Record<string, string>) => {
      const res = await c.req(method, url, body, headers);
      answers.push(res.body);
      return res;
    };
    const apps: Record<string, string> = {};
    for (const kind of KINDS) {
      const spec = KIND_SPECS[kind];
      apps[spec.provider] ??= await createOAuthApp(c, spec.provider, {
        client_secret: `cs-${MARKER}`,
        // hosts: the per-instance kinds' hosts this app's secret may go to (issue 13 item 1).
        settings: {
          app_id: 1,
          private_key: `pk-${MARKER}`,
          login_url: 'https://login.salesforce.com',
          hosts: 'acme.service-now.com, wd2-impl-services1.workday.com, acme.us.auth0.com',
        },
      });
      const body = {
        properties: { kind, ...markedProps(kind) },
        oauth_app_id: apps[spec.provider],
        metadata: { note: CONTROL },
      };
      const ok = await record('POST', '/v1/credentials', body, { 'idempotency-key': `leak-${kind}` });
      expect(ok.statusCode, kind).toBe(200);
      await record('POST', '/v1/credentials', body, { 'idempotency-key': `leak-${kind}` });
      // Error paths with the marker in the body: unknown field, wrong type, bad kind, bad JSON.
      await record('POST', '/v1/credentials', { ...body, properties: { ...body.properties, extra: MARKER } });
      await record('POST', '/v1/credentials', {
        ...body,
        properties: { ...body.properties, [spec.secretFields[0] ?? 'x']: 12 },
      });
      await record('POST', '/v1/credentials', { properties: { kind: `${MARKER}`, secret: MARKER } });
      await record('POST', '/v1/credentials', `{"properties":{"secret":"${MARKER}"`);
      await record('PATCH', `/v1/credentials/${(ok.json() as { id: string }).id}`, { name: 'n', secret: MARKER });
    }
    await record('GET', '/v1/credentials?limit=500');
    await record('GET', '/v1/oauth-apps');
    await record('POST', '/v1/oauth-apps', {
      name: 'x',
      provider: 'stripe',
      client_id: 'c',
      client_secret: MARKER,
      bogus: MARKER,
    });

    for (const a of answers) expect(a).not.toContain(MARKER);
    expect(h.logs.length).toBeGreaterThan(0);
    for (const line of h.logs) expect(line).not.toContain(MARKER);

    const tables = await sql<{
      table_name: string;
    }>`select table_name from information_schema.tables where table_schema = 'public'`.execute(h.rt.store.db);
    expect(tables.rows.length).toBeGreaterThanOrEqual(7);
    let rows = 0;
    let controlSeen = false;
    for (const { table_name } of tables.rows) {
      const dump = await sql<{ j: string }>`select row_to_json(t)::text as j from ${sql.table(table_name)} t`.execute(
        h.rt.store.db,
      );
      rows += dump.rows.length;
      for (const r of dump.rows) {
        expect(r.j, table_name).not.toContain(MARKER);
        if (r.j.includes(CONTROL)) controlSeen = true;
      }
    }
    expect(rows).toBeGreaterThan(KINDS.length);
    expect(controlSeen).toBe(true);

    if (dataDir) {
      await sql`checkpoint`.execute(h.rt.store.db);
      const files = filesUnder(dataDir);
      expect(files.length).toBeGreaterThan(10);
      let controlInFiles = false;
      for (const f of files) {
        const bytes = readFileSync(f);
        expect(bytes.includes(MARKER), f).toBe(false);
        if (bytes.includes(CONTROL)) controlInFiles = true;
      }
      expect(controlInFiles).toBe(true);
    }
  });
});
