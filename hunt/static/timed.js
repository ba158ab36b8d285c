// The dashboard's timed play panel: the hunt's clock, each side's own start and window (set
// them here: "team Gulls starts at 10:15 and has 90 minutes"), the timed clues, and a time
// picker for the scoreboard freeze. Loaded by admin.html on its own; it reads the admin token
// admin.js keeps (sessionStorage) and the selected hunt from location.hash ("#hunt={id}").
//
// Element ids (stable; end-to-end tests drive them):
//   #timed             the panel (hidden until a hunt is selected)
//   #timed-clock       the hunt's clock: start, end, each side's window, freeze time (or "frozen")
//   #timed-form        #timed-who (team name, or player id in a solo hunt; its label says which),
//                      #timed-start (datetime-local, local time), #timed-offset (minutes after
//                      the hunt's start; instead of a start), #timed-window (minutes),
//                      #timed-btn, #timed-clear (back to the hunt's clock), #timed-result
//   #timed-table       <tbody>: one <tr data-side="..."> per side with its own schedule
//   #timed-clues       <tbody>: the clues that open or close on the clock
//   #freeze-form       #freeze-at (datetime-local), #freeze-at-btn, #freeze-cancel, #freeze-result

import { confirmAction } from './actions.js';

const TOKEN_KEY = 'hunt-admin-token';
const POLL_MS = 3000;
const $ = (sel) => document.querySelector(sel);
let hunt = '';
let table = null;

const PANEL = `
  <h2 id="timed-heading">Timed play</h2>
  <p id="timed-clock" class="muted" role="status"></p>
  <form id="timed-form" novalidate>
    <div class="row">
      <div class="field"><label for="timed-who" id="timed-who-label">Team name</label>
        <input id="timed-who" type="text" maxlength="64" autocomplete="off" required></div>
      <div class="field"><label for="timed-start">Starts at (local time)</label>
        <input id="timed-start" type="datetime-local" step="1"></div>
      <div class="field"><label for="timed-offset">or minutes after the hunt's start</label>
        <input id="timed-offset" type="number" min="0" max="10080" step="1" inputmode="numeric"></div>
      <div class="field"><label for="timed-window">Window (minutes)</label>
        <input id="timed-window" type="number" min="1" max="10080" step="1" inputmode="numeric"></div>
      <button id="timed-btn" type="submit">Set schedule</button>
      <button id="timed-clear" type="button" class="secondary">Back to the hunt's clock</button>
    </div>
  </form>
  <p id="timed-result" role="status"></p>
  <table>
    <thead><tr><th scope="col">Side</th><th scope="col">Starts</th><th scope="col">Window ends</th>
      <th scope="col">Set as</th><th scope="col" class="num">Players</th></tr></thead>
    <tbody id="timed-table"></tbody>
  </table>
  <table>
    <thead><tr><th scope="col">Timed clue</th><th scope="col">Opens</th><th scope="col">Closes</th></tr></thead>
    <tbody id="timed-clues"></tbody>
  </table>
  <form id="freeze-form" novalidate>
    <div class="row">
      <div class="field"><label for="freeze-at">Freeze the scoreboard at (local time)</label>
        <input id="freeze-at" type="datetime-local" step="1" required></div>
      <button id="freeze-at-btn" type="submit" class="secondary">Schedule freeze</button>
      <button id="freeze-cancel" type="button" class="secondary">Call off / reveal</button>
    </div>
  </form>
  <p id="freeze-result" role="status"></p>`;

const token = () => sessionStorage.getItem(TOKEN_KEY) || '';
const fmt = (ms) => (ms == null ? '–' : new Date(ms).toLocaleString([], { dateStyle: 'short', timeStyle: 'medium' }));
const localMs = (value) => (value ? new Date(value).getTime() : null);  // datetime-local is local time

function el(tag, text) {
  const e = document.createElement(tag);
  if (text != null) e.textContent = String(text);
  return e;
}

