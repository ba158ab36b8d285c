// The dashboard's "Edit the hunt" panel: change a clue (title, prompt, points, answers or codes)
// or withdraw it with a preview of what happens to scores before Apply; add a clue; unlock a clue
// for one team or player; change the start or end; reopen an ended hunt; lift a ban.
// Loaded by admin.html; admin.js tells it the selected hunt with a "hunt-selected" event. The admin
// token is the one admin.js keeps in sessionStorage.
//
// Element ids (stable; end-to-end tests drive them):
//   #edit-panel        the panel; #edit-version: the definition's version
//   #edit-clue         which clue; #edit-title, #edit-prompt, #edit-points, #edit-answers (answers or
//                      codes, one a line), #edit-rescore (keep | correct)
//   #edit-preview-btn, #edit-apply-btn     preview the edit, then apply it (Apply waits for a preview)
//   #retire-rescore (keep | remove), #retire-preview-btn, #retire-apply-btn   withdraw the clue
//   #edit-preview      what the preview said: corrections, and credits to tick (input.credit-choice)
//   #edit-result       what applying did
//   #unlock-kind (team | player), #unlock-target, #unlock-btn      open #edit-clue to one side
//   #add-clue-json, #add-clue-btn          add a clue (a clue object as in a definition)
//   #times-start, #times-end, #times-btn, #extend-btn (+15 min), #reopen-btn
//   #unban-player, #unban-btn

const TOKEN_KEY = 'hunt-admin-token';
const $ = (sel) => document.querySelector(sel);

const PANEL = `
  <h2 id="edit-heading">Edit the hunt <span id="edit-version" class="badge"></span></h2>
  <p class="muted">Every edit is an event: players see new prompts and points at once, scores already
    awarded stay unless you choose a correction in the preview.</p>
  <form id="edit-form" novalidate>
    <div class="row">
      <div class="field"><label for="edit-clue">Clue</label><select id="edit-clue"></select></div>
      <div class="field grow"><label for="edit-title">Title</label>
        <input id="edit-title" type="text" maxlength="2000" autocomplete="off"></div>
      <div class="field"><label for="edit-points">Points</label>
        <input id="edit-points" type="number" min="0" step="1" inputmode="numeric"></div>
    </div>
    <div class="field"><label for="edit-prompt">Prompt</label><textarea id="edit-prompt" rows="2" maxlength="2000"></textarea></div>
    <div class="field"><label for="edit-answers" id="edit-answers-label">Accepted answers (one a line)</label>
      <textarea id="edit-answers" rows="3" spellcheck="false"></textarea></div>
    <div class="row">
      <div class="field"><label for="edit-rescore">Finders so far</label>
        <select id="edit-rescore"><option value="keep">keep what they got</option>
          <option value="correct">get the difference</option></select></div>
      <button id="edit-preview-btn" type="button" class="secondary">Preview edit</button>
      <button id="edit-apply-btn" type="button" disabled>Apply edit</button>
      <div class="field"><label for="retire-rescore">Withdraw: finders</label>
        <select id="retire-rescore"><option value="keep">keep their points</option>
          <option value="remove">lose its points</option></select></div>
      <button id="retire-preview-btn" type="button" class="secondary">Preview withdrawal</button>
      <button id="retire-apply-btn" type="button" class="danger" disabled>Withdraw clue</button>
    </div>
  </form>
  <div id="edit-preview" aria-live="polite"></div>
  <p id="edit-result" role="status"></p>
  <div class="row">
    <div class="field"><label for="unlock-kind">Unlock the clue for</label>
      <select id="unlock-kind"><option value="player">player id</option><option value="team">team name</option></select></div>
    <div class="field"><label for="unlock-target">Who</label><input id="unlock-target" type="text" maxlength="64" autocomplete="off"></div>
    <button id="unlock-btn" type="button" class="secondary">Unlock</button>
    <div class="field"><label for="unban-player">Lift the ban of player id</label>
      <input id="unban-player" type="text" maxlength="64" autocomplete="off"></div>
    <button id="unban-btn" type="button" class="secondary">Unban</button>
  </div>
  <div class="row">
    <div class="field"><label for="times-start">Starts</label><input id="times-start" type="datetime-local" step="1"></div>
    <div class="field"><label for="times-end">Ends</label><input id="times-end" type="datetime-local" step="1"></div>
    <button id="times-btn" type="button" class="secondary">Change times</button>
    <button id="extend-btn" type="button" class="secondary">End 15 min later</button>
    <button id="reopen-btn" type="button" class="secondary">Reopen ended hunt</button>
  </div>
  <div class="field"><label for="add-clue-json">Add a clue (JSON, as in a definition)</label>
    <textarea id="add-clue-json" rows="3" spellcheck="false"
      placeholder='{"id": "c9", "title": "Anchor", "prompt": "What holds a ship?", "kind": "answer", "answers": ["anchor"], "points": 40}'></textarea></div>
  <button id="add-clue-btn" type="button" class="secondary">Add clue</button>`;

