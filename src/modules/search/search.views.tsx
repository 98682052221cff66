import type { ComponentChildren } from 'preact';
import { StatusBadge } from '../documents/document.views';
import type { FacetValue, SearchHit, SearchMode, SearchResponse } from './search.service';

/** Results per page on the search page. */
export const PER_PAGE = 20;

/** What a search page shows: the query, the mode, the filters and the position. */
export interface SearchState {
  q: string;
  mode: SearchMode;
  folder?: string;
  tags: string[];
  type?: string;
  owner?: string;
  status?: string;
  from?: string;
  to?: string;
  offset: number;
}

type FacetKey = 'type' | 'tags' | 'folder' | 'owner' | 'status';

const MODE_LABEL: Record<SearchMode, string> = { hybrid: 'Words and meaning', keyword: 'Exact words', semantic: 'Meaning only' };

/** The search page's address for a state, leaving out what is default. */
export function searchHref(slug: string, s: SearchState, change: Partial<SearchState> = {}): string {
  const m = { ...s, ...change };
  const params = new URLSearchParams();
  if (m.q) params.set('q', m.q);
  if (m.mode !== 'hybrid') params.set('mode', m.mode);
  for (const key of ['type', 'folder', 'owner', 'status'] as const) if (m[key]) params.set(key, m[key]!);
  if (m.tags.length) params.set('tags', m.tags.join(','));
  if (m.from) params.set('from', m.from);
  if (m.to) params.set('to', m.to);
  if (m.offset > 0) params.set('offset', String(m.offset));
  const qs = params.toString();
  return `/o/${slug}/search${qs ? `?${qs}` : ''}`;
}

/** A document at the page of a passage, with its matched words to highlight there. */
export function hitHref(slug: string, hit: Pick<SearchHit, 'documentId' | 'page' | 'matched'>): string {
  const hl = hit.matched.length ? `&hl=${encodeURIComponent(hit.matched.join(','))}` : '';
  return `/o/${slug}/documents/${hit.documentId}?page=${hit.page}${hl}#page-${hit.page}`;
}

/**
 * A snippet from the search service: HTML it built itself, every word of the document
 * escaped, with only its own `<mark>` elements. This is the one place search output is
 * rendered as HTML; everything else is text.
 */
function Snippet({ html }: { html: string }) {
  return <p class="snippet" dangerouslySetInnerHTML={{ __html: html }} />;
}

/**
 * The search form: a plain GET form without JavaScript; with htmx the results follow the
 * typing (search.js adds `prefix=1` to requests made while typing), and a change of mode or
 * dates searches again. Facet filters live in the results, tied to this form by `form=`.
 */
export function SearchForm({ slug, s }: { slug: string; s: SearchState }) {
  const action = `/o/${slug}/search`;
  const hx = { 'hx-get': action, 'hx-include': 'closest form', 'hx-target': '#search-results', 'hx-push-url': 'true', 'hx-sync': '#search-form:replace' };
  return (
    <form id="search-form" method="get" action={action} role="search" class="filters searchform" data-search-form>
      <label for="search-q" class="sr-only">Search documents</label>
      <input
        id="search-q"
        type="search"
        name="q"
        value={s.q}
        placeholder="Search the text of your documents"
        class="filters-q"
        autocomplete="off"
        autofocus={!s.q}
        maxLength={1000}
        data-search-box
        aria-controls="search-results"
        aria-keyshortcuts="/"
        {...hx}
        hx-trigger="input changed delay:250ms, search"
      />
      <span class="inline" {...hx} hx-trigger="change">
        <label for="search-mode" class="sr-only">Search by</label>
        <select id="search-mode" name="mode">
          {(Object.keys(MODE_LABEL) as SearchMode[]).map((m) => <option value={m} selected={s.mode === m}>{MODE_LABEL[m]}</option>)}
        </select>
        <label for="search-from" class="small">Added from</label>
        <input id="search-from" type="date" name="from" value={s.from ?? ''} />
        <label for="search-to" class="small">to</label>
        <input id="search-to" type="date" name="to" value={s.to ?? ''} />
      </span>
      <button type="submit">Search</button>
    </form>
  );
}

const FACETS: { key: FacetKey; facet: keyof SearchResponse['facets']; title: string }[] = [
  { key: 'type', facet: 'type', title: 'Type' },
  { key: 'tags', facet: 'tag', title: 'Tags' },
  { key: 'folder', facet: 'folder', title: 'Folder' },
  { key: 'owner', facet: 'owner', title: 'Owner' },
  { key: 'status', facet: 'status', title: 'Status' },
];

function isActive(s: SearchState, key: FacetKey, value: string): boolean {
  return key === 'tags' ? s.tags.includes(value.toLowerCase()) : s[key] === value;
}

