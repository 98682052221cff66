// Search: results while typing, and the keyboard. The search page and the "Search in this
// document" box are plain GET forms that work without this file. With it (and htmx):
// requests made while typing carry prefix=1 (the last word may be unfinished), Enter runs the
// finished search in place, `/` jumps to the search box, ↓/↑ (or j/k outside the box) move
// through the results and Enter opens the focused one. On a document page opened from a
// result, the first highlighted word is scrolled into view.

// htmx runs this file again when it restores a page from history: everything stays inside
// this function, and the listeners (on the document, which outlives such swaps) are added once.
(() => {
  if (window.folioSearchReady) return;
  window.folioSearchReady = true;

  /** Whether keys typed now go into a field. */
  function isTyping(el) {
    if (!el) return false;
    if (el.isContentEditable) return true;
    if (el.tagName === 'TEXTAREA' || el.tagName === 'SELECT') return true;
    return el.tagName === 'INPUT' && !['checkbox', 'radio', 'submit', 'button', 'reset', 'file'].includes(el.type);
  }

  /** The region a search box fills with results (its aria-controls). */
  function regionOfBox(box) {
    return document.getElementById(box.getAttribute('aria-controls') || '');
  }

  /** The search box that fills `region`. */
  function boxOfRegion(region) {
    return [...document.querySelectorAll('[data-search-box]')].find((b) => b.getAttribute('aria-controls') === region?.id) || null;
  }

  /** The results region holding `el`, or the page's first one. */
  function regionOf(el) {
    const boxes = [...document.querySelectorAll('[data-search-box]')];
    const regions = boxes.map(regionOfBox).filter(Boolean);
    return regions.find((r) => el && r.contains(el)) || regions[0] || null;
  }

  const hitsIn = (region) => (region ? [...region.querySelectorAll('[data-search-hit]')] : []);

  function focusHit(hit) {
    hit.focus();
    hit.scrollIntoView({ block: 'nearest' });
  }

  function setUp() {
    // Requests made while typing search with the last word as a prefix; Enter's does not.
    document.body.addEventListener('htmx:configRequest', (event) => {
      const { elt, triggeringEvent, parameters } = event.detail;
      if (elt.matches('[data-search-box]') && triggeringEvent?.type === 'input') parameters.set('prefix', '1');
    });

    // A search form submitted with htmx running: search in place, once.
    document.addEventListener('submit', (event) => {
      const form = event.target;
      if (!window.htmx || !form.matches('[data-search-form]')) return;
      const box = form.querySelector('[data-search-box]');
      if (!box) return;
      event.preventDefault();
      window.htmx.trigger(box, 'search');
    });

    document.addEventListener('keydown', (event) => {
      if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey) return;
      const el = document.activeElement;
      const box = el?.matches?.('[data-search-box]') ? el : null;
      const hit = el?.matches?.('[data-search-hit]') ? el : null;

      if (box && event.key === 'Enter' && window.htmx) {
        // Enter would also submit the form: one request, the finished search.
        event.preventDefault();
        window.htmx.trigger(box, 'search');
        return;
      }
      if (event.key === '/' && !isTyping(el)) {
        const target = document.getElementById('search-q') || document.querySelector('[data-search-box]');
        if (!target) return;
        event.preventDefault();
        target.focus();
        target.select();
        return;
      }
      const down = event.key === 'ArrowDown' || (event.key === 'j' && !isTyping(el));
      const up = event.key === 'ArrowUp' || (event.key === 'k' && !isTyping(el));
      if (!down && !up) return;
      if (box) {
        const first = hitsIn(regionOfBox(box))[0];
        if (down && first) {
          event.preventDefault();
          focusHit(first);
        }
        return;
      }
      // Arrows scroll the page unless a result has the focus; j and k move anywhere outside a field.
      if (isTyping(el) || (!hit && event.key.startsWith('Arrow'))) return;
      const region = regionOf(hit);
      const hits = hitsIn(region);
      if (!hits.length) return;
      event.preventDefault();
      const i = hit ? hits.indexOf(hit) : -1;
      if (down) focusHit(hits[Math.min(hits.length - 1, i + 1)]);
      else if (i > 0) focusHit(hits[i - 1]);
      else boxOfRegion(region)?.focus();
    });

    // A document opened from a search result: show the first marked word.
    const showMark = () => document.querySelector('[data-hl-page] mark')?.scrollIntoView({ block: 'center' });
    if (document.readyState === 'complete') showMark();
    else window.addEventListener('load', showMark, { once: true });
  }

  setUp();
})();