let hunt = null;        // the selected hunt's id
let detail = null;      // GET /admin/hunts/{id}: the definition as it is now
let preview = null;     // {kind: "edit" | "retire", body, plan}
const ids = new Map();  // what was applied -> its command id, kept until the server answered

function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text != null) e.textContent = String(text);
  if (cls) e.className = cls;
  return e;
}

async function call(path, body) {
  const token = sessionStorage.getItem(TOKEN_KEY) || '';
  const init = { headers: { Authorization: `Bearer ${token}`, Accept: 'application/json' }, cache: 'no-store' };
  if (body !== undefined) {
    init.method = 'POST';
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const res = await fetch(`/admin/hunts/${encodeURIComponent(hunt)}${path}`, init);
  let data = null;
  try { data = await res.json(); } catch { /* not JSON */ }
  return { ok: res.ok, status: res.status, data };
}

function say(text, cls = '') {
  const out = $('#edit-result');
  out.textContent = text;
  out.className = cls;
}

function failed(res) {
  say((res.data && res.data.message) || `The server said ${res.status}.`, 'bad');
}

function newId() {
  if (crypto.randomUUID) return `edit-${crypto.randomUUID()}`;
  return `edit-${Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('')}`;
}

function localTime(ms) {
  if (ms == null) return '';
  const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60000);
  return d.toISOString().slice(0, 19);
}

function epoch(value) {
  return value ? new Date(value).getTime() : null;
}

function clueDoc() {
  return ((detail && detail.definition.clues) || []).find((c) => c.id === $('#edit-clue').value);
}

async function load(keepClue) {
  const res = await call('');
  if (!res.ok) { failed(res); return; }
  detail = res.data;
  const counts = detail.stats.by_type || {};
  const version = ['clue_edited', 'clue_added', 'clue_retired', 'times_changed'].reduce((n, t) => n + (counts[t] || 0), 0);
  $('#edit-version').textContent = `version ${version}`;
  const select = $('#edit-clue');
  const keep = keepClue || select.value;
  select.replaceChildren(...detail.definition.clues.map((c) => {
    const option = el('option', `${c.id} · ${c.title}${c.retired ? ' (withdrawn)' : ''}`);
    option.value = c.id;
    return option;
  }));
  if (keep && detail.definition.clues.some((c) => c.id === keep)) select.value = keep;
  fill();
  const def = detail.definition;
  $('#times-start').value = localTime(typeof def.starts_at === 'number' ? def.starts_at : Date.parse(def.starts_at) || null);
  $('#times-end').value = localTime(typeof def.ends_at === 'number' ? def.ends_at : Date.parse(def.ends_at) || null);
}

