// The dashboard's clue media and map controls: upload images and recordings, show them with the
// intro, the outro, a clue's prompt or a hint, and turn the players' map on or off.
// Loaded by admin.html on its own; it reads the admin token and the selected hunt the way
// admin.js keeps them (sessionStorage, location.hash "#hunt={id}") and uses only the admin API
// (docs/protocol.md: Clue media and the map).
//
// Element ids (stable; end-to-end tests drive them):
//   #media-panel      the panel (shown once a hunt is selected)
//   #media-file, #media-upload      choose a file, upload it
//   #media-library    <ul>: one <li data-hash="…"> per uploaded file, with a preview and where it is shown
//   #media-target     <select>: intro, outro, clue:{id}, hint:{id}:{index}
//   #media-choice     <select> of the uploaded files; #media-alt its alt text; #media-attach adds it
//   #media-targets    <ul>: one <li data-target="…"> per target that shows media; each item has a
//                     button .media-remove
//   #media-map        checkbox: the players' map on or off
//   #media-result     what the last action did (class "ok" or "bad")

const TOKEN_KEY = 'hunt-admin-token';
const REFRESH_MS = 5000;
const $ = (sel) => document.querySelector(sel);

const PANEL = `
  <h2 id="media-heading">Clue media and map</h2>
  <form id="media-upload-form" class="row" novalidate>
    <div class="field grow">
      <label for="media-file">Image (JPEG, PNG, WebP, GIF) or recording (MP3, Ogg, WAV, M4A, FLAC)</label>
      <input id="media-file" type="file" accept="image/jpeg,image/png,image/webp,image/gif,audio/*">
    </div>
    <button id="media-upload" type="submit">Upload</button>
  </form>
  <ul id="media-library" class="media-library"></ul>
  <form id="media-attach-form" class="row" novalidate>
    <div class="field"><label for="media-target">Show with</label><select id="media-target"></select></div>
    <div class="field"><label for="media-choice">File</label><select id="media-choice"></select></div>
    <div class="field grow"><label for="media-alt">Alt text (what it shows or is)</label>
      <input id="media-alt" type="text" maxlength="300" autocomplete="off"></div>
    <button id="media-attach" type="submit">Attach</button>
  </form>
  <ul id="media-targets"></ul>
  <p><label><input id="media-map" type="checkbox"> Players see a map of the open geo clues marked
    <code>show_on_map</code> (areas, not the spots)</label></p>
  <p id="media-result" role="status"></p>`;

let hunt = null;        // the selected hunt's id
let library = null;     // GET /admin/hunts/{id}/media
let definition = null;  // the hunt's definition (targets)
const previews = new Map();  // hash -> blob: URL

function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text != null) e.textContent = String(text);
  if (cls) e.className = cls;
  return e;
}

async function api(path, { method = 'GET', body, type = 'application/json' } = {}) {
  const headers = { Authorization: `Bearer ${sessionStorage.getItem(TOKEN_KEY) || ''}` };
  if (body !== undefined) headers['Content-Type'] = type;
  const res = await fetch(`/admin/hunts/${encodeURIComponent(hunt)}${path}`, { method, headers, body, cache: 'no-store' });
  const data = await res.json().catch(() => null);
  return { ok: res.ok, status: res.status, data };
}

function say(text, ok) {
  const out = $('#media-result');
  out.textContent = text;
  out.className = ok ? 'ok' : 'bad';
}

function failed(res) {
  say((res.data && res.data.message) || `HTTP ${res.status}`, false);
}

function targetLabel(key) {
  if (key === 'intro' || key === 'outro') return key === 'intro' ? 'Intro' : 'Outro';
  const [kind, clueId, index] = key.split(':');
  const clue = definition && definition.clues.find((c) => c.id === clueId);
  const title = clue ? clue.title : clueId;
  return kind === 'clue' ? `Clue “${title}”` : `Hint ${Number(index) + 1} of “${title}”`;
}

async function preview(row) {
  if (!previews.has(row.hash)) {
    const res = await fetch(`/admin/hunts/${encodeURIComponent(hunt)}/media/${row.hash}`,
      { headers: { Authorization: `Bearer ${sessionStorage.getItem(TOKEN_KEY) || ''}` } });
    if (!res.ok) return null;
    previews.set(row.hash, URL.createObjectURL(await res.blob()));
  }
  return previews.get(row.hash);
}

function render() {
  const rows = library.media;
  $('#media-library').replaceChildren(...rows.map((row) => {
    const li = el('li');
    li.dataset.hash = row.hash;
    const shown = row.type.startsWith('audio/') ? el('audio') : el('img');
    if (shown.tagName === 'AUDIO') shown.controls = true; else shown.alt = `preview of ${row.hash.slice(0, 12)}`;
    preview(row).then((url) => { if (url) shown.src = url; });
    const where = row.shown_with.length ? row.shown_with.map(targetLabel).join(', ') : 'not shown anywhere';
    li.append(shown, el('span', ` ${row.hash.slice(0, 12)}… · ${row.type} · ${Math.ceil(row.size / 1024)} KiB · ${where}`));
    return li;
  }));
  const choice = $('#media-choice');
  const kept = choice.value;
  choice.replaceChildren(...rows.map((row) => {
    const option = el('option', `${row.hash.slice(0, 12)}… (${row.type})`);
    option.value = row.hash;
    return option;
  }));
  if (rows.some((r) => r.hash === kept)) choice.value = kept;
  $('#media-targets').replaceChildren(...Object.entries(library.targets).map(([key, items]) => {
    const li = el('li', `${targetLabel(key)}: `);
    li.dataset.target = key;
    for (const item of items) {
      const remove = el('button', '×', 'secondary media-remove');
      remove.type = 'button';
      remove.title = `Remove “${item.alt}”`;
      remove.addEventListener('click', () => setTarget(key, items.filter((m) => m.hash !== item.hash)));
      li.append(el('span', `“${item.alt}” (${item.hash.slice(0, 12)}…) `), remove, el('span', ' '));
    }
    return li;
  }));
  $('#media-map').checked = library.map;
}

