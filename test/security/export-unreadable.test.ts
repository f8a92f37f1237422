/** One envelope that cannot be decrypted fails its export item, not the whole page. */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Client, type Harness, startHarness } from '../support/harness.js';
import { STORE_KINDS } from '../support/stores.js';

type Item = { properties: Record<string, unknown>; error?: { credential_id: string; summary: string } };

describe.each(STORE_KINDS)('export with an undecryptable envelope on %s', (store) => {
  let h: Harness;
  let c: Client;
  beforeAll(async () => {
    h = await startHarness(store);
    c = await h.newAccount();
  });
  afterAll(async () => h?.close());

  it('answers the page with a per-item error for that credential, and audits only what it revealed', async () => {
    const good = await c.json<{ id: string }>('POST', '/v1/credentials', {
      properties: { kind: 'stripe_key', secret: 'sk_live_goodExport1' },
    });
    const bad = await c.json<{ id: string }>('POST', '/v1/credentials', {
      properties: { kind: 'sendgrid_key', api_key: 'SG.bad.export' },
    });
    // Another credential's envelope in its place: authenticated for another place, so it cannot be opened here.
    const other = await h.rt.store.db
      .selectFrom('credentials')
      .select('secrets')
      .where('id', '=', good.body.id)
      .executeTakeFirstOrThrow();
    const envelope = (other.secrets as Record<string, string>).secret ?? '';
    await sql`update credentials set secrets = jsonb_build_object('api_key', ${envelope}::text) where id = ${bad.body.id}`.execute(
      h.rt.store.db,
    );
    const res = await c.json<{ data: Item[] }>('GET', '/v1/credentials/export?include_secrets=true');
    expect(res.status).toBe(200);
    expect(res.body.data).toHaveLength(2);
    const failed = res.body.data.find((d) => d.error);
    expect(failed?.error?.credential_id).toBe(bad.body.id);
    expect(failed?.properties).not.toHaveProperty('api_key');
    expect(JSON.stringify(res.body)).not.toContain(envelope);
    const ok = res.body.data.find((d) => !d.error);
    expect(ok?.properties.secret).toBe('sk_live_goodExport1');
    const audit = await c.json<{ data: Array<{ action: string; credential_id: string | null }> }>(
      'GET',
      '/v1/audit-events',
    );
    const reveals = audit.body.data
      .filter((e) => e.action === 'credential.secret_revealed')
      .map((e) => e.credential_id);
    expect(reveals).toEqual([good.body.id]);
  });
});