/** The state with a facet value switched on or off, back on the first page. */
function toggled(s: SearchState, key: FacetKey, value: string): Partial<SearchState> {
  if (key === 'tags') {
    const v = value.toLowerCase();
    return { tags: s.tags.includes(v) ? s.tags.filter((t) => t !== v) : [...s.tags, v], offset: 0 };
  }
  return { [key]: s[key] === value ? undefined : value, offset: 0 };
}

/** A link that loads a state: a plain link, and an htmx swap of the results when htmx runs. */
function StateLink({ href, children, ...rest }: { href: string; children: ComponentChildren; class?: string; rel?: string; 'aria-current'?: 'true'; 'data-facet'?: string }) {
  return <a href={href} hx-get={href} hx-target="#search-results" hx-push-url="true" hx-sync="#search-form:replace" {...rest}>{children}</a>;
}

function FacetGroup({ slug, s, title, k, values, labels }: { slug: string; s: SearchState; title: string; k: FacetKey; values: FacetValue[]; labels: Map<string, string> }) {
  return (
    <section class="card facets" aria-label={`Filter by ${title.toLowerCase()}`}>
      <h2>{title}</h2>
      <ul class="attachments">
        {values.map((v) => {
          const on = isActive(s, k, v.value);
          return (
            <li>
              <StateLink href={searchHref(slug, s, toggled(s, k, v.value))} class="facet" aria-current={on ? 'true' : undefined} data-facet={`${k}:${v.value}`}>
                <span aria-hidden="true">{on ? '☑ ' : '☐ '}</span>
                {labels.get(`${k}:${k === 'tags' ? v.value.toLowerCase() : v.value}`) ?? v.label}
                {on && <span class="sr-only"> (selected)</span>}
              </StateLink>
              <span class="muted small">{v.count}</span>
            </li>
          );
        })}
      </ul>
    </section>
  );
}

/** The filters in force, each with a link that removes it; hidden inputs keep them in the form. */
function ActiveFilters({ slug, s, labels }: { slug: string; s: SearchState; labels: Map<string, string> }) {
  const active: { key: FacetKey; value: string }[] = [
    ...(['type', 'folder', 'owner', 'status'] as const).flatMap((key) => (s[key] ? [{ key, value: s[key]! }] : [])),
    ...s.tags.map((value) => ({ key: 'tags' as const, value })),
  ];
  return (
    <>
      {(['type', 'folder', 'owner', 'status'] as const).map((key) => s[key] && <input type="hidden" name={key} value={s[key]} form="search-form" />)}
      {s.tags.length > 0 && <input type="hidden" name="tags" value={s.tags.join(',')} form="search-form" />}
      {s.folder && <input type="hidden" name="folderId" value={s.folder} form="ask-form" />}
      {active.length > 0 && (
        <p class="taglist activefilters">
          <span class="muted small">Filtered by</span>
          {active.map((f) => (
            <StateLink href={searchHref(slug, s, toggled(s, f.key, f.value))} class="tag" data-facet={`${f.key}:${f.value}`}>
              {FACETS.find((x) => x.key === f.key)!.title}: {labels.get(`${f.key}:${f.value}`) ?? f.value} <span aria-hidden="true">×</span>
              <span class="sr-only"> (remove)</span>
            </StateLink>
          ))}
          <StateLink href={searchHref(slug, s, { type: undefined, folder: undefined, owner: undefined, status: undefined, tags: [], offset: 0 })} class="small">Clear filters</StateLink>
        </p>
      )}
    </>
  );
}

function SearchPager({ slug, s, total }: { slug: string; s: SearchState; total: number }) {
  if (total <= PER_PAGE && s.offset === 0) return null;
  const page = Math.floor(s.offset / PER_PAGE) + 1;
  const pages = Math.max(1, Math.ceil(total / PER_PAGE));
  return (
    <nav class="pager" aria-label="Pages of results">
      <span class="spacer" />
      {s.offset > 0 ? (
        <StateLink href={searchHref(slug, s, { offset: Math.max(0, s.offset - PER_PAGE) })} rel="prev" class="button secondary small">← Previous</StateLink>
      ) : (
        <span class="button secondary small" aria-disabled="true">← Previous</span>
      )}
      <span class="pager-pos">Page {Math.min(page, pages)} of {pages}</span>
      {s.offset + PER_PAGE < total ? (
        <StateLink href={searchHref(slug, s, { offset: s.offset + PER_PAGE })} rel="next" class="button secondary small">Next →</StateLink>
      ) : (
        <span class="button secondary small" aria-disabled="true">Next →</span>
      )}
    </nav>
  );
}

