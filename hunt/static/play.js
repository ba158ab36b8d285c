// Player page for /play/{hunt_id}. Plain ES module, no build step, no dependencies.
//
// Element ids (stable; end-to-end tests drive them):
//   #hunt-title      hunt title (h1)               #hunt-status   hunt status badge
//   #conn-status     connection state, data-state = connecting | open | closed
//   #errors          aria-live list of error messages (one <li> each, newest last)
//   #join-section    join panel (hidden once joined)
//   #join-form, #join-name, #join-team and #join-code (shown in teams mode only, #join-team-field,
//                    #join-code-field), #join-btn
//   #team-code       the team's code, shown to its captain (#team-code-stat)
//   teams and divisions (#team-stat, #division-stat, #division-board, #join-division): teams-play.js
//   #game            game area (hidden until joined)
//   #player-name, #score, #rank   (plain numbers in #score and #rank; "–" when unknown)
//   #share-location  checkbox: send location pings every 15 s
//   #leave-btn       forget this player on this device (clears localStorage, reloads)
//   #announcement    the latest announcement from the organisers (role="alert"; hidden until one
//                    comes, or once dismissed): #announcement-text, #announcement-close; it has
//                    data-seq of its feed item; announcements are also kept in #feed
//   #side-clock      timed play (clock.js): "Your start in ...", "Your time left: ...", "Next clue
//                    opens in ...", "Scoreboard freezes in ..." (hidden when nothing is timed)
//   #hunt-description  the hunt's description (hidden when it has none)
//   #hunt-times      shown when the hunt has a start or an end: #hunt-schedule (the local times)
//                    and #hunt-countdown ("starts in 1:02:03" / "ends in 4:05", updated every second)
//   #manual-position, #manual-lat, #manual-lon   typed position used instead of GPS when both set;
//                    only shown (and used) when the hunt definition sets allow_typed_position
//   #clues           list of clues; each open/found clue is <li id="clue-{id}" data-clue="{id}">
//                    with class "found" once found, and inside it (.meta says what the clue would
//                    score now: its `value`, refreshed by leaderboard pushes):
//                      #clue-{id}-input   answer / code text (absent for geo and mission clues;
//                                         missions have a camera input and / or a text: missions.js)
//                      #clue-{id}-submit  submit answer / code, or check in (geo)
//                      #clue-{id}-hint    take the next hint (text shows the cost)
//                      #clue-{id}-hints   list of hint texts taken
//                      #clue-{id}-result  outcome of the last command on this clue
//                      #clue-{id}-media   its images and recordings (cluemedia.js; hints' in their <li>)
//   #intro, #outro, #map-panel   the hunt's intro and outro (cluemedia.js), the map (cluemap.js)
//   #clues-locked    "N more clues are locked" text
//   #leaderboard-frozen  shown while the scoreboard is frozen (the rows are as of the freeze)
//   #leaderboard     <tbody>; rows carry data-player, the player's own row (their team's, in team
//                    hunts) has class "me"
//   #feed            aria-live <ol> of feed items, newest first; <li data-seq="N">
//
// Persistence: localStorage["hunt:v1:{hunt_id}"] = {player, token, name, team, since, pending:[cmd],
// hints:{clue:[{text,cost}]}, feed:[last 50 feed items], dismissed: the seq of the last announcement
// dismissed}. Unacknowledged commands stay in `pending` and are resubmitted with the same ids after
// every (re)connection.
// localStorage["hunt:device"]: this browser's device id, sent with join and hello (the server
// keeps wrong-attempt limits and bans per device too); "Forget me" keeps it.
//
// Flow control: the join ack and `welcome` say the connection's `window`, how many commands it
// may have unanswered; commands beyond it wait here, in order, until an answer makes room.

import { applyEntries, buildMission, entries, onEntryFeed, sendEntry } from './missions.js';
import { joinExtras, onDivisionBoard, onTeamFeed, setupTeamJoin, showTeam } from './teams-play.js';
import { EDIT_KINDS, mergeHunt } from './play_edits.js';
import { setupClock } from './clock.js';
import { showMedia, showNotices } from './cluemedia.js';  // images and recordings, intro and outro
import { setupMap } from './cluemap.js';  // the map of open geo clues, when the organiser has it on

const RECONNECT_MAX_MS = 15000;
const PING_EVERY_MS = 15000;
const FEED_KEEP = 50;
const ERRORS_KEEP = 5;

const $ = (sel) => document.querySelector(sel);

// ---------------------------------------------------------------------------------------------
// Hunt id, storage

function huntIdFromLocation() {
  const m = location.pathname.match(/\/play\/([^/]+)\/?$/);
  if (m) return decodeURIComponent(m[1]);
  return new URLSearchParams(location.search).get('hunt') || '';
}

const huntId = huntIdFromLocation();
const storageKey = `hunt:v1:${huntId}`;

function loadSaved() {
  const empty = { player: null, token: null, name: null, team: null, since: 0, pending: [], hints: {}, feed: [] };
  try {
    const raw = localStorage.getItem(storageKey);
    if (!raw) return empty;
    return { ...empty, ...JSON.parse(raw) };
  } catch {
    return empty;
  }
}

let saved = loadSaved();

function persist() {
  try {
    localStorage.setItem(storageKey, JSON.stringify(saved));
  } catch {
    // Storage full or disabled (private mode): keep going in memory.
  }
}