function fill() {
  const c = clueDoc();
  forget();
  if (!c) return;
  $('#edit-title').value = c.title || '';
  $('#edit-prompt').value = c.prompt || '';
  $('#edit-points').value = c.points ?? 0;
  const secrets = c.kind === 'code' ? 'codes' : 'answers';
  $('#edit-answers-label').textContent = c.kind === 'code' ? 'Accepted codes (one a line)' : 'Accepted answers (one a line)';
  $('#edit-answers').disabled = !['answer', 'code'].includes(c.kind);
  $('#edit-answers').value = (c[secrets] || []).join('\n');
}

// The fields that differ from the clue as it is.
function changes() {
  const c = clueDoc();
  const out = {};
  if (!c) return out;
  const title = $('#edit-title').value;
  if (title !== (c.title || '')) out.title = title;
  const prompt = $('#edit-prompt').value;
  if (prompt !== (c.prompt || '')) out.prompt = prompt;
  const points = Number($('#edit-points').value);
  if ($('#edit-points').value !== '' && points !== (c.points ?? 0)) out.points = points;
  if (!$('#edit-answers').disabled) {
    const key = c.kind === 'code' ? 'codes' : 'answers';
    const list = $('#edit-answers').value.split('\n').map((s) => s.trim()).filter(Boolean);
    if (JSON.stringify(list) !== JSON.stringify(c[key] || [])) out[key] = list;
  }
  return out;
}

function forget() {
  preview = null;
  $('#edit-preview').replaceChildren();
  $('#edit-apply-btn').disabled = true;
  $('#retire-apply-btn').disabled = true;
}

function renderPlan(plan) {
  const box = $('#edit-preview');
  const parts = [el('p', `${plan.change === 'clue_retired' ? 'Withdrawing' : 'Editing'} ${plan.clue}: version `
    + `${plan.version} → ${plan.version + 1}; found by ${plan.finders} so far.`)];
  if (plan.corrections.length) {
    parts.push(el('p', 'Score corrections (each its own event):'));
    const ul = el('ul', null, 'edit-corrections');
    for (const c of plan.corrections) {
      ul.append(el('li', `${c.name} (${c.player}): got ${c.got}, ${c.delta > 0 ? '+' : ''}${c.delta}`));
    }
    parts.push(ul);
  } else {
    parts.push(el('p', 'No score changes: points already awarded stay in the ledger.', 'muted'));
  }
  if (plan.credits && plan.credits.length) {
    parts.push(el('p', 'Earlier wrong attempts this edit would accept. Tick whom to credit (a find, scored now):'));
    const ul = el('ul', null, 'edit-credits');
    for (const c of plan.credits) {
      const label = el('label');
      const box2 = el('input', null, 'credit-choice');
      box2.type = 'checkbox';
      box2.dataset.player = c.player;
      label.append(box2, ` ${c.name} (${c.player}) sent “${c.text}”: +${c.points}`);
      const li = el('li');
      li.append(label);
      ul.append(li);
    }
    parts.push(ul);
  } else if (plan.change === 'clue_edited') {
    parts.push(el('p', 'No earlier wrong attempt would be accepted.', 'muted'));
  }
  if (plan.unchecked) parts.push(el('p', `${plan.unchecked} older wrong attempts were recorded without their text.`, 'muted'));
  box.replaceChildren(...parts);
}

async function previewEdit(kind) {
  say('');
  const body = kind === 'edit' ? { changes: changes(), rescore: $('#edit-rescore').value } : { rescore: $('#retire-rescore').value };
  if (kind === 'edit' && !Object.keys(body.changes).length) { say('Change a field first.', 'bad'); return; }
  const clue = encodeURIComponent($('#edit-clue').value);
  const res = await call(`/clues/${clue}/${kind === 'edit' ? 'edit' : 'retire'}/preview`, body);
  if (!res.ok) { forget(); failed(res); return; }
  preview = { kind, body, clue, plan: res.data };
  renderPlan(res.data);
  $(kind === 'edit' ? '#edit-apply-btn' : '#retire-apply-btn').disabled = false;
}