async function call(path, body) {
  const res = await fetch(`/admin/hunts/${encodeURIComponent(hunt)}${path}`, {
    method: body === undefined ? 'GET' : 'POST', cache: 'no-store',
    headers: { Authorization: `Bearer ${token()}`, Accept: 'application/json',
               ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = await res.json().catch(() => null);
  return { ok: res.ok, data, message: (data && (data.message || data.error)) || `HTTP ${res.status}` };
}

function say(sel, text, ok) {
  $(sel).textContent = text;
  $(sel).className = ok ? 'ok' : 'bad';
}

function render() {
  if (!table) return;
  const t = table;
  const span = t.window_s ? `each side plays ${Math.round(t.window_s / 60)} min from its own start` : 'no window';
  const freeze = t.frozen ? 'the scoreboard is frozen' : t.freeze_at != null ? `freezes at ${fmt(t.freeze_at)}` : 'no freeze scheduled';
  $('#timed-clock').textContent = `Hunt start ${fmt(t.began ?? t.starts_at)} · end ${fmt(t.ends_at)} · ${span} · ${freeze}`;
  $('#timed-who-label').textContent = t.mode === 'teams' ? 'Team name' : 'Player id';
  $('#timed-table').replaceChildren(...t.sides.map((s) => {
    const tr = el('tr');
    tr.dataset.side = s.side;
    const set = Object.entries(s.schedule).map(([k, v]) => (k === 'starts_at' ? `starts ${fmt(v)}` : `${k} ${v}`)).join(', ');
    tr.append(el('td', s.name), el('td', fmt(s.starts_at)), el('td', fmt(s.ends_at)), el('td', set), el('td', s.members));
    return tr;
  }));
  $('#timed-clues').replaceChildren(...t.clues.map((c) => {
    const tr = el('tr');
    tr.dataset.clue = c.id;
    const when = (at, after) => (at != null ? fmt(at) : after != null ? `${Math.round(after / 60)} min after the side's start` : '–');
    tr.append(el('td', c.title), el('td', when(c.opens_at, c.opens_after_s)), el('td', when(c.closes_at, c.closes_after_s)));
    return tr;
  }));
}

async function refresh() {
  const id = new URLSearchParams(location.hash.slice(1)).get('hunt') || '';
  const panel = $('#timed');
  if (!id || !token()) {
    panel.hidden = true;
    return;
  }
  if (id !== hunt) table = null;
  hunt = id;
  panel.hidden = false;
  const res = await call('/schedule').catch(() => null);
  if (res && res.ok) {
    table = res.data;
    render();
  }
}

async function onSchedule(ev, clear) {
  ev.preventDefault();
  const who = $('#timed-who').value.trim();
  if (!who) return say('#timed-result', 'Name the team (or the player, in a solo hunt) first.', false);
  const body = { [table && table.mode === 'solo' ? 'player' : 'team']: who };
  if (!clear) {
    const start = localMs($('#timed-start').value);
    const offset = $('#timed-offset').value;
    const minutes = $('#timed-window').value;
    if (start != null) body.starts_at = start;
    if (offset !== '') body.offset_s = Math.round(Number(offset) * 60);
    if (minutes !== '') body.window_s = Math.round(Number(minutes) * 60);
  }
  const res = await call('/schedule', body);
  if (res.ok) {
    const d = res.data;
    say('#timed-result', clear ? `${who} is back on the hunt's clock.`
      : `Set: ${who} ${d.starts_at != null ? `starts ${fmt(d.starts_at)}` : d.offset_s != null ? `starts ${d.offset_s / 60} min after the hunt` : "starts with the hunt"}${d.window_s != null ? `, ${d.window_s / 60} min window` : ''}.`, true);
  } else {
    say('#timed-result', `Could not set the schedule: ${res.message}`, false);
  }
  await refresh();
}

async function onFreeze(ev) {
  ev.preventDefault();
  const at = localMs($('#freeze-at').value);
  if (at == null) return say('#freeze-result', 'Pick a time first.', false);
  const res = await call('/freeze', { at });
  if (res.ok) say('#freeze-result', res.data.frozen ? 'Frozen now (that time has passed).' : `The scoreboard freezes at ${fmt(res.data.freeze_at)}.`, true);
  else say('#freeze-result', `Could not schedule the freeze: ${res.message}`, false);
  await refresh();
}

async function onCancel() {
  // The same question as the dashboard's Reveal: it shows players the standings at once.
  if (!(await confirmAction('Call off the freeze and show players the live standings now?', 'Reveal'))) return;
  const res = await call('/reveal', {});
  say('#freeze-result', res.ok ? 'No freeze now: players see the live standings.' : `Could not: ${res.message}`, res.ok);
  await refresh();
}

function setup() {
  const panel = document.createElement('section');
  panel.id = 'timed';
  panel.className = 'panel wide';
  panel.hidden = true;
  panel.setAttribute('aria-labelledby', 'timed-heading');
  panel.innerHTML = PANEL;  // a fixed template: no data goes through innerHTML
  const detail = $('#hunt-detail');
  detail.after(panel);
  $('#timed-form').addEventListener('submit', (ev) => onSchedule(ev, false));
  $('#timed-clear').addEventListener('click', (ev) => onSchedule(ev, true));
  $('#freeze-form').addEventListener('submit', onFreeze);
  $('#freeze-cancel').addEventListener('click', onCancel);
  refresh();
  setInterval(refresh, POLL_MS);
}

setup();