function newId() {
  if (crypto.randomUUID) return crypto.randomUUID();
  // crypto.randomUUID needs a secure context; plain http on a LAN address does not have one.
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

function deviceId() {
  try {
    let id = localStorage.getItem('hunt:device');
    if (!id) {
      id = newId();
      localStorage.setItem('hunt:device', id);
    }
    return id;
  } catch {
    return undefined;  // storage disabled: no device id (the server does not need one)
  }
}

const device = deviceId();

// ---------------------------------------------------------------------------------------------
// Game state (the server is the authority; this only mirrors it for display)

let hunt = null;                 // public hunt definition from GET /hunts/{id}
let sideClock = null;            // timed play's countdowns (clock.js)
const found = new Set();         // clue ids this player has found
const hintsTaken = new Map();    // clue id -> number of hints taken (from progress or acks)
const seenFeed = new Set(saved.feed.map((f) => f.seq));
const clueEls = new Map();       // clue id -> {li, input, submit, hintBtn, hintList, result}

// ---------------------------------------------------------------------------------------------
// Small DOM helpers (textContent only: server text is never parsed as HTML)

function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text != null) e.textContent = String(text);
  if (cls) e.className = cls;
  return e;
}

function showError(code, message, extra) {
  const list = $('#errors');
  const li = el('li', [code, message, extra].filter(Boolean).join(': '));
  li.dataset.code = code || '';
  list.append(li);
  while (list.children.length > ERRORS_KEEP) list.firstElementChild.remove();
}

function setConn(state, text) {
  const s = $('#conn-status');
  s.dataset.state = state;
  s.textContent = text;
}

function setStatus(status) {
  if (!status) return;
  if (hunt && hunt.status !== status) {
    hunt.status = status;
    refreshHunt();  // the start opens clues (their prompts come from the server)
  }
  $('#hunt-status').textContent = status;
  showTimes();
}

// ---------------------------------------------------------------------------------------------
// Description, start and end times, countdown

let countdownTimer = null;

function showDescription() {
  const p = $('#hunt-description');
  p.textContent = hunt.description || '';
  p.hidden = !hunt.description;
}

function clock(ms) {
  const s = Math.max(0, Math.ceil(ms / 1000));
  const [d, h, m, sec] = [Math.floor(s / 86400), Math.floor(s / 3600) % 24, Math.floor(s / 60) % 60, s % 60];
  const hms = `${h}:${String(m).padStart(2, '0')}:${String(sec).padStart(2, '0')}`;
  return d > 0 ? `${d} d ${hms}` : hms;
}

function showTimes() {
  if (!hunt) return;
  const fmt = (ms) => new Date(ms).toLocaleString([], { dateStyle: 'medium', timeStyle: 'short' });
  const parts = [];
  if (hunt.starts_at != null) parts.push(`Starts ${fmt(hunt.starts_at)}`);
  if (hunt.ends_at != null) parts.push(`ends ${fmt(hunt.ends_at)}`);
  $('#hunt-schedule').textContent = parts.join(', ');
  $('#hunt-times').hidden = parts.length === 0;
  clearInterval(countdownTimer);
  countdownTimer = null;
  const tick = () => {
    const now = Date.now();
    let text = '';
    if (hunt.status === 'pending' && hunt.starts_at != null && hunt.starts_at > now) {
      text = `Starts in ${clock(hunt.starts_at - now)}`;
    } else if (hunt.status !== 'ended' && hunt.ends_at != null && hunt.ends_at > now) {
      text = `Ends in ${clock(hunt.ends_at - now)}`;
    }
    $('#hunt-countdown').textContent = text;
    if (!text) {
      clearInterval(countdownTimer);
      countdownTimer = null;
    }
  };
  tick();
  if ($('#hunt-countdown').textContent) countdownTimer = setInterval(tick, 1000);
}

function setScore(score) {
  if (typeof score === 'number') $('#score').textContent = String(score);
}

function setRank(rank) {
  if (rank != null) $('#rank').textContent = String(rank);
}

function clueTitle(id) {
  const c = hunt && hunt.clues.find((x) => x.id === id);
  return c ? c.title : id;
}

// ---------------------------------------------------------------------------------------------
// Clues

// Timed play: a clue the server says opens later (its prompt comes once it has).
const opensLater = (clue) => clue.opens_at != null && clue.opens_at > Date.now() && clue.locked === true;

function isOpen(clue, index) {
  if (found.has(clue.id)) return true;
  if (opensLater(clue)) return false;
  // The server sends a prompt only for a clue open to this side (organisers may unlock one).
  if (clue.prompt !== undefined && !clue.locked) return true;
  if (hunt.order === 'sequential' && hunt.clues.slice(0, index).some((c) => !found.has(c.id))) {
    return false;
  }
  return (clue.after || []).every((id) => found.has(id));
}

function pendingFor(clueId, op) {
  return saved.pending.some((c) => c.clue === clueId && (!op || c.op === op));
}

