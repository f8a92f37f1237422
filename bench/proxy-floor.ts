/**
 * The floors of `npm run bench -- proxy`: a fake provider answering a small JSON body (ROLE=provider),
 * and a bare streaming reverse proxy to it, node:http with a keep-alive agent, no auth, no checks
 * (ROLE=floor: the floor). ROLE=floor-undici is the same relay with undici's pool as its
 * client (what credvault's proxy uses, src/net/pool.ts): a lower floor, printed beside the first so
 * the ratio is not read as more than it is (docs/performance.md, "Proxy: the outbound client").
 */
import http from 'node:http';
import { Pool } from 'undici';

const port = Number(process.env.PORT);
if (process.env.ROLE === 'provider') {
  const body = JSON.stringify({ object: 'list', data: [{ id: 'x_1', name: 'small answer' }], has_more: false });
  http
    .createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
        res.end(body);
      });
    })
    .listen(port, '127.0.0.1', () => console.log('provider listening'));
} else if (process.env.ROLE === 'floor-undici') {
  const target = new URL(process.env.TARGET ?? '');
  const pool = new Pool(target.origin, { connections: 64, pipelining: 1 });
  http
    .createServer((req, res) => {
      const path = (req.url ?? '/').replace(/^\/proxy/, '') || '/';
      pool.dispatch(
        {
          path,
          method: 'GET',
          headers: { accept: req.headers.accept ?? '*/*' },
        },
        {
          // Its presence selects undici's controller API (without it, the handler is read as the
          // legacy one). A caller gone mid-answer aborts the upstream request: a paused one would
          // otherwise wait for a 'drain' that never comes and hold its pooled connection for good.
          onRequestStart(c) {
            res.once('close', () => {
              if (!res.writableFinished) c.abort(new Error('caller gone'));
            });
          },
          onResponseStart(_c, status, headers) {
            res.writeHead(status, headers);
          },
          onResponseData(c, chunk) {
            if (!res.write(chunk)) {
              c.pause();
              res.once('drain', () => c.resume());
            }
          },
          onResponseEnd() {
            res.end();
          },
          onResponseError() {
            res.destroy();
          },
        },
      );
      req.resume();
    })
    .listen(port, '127.0.0.1', () => console.log('floor listening'));
} else {
  const target = new URL(process.env.TARGET ?? '');
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  http
    .createServer((req, res) => {
      const path = (req.url ?? '/').replace(/^\/proxy/, '') || '/';
      const out = http.request(
        {
          host: target.hostname,
          port: target.port,
          method: req.method,
          path,
          headers: { accept: req.headers.accept ?? '*/*' },
          agent,
        },
        (up) => {
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
        },
      );
      out.on('error', () => res.destroy());
      req.pipe(out);
    })
    .listen(port, '127.0.0.1', () => console.log('floor listening'));
}