/** One result: the document, the page and heading of its best passage, the snippet. */
function Hit({ slug, hit, labels }: { slug: string; hit: SearchHit; labels: Map<string, string> }) {
  return (
    <li class="card searchhit">
      <h3 class="searchhit-title">
        <a class="docname" href={hitHref(slug, hit)} data-search-hit>{hit.name}</a>
      </h3>
      <p class="muted small searchhit-meta">
        <span class="badge">Page {hit.page}</span>
        {hit.heading && <> {hit.heading}</>}
        {hit.type && <> <span class="badge badge--doctype">{labels.get(`type:${hit.type}`) ?? hit.type}</span></>}
        {hit.status !== 'ready' && <> <StatusBadge status={hit.status} /></>}
      </p>
      <Snippet html={hit.snippet} />
    </li>
  );
}

/**
 * The results region (the htmx partial): active filters, facets with counts, the notice,
 * the total, the results and the pages.
 */
export function SearchResults({ slug, s, r, error, typeNames }: { slug: string; s: SearchState; r?: SearchResponse; error?: string; typeNames?: Map<string, string> }) {
  const labels = new Map<string, string>();
  for (const f of FACETS) for (const v of r?.facets[f.facet] ?? []) labels.set(`${f.key}:${f.key === 'tags' ? v.value.toLowerCase() : v.value}`, v.label);
  for (const [key, name] of typeNames ?? []) labels.set(`type:${key}`, name);
  const groups = FACETS.filter((f) => (r?.facets[f.facet].length ?? 0) > 0);
  return (
    <>
      <ActiveFilters slug={slug} s={s} labels={labels} />
      {error && <p class="alert" role="alert">{error}</p>}
      {r?.notice && <p class="warn" role="status" data-search-notice>{r.notice}</p>}
      {!error && !s.q.trim() && (
        <div class="empty card">
          <p>Type words to search the text of every document you can read.</p>
          <p class="small">Press <kbd>/</kbd> to jump to the search box, <kbd>↓</kbd> <kbd>↑</kbd> to move through the results and <kbd>Enter</kbd> to open one.</p>
        </div>
      )}
      {r && s.q.trim() && (
        <div class="library searchlayout">
          <aside class="libside doc-side" aria-label="Filters">
            {groups.map((g) => <FacetGroup slug={slug} s={s} title={g.title} k={g.key} values={r.facets[g.facet]} labels={labels} />)}
          </aside>
          <div class="library-main">
            <p class="pager searchtotal" role="status">
              <span class="pager-total" data-search-total>{r.total === 1 ? '1 document' : `${r.total} documents`}</span>
              <span class="muted small">{MODE_LABEL[r.mode].toLowerCase()} · {r.tookMs} ms</span>
            </p>
            {r.results.length > 0 ? (
              <ol class="tree searchhits" data-search-hits>
                {r.results.map((hit) => <Hit slug={slug} hit={hit} labels={labels} />)}
              </ol>
            ) : (
              <div class="empty card">
                <p>{r.total > 0 ? 'No more results.' : 'No document matches. Try other words, another mode, or fewer filters.'}</p>
              </div>
            )}
            <SearchPager slug={slug} s={s} total={r.total} />
          </div>
        </div>
      )}
    </>
  );
}

// ---- within one document ----

/** The "Search in this document" box of a document page; results come back as a partial. */
export function DocumentSearchBox({ slug, documentId, q = '', children }: { slug: string; documentId: string; q?: string; children?: ComponentChildren }) {
  const action = `/o/${slug}/documents/${documentId}/search`;
  return (
    <section class="card docsearch" aria-labelledby="docsearch-h">
      <h2 id="docsearch-h">Search in this document</h2>
      <form method="get" action={action} role="search" data-search-form>
        <label for="docsearch-q" class="sr-only">Search in this document</label>
        <input
          id="docsearch-q"
          type="search"
          name="q"
          value={q}
          placeholder="Words or a question"
          autocomplete="off"
          maxLength={1000}
          data-search-box
          aria-controls="docsearch-results"
          hx-get={action}
          hx-trigger="input changed delay:250ms, search"
          hx-target="#docsearch-results"
          hx-sync="this:replace"
        />
      </form>
      <div id="docsearch-results">{children}</div>
      <script src="/assets/search.js" defer></script>
    </section>
  );
}

/** Every matching passage of one document, each linking to its page with the words marked. */
export function DocumentSearchResults({ slug, q, r }: { slug: string; q: string; r?: SearchResponse }) {
  if (!q.trim() || !r) return null;
  return (
    <div class="docsearch-results">
      {r.notice && <p class="warn small" role="status" data-search-notice>{r.notice}</p>}
      {r.results.length === 0 ? (
        <p class="muted small">Nothing in this document matches.</p>
      ) : (
        <ol class="tree" data-search-hits>
          {r.results.map((hit) => (
            <li class="searchhit">
              <a href={hitHref(slug, hit)} data-search-hit>Page {hit.page}{hit.heading && ` · ${hit.heading}`}</a>
              <Snippet html={hit.snippet} />
            </li>
          ))}
        </ol>
      )}
    </div>
  );
}