function buildClue(clue) {
  const li = $('#clue-template').content.firstElementChild.cloneNode(true);
  const base = `clue-${clue.id}`;
  li.id = base;
  li.dataset.clue = clue.id;
  li.querySelector('.clue-title').textContent = clue.title || clue.id;
  const prompt = li.querySelector('.prompt');
  const media = li.querySelector('.media');
  media.id = `${base}-media`;

  const form = li.querySelector('.clue-form');
  const input = li.querySelector('.clue-input');
  const label = li.querySelector('.clue-input-label');
  const submit = li.querySelector('.clue-submit');
  const hintBtn = li.querySelector('.hint-btn');
  const hintList = li.querySelector('.hint-list');
  const result = li.querySelector('.result');
  submit.id = `${base}-submit`;
  hintBtn.id = `${base}-hint`;
  hintList.id = `${base}-hints`;
  result.id = `${base}-result`;

  if (clue.kind === 'geo') {
    label.closest('.field').remove();
    submit.textContent = 'Check in here';
  } else if (clue.kind === 'mission') {
    buildMission(clue, li, base);  // missions.js: the camera input and / or a text
  } else {
    input.id = `${base}-input`;
    label.htmlFor = input.id;
    label.textContent = clue.kind === 'code' ? 'Code' : 'Your answer';
    submit.textContent = clue.kind === 'code' ? 'Submit code' : 'Submit answer';
    if (clue.kind === 'code') input.autocapitalize = 'characters';
  }

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    if (clue.kind === 'mission') {
      sendEntry(clue, clueEls.get(clue.id), { huntId, token: saved.token,
        say: (text, cls) => { clueResult(clue.id, text, cls); renderClues(); } });
    } else {
      onClueSubmit(clue, clue.kind === 'geo' ? null : input, result);
    }
  });
  hintBtn.addEventListener('click', () => {
    hintBtn.disabled = true;
    command('hint', { clue: clue.id });
  });

  const parts = { li, prompt, media, input: ['geo', 'mission'].includes(clue.kind) ? null : input, submit, hintBtn, hintList, result };
  clueEls.set(clue.id, parts);
  return parts;
}

function renderClues() {
  if (!hunt) return;
  const list = $('#clues');
  let locked = 0;
  let later = 0;
  hunt.clues.forEach((clue, index) => {
    const parts = clueEls.get(clue.id) || buildClue(clue);
    if (!parts.li.isConnected) list.append(parts.li);
    const open = isOpen(clue, index);
    parts.li.hidden = !open;
    if (!open && opensLater(clue) && !found.has(clue.id)) later += 1;
    else if (!open) locked += 1;
    const isFound = found.has(clue.id);
    parts.li.classList.toggle('found', isFound);
    // The server sends a clue's prompt only once it is open to this player (GET /hunts/{id}).
    parts.prompt.textContent = clue.prompt || '';
    parts.prompt.hidden = !clue.prompt;
    showMedia(parts.media, clue.media, mediaContext());

    const kindText = { answer: 'Answer', geo: 'Check-in', code: 'Code', mission: 'Mission' }[clue.kind] || clue.kind;
    const value = typeof clue.value === 'number' ? clue.value : clue.points;
    const waiting = clue.kind === 'mission' && !isFound && (entries.get(clue.id) || {}).status === 'pending';
    parts.li.classList.toggle('pending', waiting);
    const closed = clue.closes_at != null && clue.closes_at <= Date.now();  // timed play
    parts.li.querySelector('.meta').textContent = isFound ? `${kindText} · found ✓`
      : `${kindText} · ${value} points now${waiting ? ' · waiting for a judge' : ''}${closed ? ' · closed' : ''}`;
    parts.submit.disabled = isFound || waiting || closed;
    if (parts.input) parts.input.disabled = isFound;

    const hints = clue.hints || [];
    const taken = hintsTaken.get(clue.id) || 0;
    const texts = (saved.hints[clue.id] || []).filter(Boolean);
    parts.hintList.replaceChildren(...texts.map((h, i) => {
      const li = el('li', `${h.text} (−${h.cost} points)`);
      if ((hints[i] || {}).media) showMedia(li.appendChild(el('div', null, 'media')), hints[i].media, mediaContext());
      return li;
    }));
    if (taken < hints.length && !isFound) {
      parts.hintBtn.hidden = false;
      const cost = hints[taken].cost;
      const price = hunt.hint_policy === 'deduct_from_reward'
        ? `${cost} points off this clue's reward` : `costs ${cost} points`;
      parts.hintBtn.textContent = `Take hint ${taken + 1} of ${hints.length} (${price})`;
      parts.hintBtn.disabled = pendingFor(clue.id, 'hint');
    } else {
      parts.hintBtn.hidden = true;
    }
  });
  $('#clues-locked').textContent = [
    locked === 0 ? '' : `${locked} more ${locked === 1 ? 'clue is' : 'clues are'} locked: solve the open ones to unlock them.`,
    later === 0 ? '' : `${later} more ${later === 1 ? 'clue opens' : 'clues open'} on the clock (see the countdown).`,
  ].filter(Boolean).join(' ');
}

function markFound(clueId) {
  if (!clueId || found.has(clueId)) return;
  found.add(clueId);
  renderClues();
  refreshHunt();  // a find can open clues: fetch their prompts
}

function typedPositionAllowed() {
  return !!(hunt && hunt.allow_typed_position);
}