function renderTargets() {
  const select = $('#media-target');
  const kept = select.value;
  const keys = ['intro', 'outro'];
  for (const clue of definition.clues) {
    keys.push(`clue:${clue.id}`);
    (clue.hints || []).forEach((_, i) => keys.push(`hint:${clue.id}:${i}`));
  }
  select.replaceChildren(...keys.map((key) => {
    const option = el('option', targetLabel(key));
    option.value = key;
    return option;
  }));
  if (keys.includes(kept)) select.value = kept;
}

function signedIn() {
  // Never send requests without a token (wrong tokens count against this address).
  return Boolean(sessionStorage.getItem(TOKEN_KEY)) && !$('#dashboard').hidden;
}

let shownKey = '';
let shownTargets = '';

async function refresh() {
  if (!hunt || !signedIn()) return;
  try {
    const [media, detail] = await Promise.all([api('/media'), api('')]);
    if (!detail.ok) return;
    // The targets follow the definition (clues and hints may be added or fixed during the hunt).
    const targetsKey = JSON.stringify(detail.data.definition.clues.map((c) => [c.id, c.title, (c.hints || []).length]));
    if (targetsKey !== shownTargets) {
      shownTargets = targetsKey;
      definition = detail.data.definition;
      renderTargets();
      shownKey = '';
    }
    if (!media.ok) return;
    library = media.data;
    const key = JSON.stringify(library);
    if (key === shownKey) return;  // unchanged: keep what is on screen (previews and all)
    shownKey = key;
    render();
  } catch {
    // offline or the server restarting: the next refresh tries again
  }
}

async function setTarget(key, items) {
  if (!library) return;
  const [target, clue, hint] = key.split(':');
  const body = { target, media: items };
  if (clue !== undefined) body.clue = clue;
  if (hint !== undefined) body.hint = Number(hint);
  const res = await api('/attach', { method: 'POST', body: JSON.stringify(body) });
  if (!res.ok) return failed(res);
  say(`Attached: ${targetLabel(key)} shows ${items.length} ${items.length === 1 ? 'file' : 'files'}.`, true);
  await refresh();
}

async function onUpload(ev) {
  ev.preventDefault();
  const file = $('#media-file').files[0];
  if (!file) return say('Choose a file first.', false);
  const res = await api('/media', { method: 'POST', body: file, type: file.type || 'application/octet-stream' });
  if (!res.ok) return failed(res);
  say(`Uploaded ${file.name} (${res.data.type})${res.data.duplicate ? ', which was there already' : ''}.`, true);
  await refresh();
  $('#media-choice').value = res.data.hash;
}

async function onAttach(ev) {
  ev.preventDefault();
  const key = $('#media-target').value;
  const hash = $('#media-choice').value;
  const alt = $('#media-alt').value.trim();
  if (!hash) return say('Upload a file first.', false);
  if (!alt) return say('Say what it shows (the alt text) first.', false);
  const current = (library.targets[key] || []).filter((m) => m.hash !== hash);
  await setTarget(key, [...current, { hash, alt }]);
}

async function onMap() {
  const enabled = $('#media-map').checked;
  const res = await api('/map', { method: 'POST', body: JSON.stringify({ enabled }) });
  if (!res.ok) {
    $('#media-map').checked = !enabled;
    return failed(res);
  }
  say(enabled ? 'The map is on.' : 'The map is off.', true);
}

function selected() {
  return new URLSearchParams(location.hash.slice(1)).get('hunt');
}

function watch() {
  const panel = $('#media-panel');
  const id = signedIn() ? selected() : null;
  if (id !== hunt) {
    hunt = id;
    library = null;
    definition = null;
    for (const url of previews.values()) URL.revokeObjectURL(url);
    previews.clear();
    shownKey = '';
    shownTargets = '';
    $('#media-result').textContent = '';
    panel.hidden = !hunt;
    refresh();
  }
}

function main() {
  const panel = el('section', null, 'panel wide');
  panel.id = 'media-panel';
  panel.hidden = true;
  panel.setAttribute('aria-labelledby', 'media-heading');
  panel.innerHTML = PANEL;  // fixed markup, no server text
  const after = $('#judging') || $('#hunt-detail');
  after.after(panel);
  $('#media-upload-form').addEventListener('submit', onUpload);
  $('#media-attach-form').addEventListener('submit', onAttach);
  $('#media-map').addEventListener('change', onMap);
  // admin.js keeps the selection in location.hash with replaceState (no hashchange event).
  setInterval(watch, 500);
  setInterval(() => { if (hunt && document.visibilityState !== 'hidden') refresh(); }, REFRESH_MS);
  watch();
}

main();
