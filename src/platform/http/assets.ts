import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Hono } from 'hono';

const require = createRequire(import.meta.url);
const VIEWS = fileURLToPath(new URL('../../../views/assets/', import.meta.url));

/** Files served under /assets: our own, and browser libraries from node_modules. Never a CDN. */
const FILES: Record<string, { path: string; type: string }> = {
  'folio.css': { path: `${VIEWS}folio.css`, type: 'text/css; charset=utf-8' },
  'folio.js': { path: `${VIEWS}folio.js`, type: 'text/javascript; charset=utf-8' },
  'review.js': { path: `${VIEWS}review.js`, type: 'text/javascript; charset=utf-8' },
  'search.js': { path: `${VIEWS}search.js`, type: 'text/javascript; charset=utf-8' },
  'ask.js': { path: `${VIEWS}ask.js`, type: 'text/javascript; charset=utf-8' },
  'favicon.svg': { path: `${VIEWS}favicon.svg`, type: 'image/svg+xml' },
  'htmx.min.js': { path: require.resolve('htmx.org/dist/htmx.min.js'), type: 'text/javascript; charset=utf-8' },
};

/** Static assets, read once and cached by browsers for an hour. */
export function assetRoutes() {
  const cache = new Map<string, Buffer>();
  const app = new Hono();
  app.get('/:name', (c) => {
    const f = FILES[c.req.param('name')];
    if (!f) return c.notFound();
    let body = cache.get(f.path);
    if (!body) {
      body = readFileSync(f.path);
      cache.set(f.path, body);
    }
    c.header('Content-Type', f.type);
    c.header('Cache-Control', 'public, max-age=3600');
    return c.body(new Uint8Array(body));
  });
  return app;
}