function getPosition({ fresh = false } = {}) {
  if (typedPositionAllowed()) {
    const lat = parseFloat($('#manual-lat').value);
    const lon = parseFloat($('#manual-lon').value);
    if (Number.isFinite(lat) && Number.isFinite(lon)) return Promise.resolve({ lat, lon });
  }
  if (!navigator.geolocation) return Promise.reject(new Error('this browser has no geolocation'));
  return new Promise((resolve, reject) => {
    navigator.geolocation.getCurrentPosition(
      (pos) => resolve({ lat: pos.coords.latitude, lon: pos.coords.longitude }),
      (err) => reject(new Error(err.message || 'position unavailable')),
      // A check-in takes a fresh fix (a cached one may be from before the player got there);
      // location pings may reuse one up to 10 s old.
      { enableHighAccuracy: true, timeout: 15000, maximumAge: fresh ? 0 : 10000 },
    );
  });
}

async function onClueSubmit(clue, input, result) {
  if (clue.kind === 'geo') {
    result.textContent = 'Finding your position…';
    try {
      const { lat, lon } = await getPosition({ fresh: true });
      result.textContent = 'Checking in…';
      command('checkin', { clue: clue.id, lat, lon });
    } catch (err) {
      if (typedPositionAllowed()) {
        result.textContent = `Could not get your position (${err.message}). You can type one instead.`;
        $('#manual-position').open = true;
      } else {
        result.textContent = `Could not get your position (${err.message}). Allow location access and try again.`;
      }
    }
    return;
  }
  const value = input.value.trim();
  if (!value) {
    result.textContent = clue.kind === 'code' ? 'Type the code first.' : 'Type an answer first.';
    input.focus();
    return;
  }
  result.textContent = 'Sending…';
  if (clue.kind === 'code') command('code', { clue: clue.id, code: value });
  else command('answer', { clue: clue.id, answer: value });
}

// ---------------------------------------------------------------------------------------------
// Progress (welcome) — lenient about the exact shape, see the report / docs/protocol.md

function idsOf(v) {
  // Accepts ["c1", ...], [{clue:"c1", ...}, ...] or {"c1": {...}, ...}.
  if (Array.isArray(v)) return v.map((x) => (typeof x === 'string' ? x : x && (x.clue ?? x.id)));
  if (v && typeof v === 'object') return Object.keys(v);
  return [];
}

function applyProgress(p) {
  if (!p || typeof p !== 'object') return;
  for (const id of idsOf(p.found)) if (id) found.add(id);
  const hints = p.hints ?? p.hints_taken;
  if (Array.isArray(hints)) {
    // [{clue, text?, cost?}, ...] or ["c1", "c1", ...]: one entry per hint taken.
    hintsTaken.clear();
    for (const h of hints) {
      const id = typeof h === 'string' ? h : h && h.clue;
      if (id) hintsTaken.set(id, (hintsTaken.get(id) || 0) + 1);
    }
  } else if (hints && typeof hints === 'object') {
    // {"c1": 2} or {"c1": [{text, cost}, ...]}
    for (const [id, v] of Object.entries(hints)) {
      hintsTaken.set(id, Array.isArray(v) ? v.length : Number(v) || 0);
      if (Array.isArray(v) && v.every((h) => h && typeof h.text === 'string')) {
        saved.hints[id] = v.map((h) => ({ text: h.text, cost: h.cost }));
      }
    }
  }
  for (const [id, texts] of Object.entries(saved.hints)) {
    hintsTaken.set(id, Math.max(hintsTaken.get(id) || 0, texts.length));
  }
  applyEntries(p.entries);
  setScore(p.score);
  setRank(p.rank);
  renderClues();
}

// ---------------------------------------------------------------------------------------------
// Feed and leaderboard

function feedText(item) {
  if ((item.kind ?? item.type) === 'announcement') return `From the organisers: ${item.text ?? ''}`;
  if (typeof item.text === 'string' && item.text) return item.text;
  const kind = item.kind ?? item.type ?? 'event';
  const who = item.name ?? item.player ?? 'Someone';
  const clue = item.clue != null ? `“${clueTitle(item.clue)}”` : '';
  switch (kind) {
    case 'clue_found': {
      const pts = item.points != null ? ` (+${item.points})` : '';
      const first = item.first ? ' — first to find it!' : '';
      return `${who} found ${clue}${pts}${first}`;
    }
    case 'hunt_started': return 'The hunt has started!';
    case 'hunt_paused': return 'The hunt is paused.';
    case 'hunt_resumed': return 'The hunt has resumed.';
    case 'hunt_ended': return 'The hunt has ended.';
    case 'player_joined':
    case 'joined': return `${who} joined the hunt`;
    default:
      return [kind.replace(/_/g, ' '), item.name ?? item.player, clue].filter(Boolean).join(' · ');
  }
}

function renderFeedItem(item) {
  const li = el('li');
  if (item.seq != null) {
    li.dataset.seq = String(item.seq);
    li.append(el('span', `#${item.seq}`, 'seq'));
  }
  li.append(document.createTextNode(feedText(item)));
  if ((item.kind ?? item.type) === 'announcement') li.className = 'announcement-item';
  const feed = $('#feed');
  feed.prepend(li);
  while (feed.children.length > 100) feed.lastElementChild.remove();
}

const STATUS_BY_KIND = { hunt_started: 'active', hunt_resumed: 'active', hunt_paused: 'paused', hunt_ended: 'ended',
  hunt_reopened: 'active' };

