/**
 * The search UI under `/o/:org`: the search page, and the results of searching within one
 * document (for the box on the document page). Both are plain GET pages that work without
 * JavaScript; htmx requests get the results region only, and the address bar follows the
 * query so a search can be bookmarked. `views/assets/search.js` adds the keyboard.
 */
import { type Context, Hono } from 'hono';
import { PageHeader } from '../../../views/components';
import { requireUser } from '../../platform/http/auth';
import { renderFragment } from '../../platform/http/render';
import { type AppEnv, isHtmx } from '../../platform/http/types';
import { AppError } from '../../shared/errors';
import { AskBox } from '../answers/answer.views';
import { getDocument } from '../documents/document.service';
import { listTypes } from '../extraction/doctype.service';
import { tenant } from '../orgs/tenant';
import { page } from '../web/shell';
import { SEARCH_MODES, search, type SearchMode, type SearchQuery, type SearchResponse } from './search.service';
import { DocumentSearchBox, DocumentSearchResults, PER_PAGE, SearchForm, SearchResults, searchHref, type SearchState } from './search.views';

type C = Context<AppEnv>;

/** An htmx request for a fragment; a history restore wants the whole page. */
function wantsFragment(c: C): boolean {
  return isHtmx(c) && c.req.header('HX-History-Restore-Request') !== 'true';
}

const isFlag = (v: string | undefined) => v === '1' || v === 'true';

/** The page's state from its query string; the search service judges the values. */
function stateOf(c: C): SearchState {
  const raw = c.req.query();
  const tags = (c.req.queries('tags') ?? []).flatMap((t) => t.split(',')).map((t) => t.trim().toLowerCase()).filter(Boolean);
  const offset = Number(raw.offset);
  const opt = (v: string | undefined) => (v ? v : undefined);
  return {
    q: raw.q ?? '',
    mode: (SEARCH_MODES as readonly string[]).includes(raw.mode ?? '') ? (raw.mode as SearchMode) : 'hybrid',
    folder: opt(raw.folder), tags: [...new Set(tags)], type: opt(raw.type), owner: opt(raw.owner), status: opt(raw.status), from: opt(raw.from), to: opt(raw.to),
    offset: Number.isInteger(offset) && offset > 0 ? offset : 0,
  };
}

/** Runs the search; a value the service refuses becomes a message on the page. */
async function run(c: C, input: SearchQuery): Promise<{ r?: SearchResponse; error?: string }> {
  try {
    return { r: await search(c.get('ctx'), c.get('actor')!, input) };
  } catch (err) {
    if (err instanceof AppError && err.code === 'validation_failed') return { error: err.message };
    throw err;
  }
}

/**
 * Where the address bar goes after an htmx search: replaced while typing (and when it is
 * already there), pushed for a finished search, a filter, a mode or a page, so Back steps
 * through searches rather than keystrokes.
 */
function setHistory(c: C, href: string, typing: boolean) {
  let current = '';
  try {
    const u = new URL(c.req.header('HX-Current-URL') ?? '');
    current = u.pathname + u.search;
  } catch {
    current = '';
  }
  c.header(typing || current === href ? 'HX-Replace-Url' : 'HX-Push-Url', href);
}

async function searchView(c: C) {
  const slug = c.get('org')!.slug;
  const raw = c.req.query();
  const s = stateOf(c);
  const typing = isFlag(raw.prefix);
  // Values go to the service as given (it refuses a bad mode, status, date or offset).
  const { r, error } = await run(c, {
    q: s.q, mode: (raw.mode || undefined) as SearchQuery['mode'], limit: PER_PAGE, offset: raw.offset || undefined, folder: s.folder, tags: s.tags.length ? s.tags : undefined,
    type: s.type, owner: s.owner, status: s.status as SearchQuery['status'], from: s.from, to: s.to, prefix: typing,
  });
  // Document types by name rather than key, in the facets and on the results.
  const typeNames = r?.facets.type.length ? new Map((await listTypes(c.get('ctx'), c.get('actor')!)).map((t) => [t.key, t.name])) : undefined;
  if (wantsFragment(c)) {
    setHistory(c, searchHref(slug, s), typing);
    return renderFragment(c, <SearchResults slug={slug} s={s} r={r} error={error} typeNames={typeNames} />);
  }
  return page(c, { title: s.q.trim() ? `Search: ${s.q.trim()}` : 'Search', active: 'search', status: error ? 400 : 200 }, (
    <div class="searchpage">
      <PageHeader title="Search" />
      <SearchForm slug={slug} s={s} />
      {/* The folder filter joins the ask form from inside the results (see ActiveFilters), so it follows htmx searches. */}
      <AskBox slug={slug} hint="Answers come from the documents you can read, within the folder filter when one is set, with a link to the page behind each statement." />
      <div id="search-results">
        <SearchResults slug={slug} s={s} r={r} error={error} typeNames={typeNames} />
      </div>
      <script src="/assets/search.js" defer></script>
    </div>
  ));
}

/** Passages shown when searching within one document. */
const IN_DOCUMENT = 100;

async function documentSearchView(c: C) {
  const ctx = c.get('ctx');
  const actor = c.get('actor')!;
  const slug = c.get('org')!.slug;
  const d = await getDocument(ctx, actor, c.req.param('id')!);
  const q = c.req.query('q') ?? '';
  const mode = (SEARCH_MODES as readonly string[]).includes(c.req.query('mode') ?? '') ? (c.req.query('mode') as SearchMode) : 'hybrid';
  const r = await search(ctx, actor, { q, mode, limit: IN_DOCUMENT, document: d.id, prefix: isFlag(c.req.query('prefix')) });
  const results = <DocumentSearchResults slug={slug} q={q} r={r} />;
  if (wantsFragment(c)) return renderFragment(c, results);
  return page(c, { title: `Search in ${d.name}`, active: 'documents' }, (
    <div class="docview">
      <p class="crumbs">
        <a href={`/o/${slug}/documents`}>Documents</a> › <a href={`/o/${slug}/documents/${d.id}`}>{d.name}</a>
      </p>
      <PageHeader title={`Search in ${d.name}`} />
      <DocumentSearchBox slug={slug} documentId={d.id} q={q}>{results}</DocumentSearchBox>
    </div>
  ));
}

/** The search pages, mounted at `/o/:org`. Each route authenticates and resolves the organization itself. */
export function searchPages() {
  const app = new Hono<AppEnv>();
  app.get('/search', requireUser, tenant, (c) => searchView(c));
  app.get('/documents/:id/search', requireUser, tenant, (c) => documentSearchView(c));
  return app;
}