async function apply(kind) {
  if (!preview || preview.kind !== kind) return;
  const key = JSON.stringify([kind, preview.clue, preview.body]);
  if (!ids.has(key)) ids.set(key, newId());
  const body = { ...preview.body, id: ids.get(key), version: preview.plan.version };
  if (kind === 'edit') body.credit = [...document.querySelectorAll('.credit-choice:checked')].map((b) => b.dataset.player);
  const res = await call(`/clues/${preview.clue}/${kind === 'edit' ? 'edit' : 'retire'}`, body);
  if (!res.ok) { failed(res); return; }
  ids.delete(key);
  const d = res.data;
  const fixes = (d.corrections || []).length;
  const credits = (d.credits || []).length;
  say(`Applied at seq ${d.seq} (version ${d.version}): ${fixes} correction(s), ${credits} credit(s).`, 'ok');
  await load(preview.clue);
}

async function command(path, body, done) {
  const res = await call(path, body);
  if (!res.ok) { failed(res); return; }
  say(done(res.data), 'ok');
  await load();
}

function setup() {
  const section = el('section', null, 'panel wide');
  section.id = 'edit-panel';
  section.hidden = true;
  section.setAttribute('aria-labelledby', 'edit-heading');
  section.innerHTML = PANEL;  // static markup: nothing from the server goes through innerHTML
  const after = $('#judging') || $('#hunt-detail');
  if (after) after.after(section); else document.body.append(section);
  $('#edit-clue').addEventListener('change', fill);
  for (const sel of ['#edit-title', '#edit-prompt', '#edit-points', '#edit-answers', '#edit-rescore', '#retire-rescore']) {
    $(sel).addEventListener('input', forget);
  }
  $('#edit-preview-btn').addEventListener('click', () => previewEdit('edit'));
  $('#retire-preview-btn').addEventListener('click', () => previewEdit('retire'));
  $('#edit-apply-btn').addEventListener('click', () => apply('edit'));
  $('#retire-apply-btn').addEventListener('click', () => apply('retire'));
  $('#unlock-btn').addEventListener('click', () => {
    const who = $('#unlock-target').value.trim();
    command(`/clues/${encodeURIComponent($('#edit-clue').value)}/unlock`, { [$('#unlock-kind').value]: who },
      (d) => `Unlocked ${d.clue} for ${who}.`);
  });
  $('#unban-btn').addEventListener('click', () => {
    const who = $('#unban-player').value.trim();
    command(`/players/${encodeURIComponent(who)}/unban`, {}, () => `${who} may play again.`);
  });
  $('#times-btn').addEventListener('click', () => {
    const body = {};  // only the times that changed: a start that has passed cannot move
    for (const [key, sel] of [['starts_at', '#times-start'], ['ends_at', '#times-end']]) {
      const now = detail && detail.definition[key];
      const shown = localTime(typeof now === 'number' ? now : Date.parse(now) || null);
      if ($(sel).value !== shown) body[key] = epoch($(sel).value);
    }
    if (!Object.keys(body).length) { say('Change a time first.', 'bad'); return; }
    command('/times', body, () => 'Times changed.');
  });
  $('#extend-btn').addEventListener('click', () => {
    const end = epoch($('#times-end').value);
    command('/times', { ends_at: Math.max(end || 0, Date.now()) + 15 * 60000 }, (d) => `The hunt now ends ${new Date(d.ends_at).toLocaleString()}.`);
  });
  $('#reopen-btn').addEventListener('click', () => command('/reopen', {}, () => 'The hunt is open again.'));
  $('#add-clue-btn').addEventListener('click', () => {
    let clue;
    try { clue = JSON.parse($('#add-clue-json').value); } catch (err) { say(`Not JSON: ${err.message}`, 'bad'); return; }
    command('/clues', { clue }, (d) => `Added ${d.clue}.`);
  });
  document.addEventListener('hunt-selected', (ev) => {
    hunt = ev.detail;
    section.hidden = false;
    say('');
    load();
  });
}

setup();