function rememberHint(clueId, index, text, cost) {
  // By index: the buyer hears of a hint twice (its ack, and the feed item for the whole side).
  const list = (saved.hints[clueId] ||= []);
  if (typeof text === 'string') list[Number.isInteger(index) ? index : list.length] = { text, cost };
  for (let i = 0; i < list.length; i += 1) if (list[i] == null) list[i] = null;
  hintsTaken.set(clueId, Math.max(hintsTaken.get(clueId) || 0, list.length));
  persist();
}

function showAnnouncement(item) {
  // The newest one wins; one the player dismissed stays dismissed (by seq, across reloads).
  const box = $('#announcement');
  if (item.seq != null && item.seq <= (saved.dismissed || 0)) return;
  if (box.dataset.seq && Number(box.dataset.seq) > (item.seq ?? 0)) return;
  $('#announcement-text').textContent = item.text || '';
  box.dataset.seq = String(item.seq ?? '');
  box.hidden = false;
}

function dismissAnnouncement() {
  const box = $('#announcement');
  saved.dismissed = Math.max(saved.dismissed || 0, Number(box.dataset.seq) || 0);
  persist();
  box.hidden = true;
}

function onFeed(item) {
  if (typeof item.seq === 'number') {
    if (seenFeed.has(item.seq)) return;
    seenFeed.add(item.seq);
    saved.since = Math.max(saved.since || 0, item.seq);
  }
  const { op, ...rest } = item;
  saved.feed.push(rest);
  if (saved.feed.length > FEED_KEEP) saved.feed.splice(0, saved.feed.length - FEED_KEEP);
  persist();
  renderFeedItem(item);
  const kind = item.kind ?? item.type;
  if (STATUS_BY_KIND[kind]) setStatus(item.status ?? STATUS_BY_KIND[kind]);
  if (kind === 'announcement') showAnnouncement(item);
  if (onTeamFeed(item, saved) && ws) ws.close();  // greet again: the welcome has the captain's code
  if (EDIT_KINDS.has(kind)) reloadHunt();
  if (kind === 'schedule' || kind === 'board_freeze_scheduled') refreshHunt();  // a new clock: count to it
  if (['media_changed', 'map_changed', 'hunt_ended', 'hunt_started'].includes(kind)) refreshHunt();
  // Your find, or (in team hunts) your team's: the item names the finder's team.
  const ours = item.player === saved.player || (item.team != null && item.team === saved.team);
  if (kind === 'clue_found' && ours) markFound(item.clue);
  if ((kind === 'entry_submitted' || kind === 'entry_judged') && item.clue) {
    // An entry of your side (these items go to the side only): its state and the judge's word.
    const said = onEntryFeed(item);
    if (said) clueResult(item.clue, said[0], said[1]);
    if (kind === 'entry_judged' && item.approved) markFound(item.clue);
    renderClues();
  }
  if (kind === 'hint_taken' && item.clue) {
    // A hint bought by you or a teammate: its text, for everybody on the side.
    rememberHint(item.clue, item.index, item.hint, item.deferred || item.cost);
    renderClues();
    refreshHunt();  // the hint's media, if it has any
  }
}

function onLeaderboard(msg) {
  const you = msg.you;
  // Your row: in team hunts the rows are teams, and yours is `you.side` (the team's id).
  const mine = (you && (you.side ?? you.player)) ?? saved.player;
  const rows = (msg.top || []).map((r) => {
    const tr = el('tr');
    tr.dataset.player = r.player;
    if (r.player === mine) tr.className = 'me';
    tr.append(el('td', r.rank, 'num'), el('td', r.name ?? r.player), el('td', r.score, 'num'));
    return tr;
  });
  if (you && !(msg.top || []).some((r) => r.player === mine) && you.rank != null) {
    const tr = el('tr', null, 'me');
    tr.dataset.player = mine;
    tr.append(el('td', you.rank, 'num'), el('td', you.team ?? you.name ?? saved.name ?? 'You'), el('td', you.score, 'num'));
    rows.push(tr);
  }
  $('#leaderboard').replaceChildren(...rows);
  $('#leaderboard-frozen').hidden = !msg.frozen;
  onDivisionBoard(msg, mine);
  if (msg.values && typeof msg.values === 'object' && hunt) {
    // What clues whose value falls as they are found would score now.
    for (const clue of hunt.clues) if (typeof msg.values[clue.id] === 'number') clue.value = msg.values[clue.id];
    renderClues();
  }
  if (you) {
    setScore(you.score);
    setRank(you.rank);
  }
}

// ---------------------------------------------------------------------------------------------
// Commands: every one has a fresh client id; all but pings are kept until acked or refused

let ws = null;
let ready = false;             // the connection is joined or greeted
let helloId = null;
let reconnectAttempt = 0;
let reconnectTimer = null;

let windowSize = Infinity;      // commands the server lets this connection have unanswered
let inFlight = new Set();       // ids sent on this connection and not answered yet
let held = [];                  // commands waiting for room in the window, in order

function send(obj) {
  if (!(ws && ws.readyState === WebSocket.OPEN)) return;
  if (obj.op === 'join' || obj.op === 'hello') {
    ws.send(JSON.stringify(obj));  // answered before anything else is sent on this connection
    return;
  }
  if (inFlight.has(obj.id) || held.some((c) => c.id === obj.id)) return;  // already on its way
  if (inFlight.size >= windowSize) {
    held.push(obj);
    return;
  }
  inFlight.add(obj.id);
  ws.send(JSON.stringify(obj));
}

