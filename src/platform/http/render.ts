import type { Context } from 'hono';
import type { VNode } from 'preact';
import { renderToString } from 'preact-render-to-string';

/** Sends a whole page. */
export function renderPage(c: Context, node: VNode, status = 200) {
  return c.html(`<!doctype html>${renderToString(node)}`, status as 200);
}

/** Sends a fragment (htmx swaps). */
export function renderFragment(c: Context, node: VNode, status = 200) {
  return c.html(renderToString(node), status as 200);
}
