/**
 * The web UI: the SPA built by Vite (dist/web) served at `/`, with index.html for every page path
 * that is not a file, so reloading a deep link works. `/api/*` and `/metrics` never get the page:
 * an unknown API path still answers the JSON 404. The build writes `.br` and `.gz` beside each
 * text asset (web/precompress.ts); they are sent as they are to a browser that accepts them, with
 * `Vary: Accept-Encoding`, so no request pays for compressing.
 */
import { existsSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** dist/web of this package; the same from src/api (tsx) and from dist/api (built). */
export const DEFAULT_WEB_ROOT = fileURLToPath(new URL('../../dist/web/', import.meta.url));

/** The page talks only to its own origin; Mantine sets inline styles, nothing else is inline. */
const PAGE_HEADERS: Record<string, string> = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'",
  'referrer-policy': 'same-origin',
};

const NOT_BUILT =
  'The web UI has not been built. Run `npm run build:web`, then restart the service.\n';

/**
 * Registers the static files; returns the fallback for the not-found handler, which answers
 * page requests with index.html and leaves everything else (undefined) to the JSON 404.
 */
export function serveWebUi(
  app: FastifyInstance,
  root: string,
): (request: FastifyRequest, reply: FastifyReply) => FastifyReply | undefined {
  const dir = resolve(root);
  const assets = join(dir, 'assets') + sep;
  const built = existsSync(join(dir, 'index.html'));
  if (built) {
    void app.register(fastifyStatic, {
      root: dir,
      prefix: '/',
      wildcard: true,
      index: ['index.html'],
      cacheControl: false,
      preCompressed: true,
      setHeaders(reply, path) {
        // Vite names assets by content hash: cache them for good; the page itself never.
        const asset = path.startsWith(assets);
        reply.header('cache-control', asset ? 'public, max-age=31536000, immutable' : 'no-cache');
        // `path` is the file sent: index.html.br when the browser took brotli.
        if (/\.html(\.br|\.gz)?$/.test(path)) reply.headers(PAGE_HEADERS);
      },
    });
  }
  return (request, reply) => {
    if (!isPageRequest(request)) return undefined;
    if (!built) return reply.code(503).type('text/plain; charset=utf-8').send(NOT_BUILT);
    return reply.headers({ ...PAGE_HEADERS, 'cache-control': 'no-cache' }).sendFile('index.html');
  };
}

/**
 * A browser asking for a page: GET or HEAD outside the API, for HTML, of a path without a file
 * extension (a missing /assets/old.js must not come back as the page).
 */
function isPageRequest(request: FastifyRequest): boolean {
  if (request.method !== 'GET' && request.method !== 'HEAD') return false;
  const path = request.url.split('?')[0] ?? '';
  if (path.startsWith('/api/') || path === '/api' || path === '/metrics') return false;
  if (/\.[A-Za-z0-9]+$/.test(path)) return false;
  const accept = request.headers.accept ?? '';
  return accept === '' || accept.includes('text/html') || accept.includes('*/*');
}