function answered(id) {
  if (!inFlight.delete(id)) return;
  while (held.length && inFlight.size < windowSize) send(held.shift());
}

function setWindow(value) {
  windowSize = Number.isInteger(value) && value > 0 ? value : Infinity;
  while (held.length && inFlight.size < windowSize) send(held.shift());
}

function command(op, fields, { keep = true } = {}) {
  const cmd = { op, id: newId(), ...fields };
  if (keep) {
    saved.pending.push(cmd);
    persist();
  }
  if (ready || op === 'join') send(cmd);
  return cmd;
}

function takePending(id) {
  const i = saved.pending.findIndex((c) => c.id === id);
  if (i < 0) return null;
  const [cmd] = saved.pending.splice(i, 1);
  persist();
  return cmd;
}

function flushPending() {
  for (const cmd of saved.pending) if (cmd.op !== 'join') send(cmd);
}

function clueResult(clueId, text, cls) {
  const parts = clueEls.get(clueId);
  if (!parts) return;
  parts.result.textContent = text;
  parts.result.className = `result ${cls || ''}`;
}

const RESULT_TEXT = {
  correct: ['Correct!', 'ok'],
  checked_in: ['Checked in!', 'ok'],
  wrong: ['Not quite — try again.', 'bad'],
  too_far: ['Too far away — get closer and try again.', 'bad'],
  already_found: ['You already found this one.', 'ok'],
  keep_going: ['Keep going!', 'warn'],
};

// A wrong check-in says only roughly how far the clue is (exact distances would give it away).
const DISTANCE_TEXT = {
  close: 'under 100 m away',
  '100-500m': '100–500 m away',
  '500m-1km': '500 m – 1 km away',
  'over-1km': 'over 1 km away',
};

function onAck(msg) {
  setScore(msg.score);
  setRank(msg.rank);
  if (pingIds.delete(msg.id)) lastPingError = null;
  const cmd = takePending(msg.id);
  if (!cmd) return;  // a ping, or a duplicate ack for a command already settled
  switch (cmd.op) {
    case 'join':
      saved.player = msg.player;
      saved.token = msg.token;
      if (typeof msg.seq === 'number') saved.since = Math.max(saved.since || 0, msg.seq);
      persist();
      showTeamCode(msg.team_code);
      showTeam(msg, huntId);
      setWindow(msg.window);
      applyProgress(msg.progress);  // a team that has already played: what it found, its hints
      onGreeted();
      break;
    case 'hint': {
      rememberHint(cmd.clue, msg.index, msg.text, msg.deferred || msg.cost);
      refreshHunt();  // the hint's media, if it has any
      clueResult(cmd.clue, msg.deferred ? `Hint taken (${msg.deferred} points will come off this clue's reward).`
        : (msg.cost != null ? `Hint taken (−${msg.cost} points).` : 'Hint taken.'));
      renderClues();
      break;
    }
    case 'answer':
    case 'code':
    case 'checkin': {
      let [text, cls] = RESULT_TEXT[msg.result] || [String(msg.result ?? 'ok'), ''];
      if (msg.result === 'keep_going' && typeof msg.reply === 'string' && msg.reply) text = msg.reply;
      let extra = '';
      if (typeof msg.points === 'number' && msg.points !== 0) extra += ` +${msg.points} points.`;
      if (msg.result === 'too_far' && typeof msg.distance === 'string') {
        extra += ` (${DISTANCE_TEXT[msg.distance] || msg.distance})`;
      }
      clueResult(cmd.clue, text + extra, cls);
      if (['correct', 'checked_in', 'already_found'].includes(msg.result)) {
        markFound(cmd.clue);
        const parts = clueEls.get(cmd.clue);
        if (parts && parts.input) parts.input.value = '';
      }
      break;
    }
    default:
      break;
  }
}

function onError(msg) {
  const text = msg.message || msg.code || 'error';
  if (msg.id && msg.id === helloId) {
    if (msg.code === 'overloaded') {
      const sock = ws;
      setTimeout(() => {
        if (ws === sock && !ready) send({ op: 'hello', id: helloId, token: saved.token, since: saved.since || 0, device });
      }, Number(msg.retry_after_ms) || 1000);
      return;
    }
    helloId = null;
    if (msg.code === 'unauthorized' || msg.code === 'bad_request' || msg.code === 'removed') {
      // The token is no longer valid here (e.g. the server's data was reset): join again.
      saved.player = null;
      saved.token = null;
      saved.pending = [];
      persist();
      showError(msg.code, `${text} — please join again`);
      showJoin();
    } else {
      showError(msg.code, text);
      ws && ws.close();  // reconnect with backoff and say hello again
    }
    return;
  }
  const cmd = msg.id ? saved.pending.find((c) => c.id === msg.id) : null;
  if (cmd && msg.code === 'overloaded') {
    // Busy, not refused: keep the command and resend it with the same id later.
    const wait = Number(msg.retry_after_ms) || 1000;
    if (cmd.clue) clueResult(cmd.clue, `Server busy, retrying in ${Math.ceil(wait / 1000)} s…`, 'warn');
    setTimeout(() => {
      if ((ready || cmd.op === 'join') && saved.pending.some((c) => c.id === cmd.id)) send(cmd);
    }, wait);
    return;
  }
  if (msg.id) takePending(msg.id);
  if (msg.id && pingIds.delete(msg.id)) {
    // Pings are fire-and-forget: report a refusal once, not every 15 s.
    if (msg.code !== lastPingError) showError(msg.code, `location ping: ${text}`);
    lastPingError = msg.code;
    return;
  }
  let extra = '';
  if (msg.code === 'rate_limited' && msg.retry_after_ms) {
    extra = `try again in ${Math.ceil(msg.retry_after_ms / 1000)} s`;
  }
  if (cmd && cmd.clue) {
    clueResult(cmd.clue, [text, extra].filter(Boolean).join(' — '), 'bad');
    renderClues();  // re-enables a hint button
  } else {
    showError(msg.code, text, extra);
  }
  if (cmd && cmd.op === 'join') $('#join-btn').disabled = false;
  if (msg.code === 'not_joined' && saved.token) ws && ws.close();
  if (msg.code === 'removed' && saved.token) {  // taken off the team by the organiser: join again
    saved.player = null;
    saved.token = null;
    saved.pending = [];
    persist();
    showJoin();
  }
}

