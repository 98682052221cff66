// The review screen and the document-type editor. The forms work without this file; it
// places the field boxes and words over the page images, lets a click on a word fill the
// focused field, and adds the keyboard shortcuts. Boxes are fractions of the page
// ("x,y,w,h" in data-box), set as percentages through the CSSOM: the CSP forbids style
// attributes, not style properties set from a script.

/** Places an element by its data-box, or hides it when the box is missing or broken. */
function placeBox(el, box) {
  const b = box ?? (el.getAttribute('data-box') || '').split(',').map(Number);
  if (b.length !== 4 || b.some((n) => !Number.isFinite(n))) {
    el.hidden = true;
    return;
  }
  el.style.left = `${b[0] * 100}%`;
  el.style.top = `${b[1] * 100}%`;
  el.style.width = `${b[2] * 100}%`;
  el.style.height = `${b[3] * 100}%`;
}

/** The smallest box holding all `boxes`. */
function unionBox(boxes) {
  const x0 = Math.min(...boxes.map((b) => b[0]));
  const y0 = Math.min(...boxes.map((b) => b[1]));
  const x1 = Math.max(...boxes.map((b) => b[0] + b[2]));
  const y1 = Math.max(...boxes.map((b) => b[1] + b[3]));
  return [x0, y0, x1 - x0, y1 - y0].map((n) => Math.min(1, Math.max(0, Number(n.toFixed(5)))));
}

const parseBox = (s) => (s || '').split(',').map(Number);

function isTyping(el) {
  if (!el) return false;
  if (el.isContentEditable) return true;
  if (el.tagName === 'TEXTAREA' || el.tagName === 'SELECT') return true;
  return el.tagName === 'INPUT' && !['checkbox', 'radio', 'submit', 'button', 'reset', 'file'].includes(el.type);
}

