// Organiser dashboard for /admin. Plain ES module, no build step, no dependencies.
// Uses only the admin HTTP API (docs/protocol.md, Admin HTTP) with `Authorization: Bearer <token>`.
//
// Element ids (stable; end-to-end tests drive them):
//   #errors            aria-live list of error messages (one <li> each, newest last)
//   #poll-status       "updated hh:mm:ss" or the last polling problem
//   #login-section, #token-form, #token, #token-btn     sign in (token kept in sessionStorage)
//   #logout-btn        forget the token
//   #dashboard         everything below (hidden until signed in)
//   #hunt-list         <tbody>: one <tr data-hunt="{id}"> per hunt; its button .open-hunt selects it
//   #refresh-hunts-btn
//   #create-form, #create-file, #create-json, #create-btn, #create-result (message; on 4xx has
//                      class "bad" and the server's `message`, plus a <ul> of details if any)
//   #hunt-detail       the selected hunt (the selection is also kept in location.hash "#hunt={id}")
//   #hunt-title, #hunt-status, #hunt-id, #play-link
//   #start-btn, #pause-btn, #end-btn, #freeze-btn, #reveal-btn (scoreboard), #control-result,
//   #screen-link (the big-screen page, /screen/{id})
//   #announce-form, #announce-text, #announce-to (all | team | player), #announce-target (shown for
//                      a team or player: the team's name or the player's id), #announce-btn,
//                      #announce-result (class "ok" or "bad")
//   #stat-events, #stat-rate, #stat-players, #stat-mailbox ("depth / capacity"), #mailbox-meter,
//   #stat-by-type
//   #leaderboard       <tbody> of the live leaderboard (rows data-player); #leaderboard-meta
//   #clue-table        <tbody> of the per-clue funnel (rows data-clue)
//   #heatmap           <canvas>; #heatmap-legend text summary
//   #events-…, #timetravel-…, #leaderboard-prev/-next/-page: the event log, time travel and the
//                      pages of the leaderboards: see history.js (a click on an .audit-link in the
//                      event log opens that player's audit)
//   #adjust-…, #ban-…, #export-…, #import-…, #confirm-dialog: see actions.js
//   #audit-form, #audit-player, #audit-btn, #audit-summary, #audit-table (<tbody>), #audit-sum,
//   #audit-check, #audit-progress
//   #judging ...      the judging queue of mission entries: see judging.js
//   #cluster ...      the nodes and leases of a cluster (cluster mode only): see cluster.js

import { setupJudging } from './judging.js';
import { setupCluster } from './cluster.js';
import { BOARD_PAGE, Pager, setupHistory } from './history.js';
import { confirmAction, setupActions } from './actions.js';

const POLL_MS = 2000;
const HUNT_LIST_EVERY = 5;      // refresh the hunt list every 5th poll (10 s)
const TOKEN_KEY = 'hunt-admin-token';
const ERRORS_KEEP = 5;

const $ = (sel) => document.querySelector(sel);

let token = sessionStorage.getItem(TOKEN_KEY) || '';
let selected = null;             // selected hunt id
let latestSeq = 0;               // newest seq seen from the live leaderboard
let rateSample = null;           // {events, t} for the event rate
let lastHeatmapKey = '';
let lastHeatmap = null;
let pollTimer = null;
let pollCount = 0;
let polling = false;

// ---------------------------------------------------------------------------------------------
// DOM helpers (textContent only: server text is never parsed as HTML)

function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text != null) e.textContent = String(text);
  if (cls) e.className = cls;
  return e;
}

function row(cells, attrs = {}) {
  const tr = el('tr');
  for (const [k, v] of Object.entries(attrs)) tr.dataset[k] = v;
  for (const c of cells) tr.append(c instanceof Node ? c : el('td', c ?? ''));
  return tr;
}

function num(v) {
  return el('td', v ?? '', 'num');
}

function showError(text) {
  const list = $('#errors');
  list.append(el('li', text));
  while (list.children.length > ERRORS_KEEP) list.firstElementChild.remove();
}