function dispatch(msg) {
  if ((msg.op === 'ack' || msg.op === 'error') && msg.id) answered(msg.id);
  switch (msg.op) {
    case 'ack': onAck(msg); break;
    case 'error': onError(msg); break;
    case 'welcome':
      helloId = null;
      setWindow(msg.window);
      if (msg.player) saved.player = msg.player;
      if (typeof msg.name === 'string') saved.name = msg.name;
      if (msg.team !== undefined) saved.team = msg.team;
      showTeamCode(msg.team_code);
      showTeam(msg, huntId);
      applyProgress(msg.progress);
      setScore(msg.score);
      setRank(msg.rank);
      onGreeted();
      break;
    case 'feed': onFeed(msg); break;
    case 'leaderboard': onLeaderboard(msg); break;
    case 'hunt': setStatus(msg.status); break;
    case 'batch': for (const item of msg.items || []) dispatch(item); break;
    default: break;  // unknown pushes are ignored: the protocol may grow
  }
}

// ---------------------------------------------------------------------------------------------
// Connection: connect, say hello (or resend a pending join), reconnect with backoff

function wsUrl() {
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  return `${scheme}://${location.host}/ws/hunts/${encodeURIComponent(huntId)}`;
}

function onGreeted() {
  refreshHunt();  // with the token, the hunt shows the clues open to this player
  ready = true;
  reconnectAttempt = 0;
  setConn('open', 'connected');
  showGame();
  flushPending();
}

function connect() {
  clearTimeout(reconnectTimer);
  reconnectTimer = null;
  ready = false;
  setConn('connecting', 'connecting…');
  const sock = new WebSocket(wsUrl());
  ws = sock;
  inFlight = new Set();  // a new connection: what was unanswered is resent from `pending`
  held = [];
  sock.addEventListener('open', () => {
    if (saved.token) {
      helloId = newId();
      send({ op: 'hello', id: helloId, token: saved.token, since: saved.since || 0, device });
    } else {
      setConn('open', 'connected');
      const join = saved.pending.find((c) => c.op === 'join');
      if (join) send(join); else showJoin();
    }
  });
  sock.addEventListener('message', (ev) => {
    let msg;
    try {
      msg = JSON.parse(ev.data);
    } catch {
      return;
    }
    if (msg && typeof msg === 'object') dispatch(msg);
  });
  sock.addEventListener('close', (ev) => {
    if (ws !== sock) return;
    ready = false;
    ws = null;
    const delay = Math.min(RECONNECT_MAX_MS, 500 * 2 ** reconnectAttempt) * (0.5 + Math.random() / 2);
    reconnectAttempt += 1;
    setConn('closed', `disconnected${ev.code === 1013 ? ' (server busy)' : ''} — retrying in ${Math.ceil(delay / 1000)} s`);
    reconnectTimer = setTimeout(connect, delay);
  });
}

function reconnectNow() {
  if (!ws && reconnectTimer) connect();
}

// ---------------------------------------------------------------------------------------------
// Join, game view, location pings

function showJoin() {
  $('#game').hidden = true;
  $('#join-section').hidden = false;
  $('#join-team-field').hidden = !(hunt && hunt.mode === 'teams');
  $('#join-team').required = !!(hunt && hunt.mode === 'teams');
  $('#join-code-field').hidden = !(hunt && hunt.mode === 'teams');
  $('#join-btn').disabled = saved.pending.some((c) => c.op === 'join');
}

// The captain (a team's first player) is told the team's code, to hand to team mates.
function showTeamCode(code) {
  $('#team-code-stat').hidden = typeof code !== 'string';
  $('#team-code').textContent = typeof code === 'string' ? code : '';
}

function showGame() {
  $('#join-section').hidden = true;
  $('#game').hidden = false;
  const who = saved.name || saved.player || '–';
  $('#player-name').textContent = saved.team ? `${who} (${saved.team})` : who;
  renderClues();
}

function onJoinSubmit(ev) {
  ev.preventDefault();
  const name = $('#join-name').value.trim();
  const team = $('#join-team').value.trim();
  if (!name) {
    showError('bad_request', 'Please type a name.');
    $('#join-name').focus();
    return;
  }
  if (hunt && hunt.mode === 'teams' && !team) {
    showError('bad_request', 'Please type a team name.');
    $('#join-team').focus();
    return;
  }
  saved.name = name;
  saved.team = hunt && hunt.mode === 'teams' ? team : null;
  $('#join-btn').disabled = true;
  const teamCode = $('#join-code').value.trim();
  const fields = hunt && hunt.mode === 'teams' ? { name, team, device } : { name, device };
  if (fields.team && teamCode) fields.team_code = teamCode;
  Object.assign(fields, joinExtras());
  command('join', fields);
}

