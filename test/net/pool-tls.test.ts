/**
 * The proxy's pooled client over TLS (src/net/pool.ts on undici): the connection goes to the
 * pinned, checked address, but SNI and the certificate check use the URL's host name, and a
 * certificate no system CA signed is refused (nothing is sent).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStreamingHttp } from '../../src/net/pool.js';

describe('streaming client over TLS', () => {
  let server: Server;
  let port = 0;
  const names: string[] = [];
  let requests = 0;
  const dir = mkdtempSync(join(tmpdir(), 'cv-tls-'));

  beforeAll(async () => {
    // A self-signed certificate for svc.internal (openssl is part of the machine's base system).
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-subj',
        '/CN=svc.internal',
        '-addext',
        'subjectAltName=DNS:svc.internal',
        '-days',
        '1',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    server = createServer(
      {
        key: readFileSync(join(dir, 'key.pem')),
        cert: readFileSync(join(dir, 'cert.pem')),
        SNICallback: (name, cb) => {
          names.push(name);
          cb(null);
        },
      },
      (_req, res) => {
        requests++;
        res.end('secret answer');
      },
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('sends the host name as SNI to the pinned address, and refuses a certificate no trusted CA signed', async () => {
    const client = createStreamingHttp({
      allowedOrigins: [`https://svc.internal:${port}`],
      lookup: async () => ['127.0.0.1'],
    });
    const r = await client.request({
      method: 'GET',
      url: `https://svc.internal:${port}/v1/things`,
      headers: { authorization: 'Bearer not-for-an-impostor' },
      timeoutMs: 3000,
    });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.reason).toBe('network_error');
      expect(r.message).toMatch(/^TLS with svc\.internal:\d+ failed \(/);
    }
    expect(names).toEqual(['svc.internal']);
    expect(requests).toBe(0);
    client.close();
  });
});
