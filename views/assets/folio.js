// Small progressive enhancements; every page works without this file.
document.addEventListener('click', (event) => {
  const button = event.target.closest('[data-copy]');
  if (!button) return;
  const input = document.getElementById(button.getAttribute('data-copy'));
  if (!input) return;
  input.select();
  navigator.clipboard?.writeText(input.value).then(() => {
    button.textContent = 'Copied';
  });
});

// Plain forms that ask for confirmation before a destructive action.
document.addEventListener('submit', (event) => {
  const message = event.target.getAttribute('data-confirm');
  if (message && !window.confirm(message)) event.preventDefault();
});

// Close open menus when clicking elsewhere.
document.addEventListener('click', (event) => {
  for (const menu of document.querySelectorAll('details.menu[open]')) {
    if (!menu.contains(event.target)) menu.removeAttribute('open');
  }
});

// Document uploads: each file dropped or chosen goes up on its own request with its own
// progress bar (three at a time); the list reloads when all are in. Without this script
// the drop zone is a plain multipart form.
const UPLOADS_AT_ONCE = 3;

function enhanceUpload(form) {
  const input = form.querySelector('input[type="file"]');
  const list = form.querySelector('[data-upload-list]');
  if (!input || !list || !window.FormData || !window.XMLHttpRequest) return;
  const submit = form.querySelector('[data-upload-submit]');
  if (submit) submit.hidden = true;
  input.required = false;
  const queue = [];
  let running = 0;
  let failed = 0;

  const field = (name) => {
    const el = form.elements.namedItem(name);
    return el && 'value' in el ? el.value : '';
  };

  const row = (file) => {
    const li = document.createElement('li');
    const name = document.createElement('span');
    name.className = 'upload-name';
    name.textContent = file.name;
    name.title = file.name;
    const bar = document.createElement('progress');
    bar.max = 100;
    bar.value = 0;
    bar.setAttribute('aria-label', `Uploading ${file.name}`);
    const state = document.createElement('span');
    state.className = 'upload-state';
    state.textContent = 'Waiting…';
    li.append(name, bar, state);
    list.append(li);
    return { li, bar, state };
  };

  const finish = () => {
    if (running > 0 || queue.length > 0) return;
    if (failed === 0) {
      window.location.reload();
      return;
    }
    const li = document.createElement('li');
    const link = document.createElement('a');
    link.href = window.location.href;
    link.textContent = 'Show the uploaded documents';
    li.append(link);
    list.append(li);
  };

  const next = () => {
    while (running < UPLOADS_AT_ONCE && queue.length > 0) {
      const { file, ui } = queue.shift();
      running++;
      const data = new FormData();
      data.append('file', file, file.name);
      for (const name of ['folder', 'tags']) if (field(name)) data.append(name, field(name));
      const xhr = new XMLHttpRequest();
      xhr.open('POST', form.action);
      xhr.setRequestHeader('Accept', 'application/json');
      xhr.upload.onprogress = (e) => {
        if (!e.lengthComputable) return;
        const percent = Math.round((e.loaded / e.total) * 100);
        ui.bar.value = percent;
        ui.state.textContent = `Uploading… ${percent}%`;
      };
      const settle = (ok, message) => {
        running--;
        ui.li.classList.add(ok ? 'is-done' : 'is-error');
        ui.state.textContent = message;
        if (ok) ui.bar.value = 100;
        else failed++;
        next();
        finish();
      };
      xhr.onload = () => {
        if (xhr.status >= 200 && xhr.status < 300) return settle(true, 'Uploaded');
        let message = `Upload failed (${xhr.status})`;
        try {
          message = JSON.parse(xhr.responseText).error.message || message;
        } catch {
          // not JSON: keep the status line
        }
        settle(false, message);
      };
      xhr.onerror = () => settle(false, 'The connection failed.');
      xhr.send(data);
    }
  };

  const start = (files) => {
    for (const file of files) queue.push({ file, ui: row(file) });
    input.value = '';
    next();
  };

  input.addEventListener('change', () => start([...input.files]));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    start([...input.files]);
  });
  let depth = 0;
  form.addEventListener('dragenter', (event) => {
    event.preventDefault();
    depth++;
    form.classList.add('is-dragover');
  });
  form.addEventListener('dragover', (event) => event.preventDefault());
  form.addEventListener('dragleave', () => {
    depth = Math.max(0, depth - 1);
    if (depth === 0) form.classList.remove('is-dragover');
  });
  form.addEventListener('drop', (event) => {
    event.preventDefault();
    depth = 0;
    form.classList.remove('is-dragover');
    if (event.dataTransfer?.files.length) start([...event.dataTransfer.files]);
  });
}

for (const form of document.querySelectorAll('form[data-upload]')) enhanceUpload(form);

// Document selection: "select all" and a live count on the bulk action bar.
function updateSelection() {
  const boxes = [...document.querySelectorAll('input[data-select]')];
  const checked = boxes.filter((b) => b.checked).length;
  const all = document.querySelector('input[data-select-all]');
  if (all) {
    all.checked = checked > 0 && checked === boxes.length;
    all.indeterminate = checked > 0 && checked < boxes.length;
  }
  const label = document.querySelector('[data-bulk-count]');
  if (label) label.textContent = checked ? `${checked} selected:` : 'With selected:';
  for (const button of document.querySelectorAll('#bulk button[name="action"]')) button.disabled = checked === 0;
}

const selectAll = document.querySelector('input[data-select-all]');
if (selectAll) {
  selectAll.hidden = false;
  selectAll.addEventListener('change', () => {
    for (const box of document.querySelectorAll('input[data-select]')) box.checked = selectAll.checked;
    updateSelection();
  });
}
if (document.getElementById('bulk')) {
  document.addEventListener('change', (event) => {
    if (event.target.matches?.('input[data-select]')) updateSelection();
  });
  updateSelection();
}