function enhanceReview(form) {
  const pagesEl = document.querySelector('[data-review-pages]');
  const inputs = [...form.querySelectorAll('[data-field-input]')];
  const confirmButton = form.querySelector('[data-confirm-button]');
  let current = null;
  // Words picked into the current field: { page, box, el }.
  let picked = [];

  if (pagesEl) {
    for (const el of pagesEl.querySelectorAll('[data-box]')) placeBox(el);
    pagesEl.classList.add('is-enhanced');
  }

  const nameOf = (input) => input.getAttribute('data-field-input');
  const boxesOf = (name) => [...document.querySelectorAll('.fieldbox')].filter((b) => b.getAttribute('data-field') === name);
  const hidden = (kind, name) => [...form.querySelectorAll(`[data-field-${kind}]`)].find((el) => el.getAttribute(`data-field-${kind}`) === name);

  /** Says where the field's value now comes from, under the field. */
  function setMeta(name, text) {
    const meta = document.getElementById(`fld-${name}-meta`);
    if (meta) meta.textContent = text;
  }

  function markPicked() {
    for (const el of document.querySelectorAll('.word.is-picked')) el.classList.remove('is-picked');
    for (const p of picked) p.el?.classList.add('is-picked');
  }

  function activate(input, scroll) {
    if (current !== input) {
      picked = [];
      markPicked();
    }
    current = input;
    for (const el of document.querySelectorAll('.fieldbox.is-active, [data-field-row].is-active')) el.classList.remove('is-active');
    input.closest('[data-field-row]')?.classList.add('is-active');
    const boxes = boxesOf(nameOf(input));
    for (const b of boxes) b.classList.add('is-active');
    if (scroll && boxes[0]) boxes[0].scrollIntoView({ block: 'nearest', inline: 'nearest' });
  }

  function move(step) {
    const i = current ? inputs.indexOf(current) : -1;
    const next = inputs[i < 0 ? (step > 0 ? 0 : inputs.length - 1) : Math.min(inputs.length - 1, Math.max(0, i + step))];
    if (!next) return;
    next.focus();
    if (next.select) next.select();
  }

  /** Draws the field's box where its picked words are, replacing the old one. */
  function showBox(name, page, box) {
    for (const b of boxesOf(name)) b.remove();
    const layer = pagesEl?.querySelector(`[data-page="${page}"] .rpage-boxes`);
    if (!layer) return;
    const el = document.createElement('span');
    el.className = 'fieldbox is-active';
    el.setAttribute('data-field', name);
    el.title = current?.closest('[data-field-row]')?.querySelector('label')?.textContent ?? name;
    placeBox(el, box);
    layer.append(el);
  }

  function pick(word, append) {
    if (!current) move(1);
    if (!current) return;
    const name = nameOf(current);
    const page = Number(word.closest('[data-page]')?.getAttribute('data-page'));
    const box = parseBox(word.getAttribute('data-box'));
    const text = word.textContent.trim();
    if (current.tagName === 'SELECT') {
      const option = [...current.options].find((o) => o.value && o.value.toLowerCase() === text.toLowerCase());
      if (!option) return;
      current.value = option.value;
      picked = [{ page, box, el: word }];
    } else if (append && current.value.trim()) {
      if (!picked.length) {
        // Start from where the value already sits, when it is on this page.
        const old = boxesOf(name)[0];
        if (old && Number(old.closest('[data-page]')?.getAttribute('data-page')) === page && old.hasAttribute('data-box')) picked.push({ page, box: parseBox(old.getAttribute('data-box')) });
      }
      if (picked.length && picked[0].page !== page) picked = [];
      picked.push({ page, box, el: word });
      current.value = `${current.value.trim()} ${text}`;
    } else {
      picked = [{ page, box, el: word }];
      current.value = text;
    }
    const union = unionBox(picked.map((p) => p.box));
    const pageInput = hidden('page', name);
    const boxInput = hidden('box', name);
    if (pageInput) pageInput.value = String(page);
    if (boxInput) boxInput.value = union.join(',');
    showBox(name, page, union);
    markPicked();
    setMeta(name, `Picked from page ${page}.`);
    current.dispatchEvent(new Event('change', { bubbles: true }));
    current.focus();
  }

  form.addEventListener('focusin', (event) => {
    const input = event.target.closest?.('[data-field-input]');
    if (input) activate(input, true);
  });

  // Typing makes the value the reviewer's own: the picked words' box no longer applies.
  form.addEventListener('input', (event) => {
    const input = event.target.closest?.('[data-field-input]');
    if (!input) return;
    const name = nameOf(input);
    for (const kind of ['page', 'box']) {
      const el = hidden(kind, name);
      if (el) el.value = '';
    }
    if (input === current) {
      picked = [];
      markPicked();
    }
    setMeta(name, 'Typed; normalized when saved.');
  });

  if (pagesEl) {
    // Keep the focus in the field while a word is clicked.
    pagesEl.addEventListener('mousedown', (event) => {
      if (event.target.closest('.word')) event.preventDefault();
    });
    pagesEl.addEventListener('click', (event) => {
      const word = event.target.closest('.word');
      if (!word) return;
      event.preventDefault();
      pick(word, event.shiftKey);
    });
  }

  document.addEventListener('keydown', (event) => {
    if ((event.ctrlKey || event.metaKey) && event.key === 'Enter') {
      if (!confirmButton) return;
      event.preventDefault();
      form.requestSubmit(confirmButton);
      return;
    }
    // Enter confirms from a select too (text inputs submit the form by themselves).
    if (event.key === 'Enter' && !event.shiftKey && event.target.tagName === 'SELECT' && form.contains(event.target) && confirmButton) {
      event.preventDefault();
      form.requestSubmit(confirmButton);
      return;
    }
    if (event.altKey && (event.key === 'ArrowDown' || event.key === 'ArrowUp')) {
      event.preventDefault();
      move(event.key === 'ArrowDown' ? 1 : -1);
      return;
    }
    if (event.key === 'Escape' && inputs.includes(document.activeElement)) {
      document.activeElement.blur();
      return;
    }
    if (!event.ctrlKey && !event.metaKey && !event.altKey && !isTyping(document.activeElement) && (event.key === 'j' || event.key === 'k')) {
      event.preventDefault();
      move(event.key === 'j' ? 1 : -1);
    }
  });

  // Start at the first field that needs a look.
  const first = form.querySelector('.rfield--issue [data-field-input], .rfield--low [data-field-input], .rfield--missing [data-field-input]') ?? inputs[0];
  if (first) first.focus({ preventScroll: true });
}

/** "Add row" for a table of repeated inputs named `<prefix>.<n>.<column>`. */
function enableAddRow(button, body, rowAttr, prefix) {
  button.hidden = false;
  button.addEventListener('click', () => {
    const rows = body.querySelectorAll(`[${rowAttr}]`);
    const last = rows[rows.length - 1];
    if (!last) return;
    const n = Math.max(...[...rows].map((r) => Number(r.getAttribute(rowAttr)))) + 1;
    const row = last.cloneNode(true);
    row.setAttribute(rowAttr, String(n));
    for (const el of row.querySelectorAll('input, select')) {
      el.name = el.name.replace(new RegExp(`^${prefix}\\.\\d+\\.`), `${prefix}.${n}.`);
      const label = el.getAttribute('aria-label');
      if (label) el.setAttribute('aria-label', label.replace(/\d+$/, String(n + 1)));
      el.removeAttribute('aria-invalid');
      if (el.tagName === 'SELECT') el.selectedIndex = 0;
      else el.value = '';
    }
    for (const el of row.querySelectorAll('.error')) el.remove();
    body.append(row);
    row.querySelector('input')?.focus();
  });
}

const reviewForm = document.querySelector('form[data-review-form]');
if (reviewForm) enhanceReview(reviewForm);

const addLineItem = document.querySelector('[data-add-lineitem]');
const lineItems = document.querySelector('[data-lineitems]');
if (addLineItem && lineItems) enableAddRow(addLineItem, lineItems, 'data-lineitem', 'li');

const addTypeField = document.querySelector('[data-add-typefield]');
const typeFields = document.querySelector('[data-typefields]');
if (addTypeField && typeFields) enableAddRow(addTypeField, typeFields, 'data-typefield', 'field');
