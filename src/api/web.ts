/**
 * The web UI: the SPA built by Vite (dist/web) served at `/`, with index.html for every page path
 * that is not a file, so reloading a deep link works. `/api/*` and `/metrics` never get the page:
 * an unknown API path still answers the JSON 404. The build writes `.br` and `.gz` beside each
 * text asset (web/precompress.ts); they are sent as they are to a browser that accepts them, with
 * `Vary: Accept-Encoding`, so no request pays for compressing. The page itself comes in two forms,
 * compressed once at start: with the plain sign-in form (web/sign-in-html.ts) for a browser
 * without a session, without it for one that is signed in.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** dist/web of this package; the same from src/api (tsx) and from dist/api (built). */
export const DEFAULT_WEB_ROOT = fileURLToPath(new URL('../../dist/web/', import.meta.url));

/**
 * The page's own inline script (the plain sign-in form's, web/sign-in-html.ts) is allowed by its
 * hash, nothing else inline; Mantine sets inline styles.
 */
function pageHeaders(scriptHashes: string[]): Record<string, string> {
  const scripts = ["'self'", ...scriptHashes.map((h) => `'sha256-${h}'`)].join(' ');
  return {
    'content-security-policy': `default-src 'self'; script-src ${scripts}; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'`,
    'referrer-policy': 'same-origin',
  };
}

/** The inline scripts of a page, by the hash a content security policy names them with. */
export function inlineScriptHashes(html: string): string[] {
  return [...html.matchAll(/<script(?![^>]*\bsrc=)[^>]*>([\s\S]*?)<\/script>/g)].map((match) =>
    createHash('sha256')
      .update(match[1] ?? '')
      .digest('base64'),
  );
}

/** What web/sign-in-html.ts puts around the plain sign-in form (kept in step with it). */
const SIGN_IN_BLOCK = /<!--hv-sign-in-->[\s\S]*?<!--\/hv-sign-in-->\n?/;

/** A page, with its compressed forms made once, as web/precompress.ts does for the assets. */
interface Page {
  raw: Buffer;
  br: Buffer;
  gzip: Buffer;
}

function page(html: string): Page {
  const raw = Buffer.from(html);
  return {
    raw,
    br: brotliCompressSync(raw, {
      params: {
        [constants.BROTLI_PARAM_QUALITY]: 11,
        [constants.BROTLI_PARAM_SIZE_HINT]: raw.length,
      },
    }),
    gzip: gzipSync(raw, { level: constants.Z_BEST_COMPRESSION }),
  };
}

/** Brotli, else gzip, else none, as the browser accepts them (q=0 refuses one). */
function encodingFor(accept: string): 'br' | 'gzip' | undefined {
  const accepted = (name: string) =>
    accept.split(',').some((part) => {
      const [token, ...params] = part.trim().toLowerCase().split(';');
      if (token !== name && token !== '*') return false;
      const q = params.map((p) => /^\s*q=([\d.]+)/.exec(p)?.[1]).find(Boolean);
      return q === undefined || Number(q) > 0;
    });
  if (accepted('br')) return 'br';
  if (accepted('gzip')) return 'gzip';
  return undefined;
}

const NOT_BUILT =
  'The web UI has not been built. Run `npm run build:web`, then restart the service.\n';

export interface WebUiOptions {
  /**
   * Whether the request comes from a browser that is signed in: its page leaves the plain
   * sign-in form out (it would show until the app took over).
   */
  signedIn?: (request: FastifyRequest) => Promise<boolean>;
}

/**
 * Registers the static files; returns the fallback for the not-found handler, which answers
 * page requests with index.html and leaves everything else (undefined) to the JSON 404.
 */
export function serveWebUi(
  app: FastifyInstance,
  root: string,
  options: WebUiOptions = {},
): (request: FastifyRequest, reply: FastifyReply) => Promise<unknown> | undefined {
  const dir = resolve(root);
  const assets = join(dir, 'assets') + sep;
  const index = join(dir, 'index.html');
  const built = existsSync(index);
  const html = built ? readFileSync(index, 'utf8') : '';
  const headers = pageHeaders(inlineScriptHashes(html));
  const signedOutPage = page(html);
  const signedInPage = page(html.replace(SIGN_IN_BLOCK, ''));
  if (built) {
    void app.register(fastifyStatic, {
      root: dir,
      prefix: '/',
      wildcard: true,
      // `/` is a page like the others: answered below, with or without the sign-in form.
      index: false,
      cacheControl: false,
      preCompressed: true,
      setHeaders(reply, path) {
        // Vite names assets by content hash: cache them for good; the page itself never.
        const asset = path.startsWith(assets);
        reply.header('cache-control', asset ? 'public, max-age=31536000, immutable' : 'no-cache');
        // `path` is the file sent: index.html.br when the browser took brotli.
        if (/\.html(\.br|\.gz)?$/.test(path)) reply.headers(headers);
      },
    });
  }
  const sendPage = async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    const signedIn = (await options.signedIn?.(request).catch(() => false)) ?? false;
    const chosen = signedIn ? signedInPage : signedOutPage;
    const encoding = encodingFor(String(request.headers['accept-encoding'] ?? ''));
    reply.headers({
      ...headers,
      'cache-control': 'no-cache',
      vary: 'Accept-Encoding, Cookie',
      'content-type': 'text/html; charset=utf-8',
    });
    if (encoding) reply.header('content-encoding', encoding);
    return reply.send(encoding ? chosen[encoding] : chosen.raw);
  };
  // `/` by its own route (the static files' wildcard would answer it with a 403 without an index).
  if (built) app.get('/', sendPage);
  return (request, reply) => {
    if (!isPageRequest(request)) return undefined;
    if (!built)
      return Promise.resolve(reply.code(503).type('text/plain; charset=utf-8').send(NOT_BUILT));
    return sendPage(request, reply);
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