let pingTimer = null;
const pingIds = new Set();      // ids of pings awaiting an ack (pings are not kept for resubmission)
let lastPingError = null;

async function sendPing() {
  if (!ready) return;
  try {
    const { lat, lon } = await getPosition();
    const cmd = command('ping', { lat, lon }, { keep: false });
    pingIds.add(cmd.id);
    if (pingIds.size > 100) pingIds.delete(pingIds.values().next().value);
  } catch (err) {
    showError('location', `Could not read your position: ${err.message}`);
    $('#share-location').checked = false;
    clearInterval(pingTimer);
    pingTimer = null;
  }
}

function onShareToggle() {
  clearInterval(pingTimer);
  pingTimer = null;
  if ($('#share-location').checked) {
    sendPing();
    pingTimer = setInterval(sendPing, PING_EVERY_MS);
  }
}

function onLeave() {
  try { localStorage.removeItem(storageKey); } catch { /* ignore */ }
  location.reload();
}

// ---------------------------------------------------------------------------------------------
// Start: load the public hunt definition, then connect

function fetchHunt() {
  const headers = { Accept: 'application/json' };
  if (saved.token) headers.Authorization = `Bearer ${saved.token}`;
  return fetch(`/hunts/${encodeURIComponent(huntId)}`, { headers, cache: 'no-store' });
}

// Take the clues' prompts (and lock marks) from a fresh copy of the hunt, keep everything else.
async function refreshHunt() {
  if (!hunt) return;
  try {
    const res = await fetchHunt();
    if (!res.ok) return;
    const fresh = await res.json();
    for (const clue of Array.isArray(fresh.clues) ? fresh.clues : []) {
      const known = hunt.clues.find((c) => c.id === clue.id);
      if (!known) continue;
      known.prompt = clue.prompt;
      known.locked = clue.locked;
      known.opens_at = clue.opens_at;
      known.closes_at = clue.closes_at;
      known.media = clue.media;
      known.hints = clue.hints;
    }
    hunt.window = fresh.window;
    hunt.freeze_at = fresh.freeze_at;
    if (sideClock) sideClock.update();
    for (const key of ['intro', 'outro', 'map', 'map_tiles']) hunt[key] = fresh[key];
    showNotices(hunt, mediaContext());
    clueMap.update(hunt);
    renderClues();
  } catch {
    // offline: the next find, status change or greeting tries again
  }
}

// An organiser's edit: the clues and times as they are now (see play_edits.js).
async function reloadHunt() {
  if (!hunt) return;
  try {
    const res = await fetchHunt();
    if (!res.ok) return;
    mergeHunt(hunt, await res.json(), clueEls);
    if (sideClock) sideClock.update();
    renderClues();
    showTimes();
  } catch {
    // offline: the next greeting fetches the hunt again
  }
}

async function loadHunt() {
  for (let attempt = 0; ; attempt += 1) {
    try {
      const res = await fetchHunt();
      if (res.ok) return await res.json();
      if (res.status === 404) {
        showError('unknown_hunt', `There is no hunt called “${huntId}”.`);
        return null;
      }
    } catch {
      // network error: retry below
    }
    setConn('connecting', 'waiting for the server…');
    await new Promise((r) => setTimeout(r, Math.min(RECONNECT_MAX_MS, 500 * 2 ** attempt)));
  }
}

function mediaContext() {
  return { huntId, token: saved.token };
}

const clueMap = setupMap({ getPosition: () => getPosition() });

async function main() {
  $('#join-form').addEventListener('submit', onJoinSubmit);
  $('#share-location').addEventListener('change', onShareToggle);
  $('#leave-btn').addEventListener('click', onLeave);
  $('#announcement-close').addEventListener('click', dismissAnnouncement);
  window.addEventListener('online', reconnectNow);
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') reconnectNow();
  });

  if (!huntId) {
    showError('unknown_hunt', 'No hunt id in the address (expected /play/{hunt_id}).');
    setConn('closed', 'no hunt');
    return;
  }
  hunt = await loadHunt();
  if (!hunt) {
    setConn('closed', 'no hunt');
    return;
  }
  hunt.clues = Array.isArray(hunt.clues) ? hunt.clues : [];
  for (const item of saved.feed) {  // after the hunt: feed text uses clue titles
    renderFeedItem(item);
    if ((item.kind ?? item.type) === 'announcement') showAnnouncement(item);
  }
  document.title = `${hunt.title || huntId} — treasure hunt`;
  $('#hunt-title').textContent = hunt.title || huntId;
  showDescription();
  showNotices(hunt, mediaContext());
  clueMap.update(hunt);
  $('#manual-position').hidden = !typedPositionAllowed();
  setupTeamJoin(hunt);
  setStatus(hunt.status);
  for (const [id, texts] of Object.entries(saved.hints)) hintsTaken.set(id, texts.length);
  if (saved.token) showGame(); else showJoin();
  sideClock = setupClock($('#side-clock'), { getHunt: () => hunt, refresh: refreshHunt, you: true });
  connect();
}

main();