function fmtTime(ts) {
  if (ts == null || ts === '') return '';
  let d;
  if (typeof ts === 'number') d = new Date(ts > 1e12 ? ts : ts * 1000);  // ms or seconds
  else d = new Date(ts);
  return Number.isNaN(d.getTime()) ? String(ts) : d.toLocaleString();
}

function fmtDuration(s) {
  if (s == null) return '–';
  if (s < 60) return `${Math.round(s)} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
  return `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min`;
}

// ---------------------------------------------------------------------------------------------
// API

const etags = new Map();         // url -> {etag, data}
const playerNames = new Map();   // player id -> name, from the leaderboards, audits and events seen

class Unauthorized extends Error {}

function errorMessage(res) {
  const d = res.data;
  if (d && typeof d === 'object') return d.message || d.error || d.code || `HTTP ${res.status}`;
  if (typeof d === 'string' && d) return d.slice(0, 300);
  return `HTTP ${res.status}`;
}

async function api(path, { method = 'GET', body, useEtag = false, contentType = 'application/json' } = {}) {
  const headers = { Authorization: `Bearer ${token}`, Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = contentType;
  const cached = useEtag ? etags.get(path) : null;
  if (cached) headers['If-None-Match'] = cached.etag;
  const res = await fetch(path, { method, headers, body, cache: 'no-store' });
  if (res.status === 401) {
    onUnauthorized();
    throw new Unauthorized('the admin token was refused');
  }
  if (res.status === 304 && cached) return { status: 304, ok: true, data: cached.data, fresh: false };
  const text = await res.text();
  let data = text;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    // not JSON: keep the text for the error message
  }
  const etag = res.headers.get('ETag');
  if (useEtag && res.ok && etag) etags.set(path, { etag, data });
  return { status: res.status, ok: res.ok, data, fresh: true };
}

const huntPath = (suffix = '') => `/admin/hunts/${encodeURIComponent(selected)}${suffix}`;
const judging = setupJudging({ api, huntPath, errorMessage, token: () => token });
const cluster = setupCluster({ api, errorMessage });
const past = setupHistory({ api, huntPath, errorMessage, Unauthorized, renderBoard: renderLeaderboardRows,
  playerNames });
const actions = setupActions({ api, huntPath, errorMessage, Unauthorized, token: () => token, selected: () => selected,
  playerLabel, playerNames, afterImport: async (id) => { await refreshHunts(); selectHunt(id); } });
let boardShown = null;           // the offset of the leaderboard page on screen
const boardPager = new Pager('leaderboard', BOARD_PAGE, () => pollLeaderboard().catch((e) => showError(e.message)));

// ---------------------------------------------------------------------------------------------
// Announcements

async function onAnnounce(ev) {
  ev.preventDefault();
  if (!selected) return;
  const out = $('#announce-result');
  const text = $('#announce-text').value.trim();
  const to = $('#announce-to').value;
  const target = $('#announce-target').value.trim();
  if (!text || (to !== 'all' && !target)) {
    out.textContent = text ? `Say which ${to === 'team' ? 'team' : 'player'} it is for.` : 'Type the message first.';
    out.className = 'bad';
    return;
  }
  const body = { text };
  if (to !== 'all') body[to] = target;
  out.textContent = 'Sending…';
  out.className = '';
  try {
    const res = await api(huntPath('/announce'), { method: 'POST', body: JSON.stringify(body) });
    if (res.ok) {
      out.textContent = `Sent to ${to === 'all' ? 'everybody' : `${to} ${target}`} (event #${res.data.seq}).`;
      out.className = 'ok';
      $('#announce-text').value = '';
    } else {
      out.textContent = `Not sent: ${errorMessage(res)}`;
      out.className = 'bad';
    }
  } catch (err) {
    if (!(err instanceof Unauthorized)) {
      out.textContent = `Could not reach the server: ${err.message}`;
      out.className = 'bad';
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Sign in

function showLogin(message) {
  $('#dashboard').hidden = true;
  $('#logout-btn').hidden = true;
  $('#login-section').hidden = false;
  if (message) showError(message);
  $('#token').focus();
  stopPolling();
}

function onUnauthorized() {
  if (!token) return;  // several requests in flight: report once
  token = '';
  sessionStorage.removeItem(TOKEN_KEY);
  showLogin('The admin token was refused. Please sign in again.');
}

async function signIn(candidate) {
  token = candidate;
  try {
    const res = await api('/admin/hunts');
    if (!res.ok) {
      showError(`Could not list hunts: ${errorMessage(res)}`);
      return;
    }
    sessionStorage.setItem(TOKEN_KEY, token);
    $('#errors').replaceChildren();
    $('#login-section').hidden = true;
    $('#dashboard').hidden = false;
    $('#logout-btn').hidden = false;
    renderHunts(res.data);
    cluster.refresh().catch((e) => showError(e.message));
    const fromHash = new URLSearchParams(location.hash.slice(1)).get('hunt');
    if (fromHash) selectHunt(fromHash);
    startPolling();
  } catch (err) {
    if (!(err instanceof Unauthorized)) showError(`Could not reach the server: ${err.message}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Hunt list, create, controls

function renderHunts(data) {
  const hunts = (data && data.hunts) || [];
  const rows = hunts.map((h) => {
    const btn = el('button', 'Open', 'open-hunt secondary');
    btn.type = 'button';
    btn.dataset.hunt = h.id;
    btn.setAttribute('aria-label', `Open ${h.title || h.id}`);
    const name = el('td');
    name.append(el('span', h.title || h.id), el('br'), el('code', h.id, 'muted'));
    const action = el('td');
    action.append(btn);
    const tr = row([name, el('td', h.status), num(h.players), num(h.events), action], { hunt: h.id });
    if (h.id === selected) tr.className = 'me';
    return tr;
  });
  if (!rows.length) {
    const td = el('td', 'No hunts yet. Create one.', 'muted');
    td.colSpan = 5;
    rows.push(row([td]));
  }
  $('#hunt-list').replaceChildren(...rows);
}

async function refreshHunts() {
  const res = await api('/admin/hunts');
  if (res.ok) renderHunts(res.data);
  else showError(`Could not list hunts: ${errorMessage(res)}`);
}

function showCreateResult(text, cls, details) {
  const box = $('#create-result');
  const p = el('p', text, cls);
  box.replaceChildren(p);
  if (details) {
    const items = Array.isArray(details)
      ? details
      : Object.entries(details).map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`);
    const ul = el('ul');
    for (const d of items) ul.append(el('li', typeof d === 'string' ? d : JSON.stringify(d), cls));
    box.append(ul);
  }
}

async function onCreate(ev) {
  ev.preventDefault();
  const text = $('#create-json').value.trim();
  if (!text) {
    showCreateResult('Paste a hunt definition or choose a file first.', 'bad');
    return;
  }
  let def;
  try {
    def = JSON.parse(text);
  } catch (err) {
    showCreateResult(`That is not valid JSON: ${err.message}`, 'bad');
    return;
  }
  if (!def || typeof def !== 'object' || Array.isArray(def)) {
    showCreateResult('A hunt definition is a JSON object.', 'bad');
    return;
  }
  $('#create-btn').disabled = true;
  try {
    const res = await api('/admin/hunts', { method: 'POST', body: text });
    if (res.ok) {
      const id = (res.data && res.data.id) || def.id;
      showCreateResult(`Created hunt “${id}”.`, 'ok');
      await refreshHunts();
      if (id) selectHunt(id);
    } else {
      const d = res.data && typeof res.data === 'object' ? res.data : {};
      showCreateResult(`Not created (HTTP ${res.status}): ${errorMessage(res)}`, 'bad', d.errors || d.details);
    }
  } catch (err) {
    if (!(err instanceof Unauthorized)) showCreateResult(`Could not reach the server: ${err.message}`, 'bad');
  } finally {
    $('#create-btn').disabled = false;
  }
}

async function onFileChosen() {
  const file = $('#create-file').files[0];
  if (!file) return;
  $('#create-json').value = await file.text();
  showCreateResult(`Loaded ${file.name}. Check it, then press “Create hunt”.`, 'muted');
}

const CONFIRM = {
  end: 'End the hunt now? Players can no longer score, and every clue is shown.',
  reveal: 'Reveal the frozen standings to the players now?',
};

async function control(action) {
  if (!selected) return;
  if (CONFIRM[action] && !await confirmAction(CONFIRM[action], action === 'end' ? 'End the hunt' : 'Reveal')) return;
  const out = $('#control-result');
  out.textContent = `${action}…`;
  out.className = '';
  try {
    const res = await api(huntPath(`/${action}`), { method: 'POST' });
    if (res.ok) {
      const status = res.data && res.data.status;
      out.textContent = status ? `Done: the hunt is ${status}.` : `Done: ${action}.`;
      out.className = 'ok';
      if (status) showStatus(status);
      await Promise.all([refreshHunts(), pollDetail()]).catch(() => {});
    } else {
      out.textContent = `Could not ${action}: ${errorMessage(res)}`;
      out.className = 'bad';
    }
  } catch (err) {
    if (!(err instanceof Unauthorized)) {
      out.textContent = `Could not reach the server: ${err.message}`;
      out.className = 'bad';
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Selected hunt

function selectHunt(id) {
  selected = id;
  playerNames.clear();
  latestSeq = 0;
  rateSample = null;
  lastHeatmapKey = '';
  lastHeatmap = null;
  etags.clear();  // a 304 must only ever mean "what is on screen is current"
  history.replaceState(null, '', `#hunt=${encodeURIComponent(id)}`);
  $('#hunt-detail').hidden = false;
  $('#judging').hidden = false;
  judging.reset();
  document.dispatchEvent(new CustomEvent('hunt-selected', { detail: id }));  // edits.js
  $('#hunt-title').textContent = id;
  $('#hunt-id').textContent = id;
  const link = $('#play-link');
  link.href = `/play/${encodeURIComponent(id)}`;
  link.textContent = link.href;
  $('#screen-link').href = `/screen/${encodeURIComponent(id)}`;
  for (const sel of ['#leaderboard', '#clue-table', '#events-table', '#audit-table', '#timetravel-table']) {
    $(sel).replaceChildren();
  }
  for (const sel of ['#leaderboard-meta', '#events-meta', '#audit-summary', '#audit-sum', '#audit-check',
    '#audit-progress', '#timetravel-meta', '#control-result', '#stat-by-type']) {
    $(sel).textContent = '';
  }
  past.reset();
  boardShown = null;
  actions.reset();
  boardPager.reset();
  for (const sel of ['#timetravel-range', '#timetravel-seq']) {
    $(sel).max = '1';
    $(sel).value = '1';
  }
  for (const sel of ['#stat-events', '#stat-rate', '#stat-players', '#stat-mailbox']) $(sel).textContent = '–';
  for (const tr of $('#hunt-list').children) tr.classList.toggle('me', tr.dataset.hunt === id);
  pollSelected();
  past.searchEvents();
}

// The controls that make sense in a status; Start resumes a paused hunt.
function showStatus(status) {
  $('#hunt-status').textContent = status;
  $('#start-btn').textContent = status === 'paused' ? 'Resume' : 'Start';
  $('#start-btn').disabled = status === 'active' || status === 'ended';
  $('#pause-btn').disabled = status !== 'active';
  $('#end-btn').disabled = status === 'ended';
}

function playerLabel(id) {
  const name = playerNames.get(id);
  return name && name !== id ? `${name} (${id})` : id;
}

function renderLeaderboardRows(tbody, rows) {
  for (const r of rows || []) if (r.name) playerNames.set(r.player, r.name);
  tbody.replaceChildren(...(rows || []).map((r) =>
    row([num(r.rank), el('td', r.name ?? ''), el('td', r.player), num(r.score)], { player: r.player })));
}

async function pollLeaderboard() {
  const res = await api(huntPath(`/leaderboard?limit=${BOARD_PAGE}&offset=${boardPager.offset}`), { useEtag: true });
  if (!res.ok) throw new Error(`leaderboard: ${errorMessage(res)}`);
  if (!res.fresh && boardShown === boardPager.offset) return;  // a 304 for another page is still news here
  boardShown = boardPager.offset;
  const d = res.data || {};
  renderLeaderboardRows($('#leaderboard'), d.rows);
  boardPager.show(d.total ?? 0);
  actions.knowPlayers(d.rows);
  $('#leaderboard-meta').textContent = `As of seq ${d.seq ?? '?'} · ${d.total ?? '?'} players`;
  if (typeof d.seq === 'number') setLatestSeq(d.seq);
}

function setLatestSeq(seq) {
  const range = $('#timetravel-range');
  const following = Number(range.value) >= latestSeq;  // slider at the live end keeps following
  latestSeq = Math.max(latestSeq, seq);
  range.max = String(latestSeq);
  $('#timetravel-seq').max = String(latestSeq);
  if (following) {
    range.value = String(latestSeq);
    $('#timetravel-seq').value = String(latestSeq);
  }
}

async function pollDetail() {
  const res = await api(huntPath(), { useEtag: true });
  if (!res.ok) throw new Error(`hunt: ${errorMessage(res)}`);
  const d = res.data || {};
  $('#hunt-title').textContent = d.title || selected;
  showStatus(d.status ?? '');
  const stats = d.stats || {};
  const now = performance.now();
  if (typeof stats.events === 'number') {
    $('#stat-events').textContent = String(stats.events);
    if (rateSample && now > rateSample.t) {
      const rate = ((stats.events - rateSample.events) * 1000) / (now - rateSample.t);
      $('#stat-rate').textContent = rate.toFixed(rate < 10 ? 1 : 0);
    }
    rateSample = { events: stats.events, t: now };
  }
  $('#stat-players').textContent = stats.players ?? '–';
  const byType = stats.by_type || {};
  $('#stat-by-type').textContent =
    Object.entries(byType).map(([k, v]) => `${k} ${v}`).join(' · ') || '–';
  $('#event-types').replaceChildren(...Object.keys(byType).map((k) => {
    const o = el('option');
    o.value = k;
    return o;
  }));
  const actor = d.actor || {};
  if (actor.mailbox_depth != null) {
    const cap = actor.mailbox_capacity;
    $('#stat-mailbox').textContent = cap != null ? `${actor.mailbox_depth} / ${cap}` : String(actor.mailbox_depth);
    $('#mailbox-meter').value = cap ? actor.mailbox_depth / cap : 0;
  } else {
    $('#stat-mailbox').textContent = actor.active === false ? 'idle' : '–';
    $('#mailbox-meter').value = 0;
  }
  if (d.heatmap) drawHeatmap(d.heatmap);
}

async function pollClues() {
  const res = await api(huntPath('/clues'), { useEtag: true });
  if (!res.ok) throw new Error(`clues: ${errorMessage(res)}`);
  // Rendered on a 304 too: the first finders' names may have arrived since.
  const clues = (res.data && res.data.clues) || [];
  $('#clue-table').replaceChildren(...clues.map((c) => {
    const name = el('td');
    name.append(el('span', c.title || c.id), document.createTextNode(' '), el('code', c.id, 'muted'));
    const first = c.first_finder == null ? '–' : playerLabel(c.first_finder);
    return row([name, num(c.attempts), num(c.finders), el('td', first), num(fmtDuration(c.median_solve_s))],
      { clue: c.id });
  }));
}

async function pollSelected() {
  if (!selected) return;
  const id = selected;
  // The leaderboard first: it brings the players' names the funnel shows.
  const [board] = await Promise.allSettled([pollLeaderboard()]);
  const results = [board, ...await Promise.allSettled([pollDetail(), pollClues(), judging.refresh()])];
  if (id !== selected) return;
  const failed = results.filter((r) => r.status === 'rejected' && !(r.reason instanceof Unauthorized));
  const status = $('#poll-status');
  if (failed.length) status.textContent = `Update problem: ${failed.map((r) => r.reason.message).join('; ')}`;
  else status.textContent = `Updated ${new Date().toLocaleTimeString()}`;
}

// ---------------------------------------------------------------------------------------------
// Polling

async function tick() {
  if (polling) return;
  polling = true;
  try {
    if (document.visibilityState !== 'hidden' && token) {
      pollCount += 1;
      if (pollCount % HUNT_LIST_EVERY === 0) await refreshHunts().catch(() => {});
      await cluster.refresh().catch((e) => { if (!(e instanceof Unauthorized)) showError(e.message); });
      await pollSelected();
    }
  } finally {
    polling = false;
  }
}

function startPolling() {
  stopPolling();
  pollTimer = setInterval(tick, POLL_MS);
}

function stopPolling() {
  clearInterval(pollTimer);
  pollTimer = null;
}

// ---------------------------------------------------------------------------------------------
// Heatmap: cells are [lat, lon, count]; lat/lon taken as the south-west corner of a cell of
// `cell_deg` degrees. Drawn with an equirectangular projection scaled by cos(latitude).

function heatColor(t) {
  // t in [0, 1]: pale yellow -> dark red
  const hue = 55 - 55 * t;
  const light = 85 - 50 * t;
  return `hsl(${hue} 95% ${light}%)`;
}

function drawHeatmap(hm) {
  const key = JSON.stringify(hm);
  const canvas = $('#heatmap');
  const cssWidth = canvas.clientWidth || 320;
  const sizeKey = `${key}|${cssWidth}`;
  if (sizeKey === lastHeatmapKey) return;
  lastHeatmapKey = sizeKey;
  lastHeatmap = hm;

  const dpr = window.devicePixelRatio || 1;
  const w = Math.round(cssWidth * dpr);
  const h = Math.round(w * 0.75);
  canvas.width = w;
  canvas.height = h;
  const ctx = canvas.getContext('2d');
  ctx.clearRect(0, 0, w, h);
  const fg = getComputedStyle(document.body).color;

  const cells = (hm.cells || []).filter((c) => Array.isArray(c) && c.length >= 3);
  const size = Number(hm.cell_deg) || 0.001;
  if (!cells.length) {
    ctx.fillStyle = fg;
    ctx.font = `${14 * dpr}px system-ui, sans-serif`;
    ctx.fillText('No location pings yet', 12 * dpr, 24 * dpr);
    canvas.setAttribute('aria-label', 'Heatmap of location pings: no pings yet');
    canvas.textContent = 'No location pings yet.';
    $('#heatmap-legend').textContent = '';
    return;
  }
  let minLat = Infinity; let maxLat = -Infinity; let minLon = Infinity; let maxLon = -Infinity;
  let maxCount = 0; let total = 0; let hottest = cells[0];
  for (const [lat, lon, count] of cells) {
    minLat = Math.min(minLat, lat); maxLat = Math.max(maxLat, lat + size);
    minLon = Math.min(minLon, lon); maxLon = Math.max(maxLon, lon + size);
    total += count;
    if (count > maxCount) { maxCount = count; hottest = [lat, lon, count]; }
  }
  const kx = Math.cos((((minLat + maxLat) / 2) * Math.PI) / 180) || 1;
  const spanX = (maxLon - minLon) * kx;
  const spanY = maxLat - minLat;
  const pad = 8 * dpr;
  const scale = Math.min((w - 2 * pad) / spanX, (h - 2 * pad) / spanY);
  const offX = (w - spanX * scale) / 2;
  const offY = (h - spanY * scale) / 2;
  const cw = Math.max(1, size * kx * scale);
  const ch = Math.max(1, size * scale);
  const logMax = Math.log1p(maxCount);
  for (const [lat, lon, count] of cells) {
    const x = offX + (lon - minLon) * kx * scale;
    const y = offY + (maxLat - (lat + size)) * scale;
    ctx.fillStyle = heatColor(logMax ? Math.log1p(count) / logMax : 1);
    ctx.fillRect(x, y, cw, ch);
  }
  ctx.strokeStyle = fg;
  ctx.lineWidth = dpr;
  ctx.strokeRect(offX, offY, spanX * scale, spanY * scale);

  const summary = `${total} pings in ${cells.length} cells of ${size}°; busiest cell ${hottest[2]} pings at `
    + `${hottest[0].toFixed(4)}, ${hottest[1].toFixed(4)}; area ${minLat.toFixed(4)}–${maxLat.toFixed(4)} N, `
    + `${minLon.toFixed(4)}–${maxLon.toFixed(4)} E. Darker red = more pings.`;
  canvas.setAttribute('aria-label', `Heatmap of location pings: ${summary}`);
  canvas.textContent = summary;
  $('#heatmap-legend').textContent = summary;
}

// ---------------------------------------------------------------------------------------------
// Score audit

async function loadAudit(player) {
  if (!selected || !player) return;
  $('#audit-player').value = player;
  const summary = $('#audit-summary');
  summary.textContent = 'Loading…';
  summary.className = '';
  try {
    const res = await api(huntPath(`/players/${encodeURIComponent(player)}`));
    if (!res.ok) {
      summary.textContent = `Could not load ${player}: ${errorMessage(res)}`;
      summary.className = 'bad';
      $('#audit-table').replaceChildren();
      return;
    }
    const d = res.data || {};
    if (d.name) playerNames.set(d.player, d.name);
    summary.textContent = `${d.name ?? d.player} (${d.player}): score ${d.score}, rank ${d.rank ?? '–'}`;
    const audit = d.audit || [];
    $('#audit-table').replaceChildren(...audit.map((a) => row([
      num(a.seq), el('td', fmtTime(a.ts)), el('td', a.type), el('td', a.clue ?? ''),
      num(a.points), el('td', a.reason ?? ''),
    ], { seq: a.seq })));
    const sum = audit.reduce((s, a) => s + (Number(a.points) || 0), 0);
    $('#audit-sum').textContent = String(sum);
    const check = $('#audit-check');
    check.textContent = sum === d.score ? '✓ equals the score' : `✗ score is ${d.score}`;
    check.className = sum === d.score ? 'ok' : 'bad';
    $('#audit-progress').textContent = JSON.stringify(d.progress ?? {}, null, 2);
    $('#audit-summary').scrollIntoView({ block: 'nearest' });
  } catch (err) {
    if (!(err instanceof Unauthorized)) {
      summary.textContent = `Could not reach the server: ${err.message}`;
      summary.className = 'bad';
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Wiring

function main() {
  $('#token-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const t = $('#token').value.trim();
    if (t) signIn(t);
  });
  $('#logout-btn').addEventListener('click', () => {
    token = '';
    sessionStorage.removeItem(TOKEN_KEY);
    showLogin();
  });
  $('#refresh-hunts-btn').addEventListener('click', () => refreshHunts().catch((e) => showError(e.message)));
  $('#hunt-list').addEventListener('click', (ev) => {
    const b = ev.target.closest('button.open-hunt');
    if (b) selectHunt(b.dataset.hunt);
  });
  $('#create-form').addEventListener('submit', onCreate);
  $('#create-file').addEventListener('change', onFileChosen);
  $('#announce-form').addEventListener('submit', onAnnounce);
  $('#announce-to').addEventListener('change', () => {
    $('#announce-target-field').hidden = $('#announce-to').value === 'all';
  });
  $('#start-btn').addEventListener('click', () => control('start'));
  $('#freeze-btn').addEventListener('click', () => control('freeze'));
  $('#reveal-btn').addEventListener('click', () => control('reveal'));
  $('#pause-btn').addEventListener('click', () => control('pause'));
  $('#end-btn').addEventListener('click', () => control('end'));
  $('#events-table').addEventListener('click', (ev) => {
    const b = ev.target.closest('button.audit-link');
    if (b) loadAudit(b.dataset.player);
  });
  $('#audit-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    loadAudit(actions.playerId($('#audit-player').value.trim()));
  });
  window.addEventListener('resize', () => {
    if (lastHeatmap) drawHeatmap(lastHeatmap);
  });
  window.addEventListener('hashchange', () => {
    const id = new URLSearchParams(location.hash.slice(1)).get('hunt');
    if (id && id !== selected && token) selectHunt(id);
  });

  if (token) signIn(token); else showLogin();
}

main();
