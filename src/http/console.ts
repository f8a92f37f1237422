/**
 * The console: a single-page app built by Vite from console/ into dist/console/ (`npm run build`)
 * and served here, same origin as the API, under a strict Content-Security-Policy
 * (docs/console.md). Every call it makes goes through the public API with the operator's token.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';

/** No inline script or style, no other origin, never framed. */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * Where the built console is: dist/console next to the compiled server (dist/src/http), or, when
 * the server runs from its TypeScript sources (tests), the repository's dist/console.
 */
export function findConsoleRoot(): string | undefined {
  // From the sources, ../../console is the console's own source folder: only a built one has assets/.
  const candidates = [new URL('../../dist/console/', import.meta.url), new URL('../../console/', import.meta.url)];
  for (const c of candidates) {
    const dir = fileURLToPath(c);
    if (existsSync(`${dir}index.html`) && existsSync(`${dir}assets`)) return dir;
  }
  return undefined;
}

function secure(reply: FastifyReply): FastifyReply {
  return reply
    .header('content-security-policy', CONSOLE_CSP)
    .header('x-content-type-options', 'nosniff')
    .header('x-frame-options', 'DENY')
    .header('referrer-policy', 'no-referrer')
    .header('cross-origin-opener-policy', 'same-origin');
}

/** Hashed asset names only (Vite's output): anything else is the app's own route. */
const ASSET = /^assets\/[A-Za-z0-9._-]+$/;

export async function registerConsole(
  app: FastifyInstance,
  root: string | undefined = findConsoleRoot(),
): Promise<void> {
  await app.register(async (scope) => {
    if (root) await scope.register(fastifyStatic, { root, serve: false });
    const page = (path: string, reply: FastifyReply) => {
      secure(reply);
      if (!root) {
        return reply.code(503).send({ summary: 'The console is not built: run `npm run build` (npm ci does it).' });
      }
      if (ASSET.test(path)) return reply.header('cache-control', 'public, max-age=31536000, immutable').sendFile(path);
      // Every other path under /console/ is a page of the app: its routes live in the browser.
      return reply.header('cache-control', 'no-cache').sendFile('index.html');
    };
    // The router ignores trailing slashes, so /console also lands on the first: send it to /console/.
    scope.get('/console/', { schema: { hide: true } }, (req, reply) =>
      req.url.split('?')[0] === '/console' ? reply.redirect('/console/', 301) : page('', reply),
    );
    scope.get<{ Params: { '*': string } }>('/console/*', { schema: { hide: true } }, (req, reply) =>
      page(req.params['*'], reply),
    );
  });
}
