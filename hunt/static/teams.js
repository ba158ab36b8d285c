// The dashboard's teams and divisions: make teams, hand out passcodes and invite links, cap
// sizes, lock rosters (now or at a chosen time), rename, hand on captaincy, take players off a
// team, put sides in divisions and show a division's leaderboard. Loaded by admin.html on its own:
// it reads the admin token admin.js keeps (sessionStorage) and the selected hunt (location.hash
// "#hunt={id}"), and follows both.
//
// Element ids (stable; end-to-end tests drive them):
//   #teams           the panel (team hunts only); #teams-count, #teams-meta (rosters, creation)
//   #team-create-name, #team-create-passcode, #team-create-size, #team-create-division, #team-create-btn
//   #rosters-lock-at (datetime-local; empty: now), #rosters-lock-btn, #rosters-unlock-btn
//   #teams-table     <tbody>: one <tr data-side="team:..."> per team; each player in it is a
//                    <li data-player="p1"> with buttons .make-captain and .remove-player
//   #team-manage-side (the team the buttons below act on), #team-rename-name, #team-rename-btn,
//   #team-passcode-value, #team-passcode-btn, #team-size-value, #team-size-btn, #team-lock-at,
//   #team-lock-btn, #team-unlock-btn
//   #teams-result    what the last command did (a new passcode and its invite link are shown here)
//   #divisions       the panel (hunts with divisions): #division-side, #division-value,
//                    #division-set-btn, #division-result; #division-board-select and #division-board

const $ = (sel) => document.querySelector(sel);
const POLL_MS = 2000;
const TOKEN_KEY = 'hunt-admin-token';

let hunt = null;       // the selected hunt's id
let detail = null;     // its definition's team options: {mode, divisions}
let teams = [];

function el(tag, text, cls) {
  const node = document.createElement(tag);
  if (text != null) node.textContent = String(text);
  if (cls) node.className = cls;
  return node;
}

function selectedHunt() {
  const m = location.hash.match(/^#hunt=(.+)$/);
  return m ? decodeURIComponent(m[1]) : null;
}

async function call(path, { method = 'GET', body } = {}) {
  const token = sessionStorage.getItem(TOKEN_KEY) || '';
  const headers = { Authorization: `Bearer ${token}`, Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(`/admin/hunts/${encodeURIComponent(hunt)}${path}`,
    { method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: 'no-store' });
  let data = null;
  try { data = await res.json(); } catch { /* not JSON */ }
  return { ok: res.ok, status: res.status, data };
}

function say(sel, text, ok = true) {
  const node = $(sel);
  node.textContent = text;
  node.className = ok ? '' : 'error';
}

function failure(res) {
  return (res.data && (res.data.message || res.data.error)) || `HTTP ${res.status}`;
}

// A datetime-local value as epoch milliseconds (the browser's time zone), or undefined when empty.
function when(sel) {
  const value = $(sel).value;
  return value ? new Date(value).getTime() : undefined;
}

function fillDivisions(select, withNone) {
  const divisions = (detail && detail.divisions) || [];
  const key = JSON.stringify(divisions) + withNone;
  if (select.dataset.key === key) return;
  select.dataset.key = key;
  select.replaceChildren(...(withNone ? [new Option('— none —', '')] : []),
    ...divisions.map((d) => new Option(d.title || d.id, d.id)));
}

function divisionTitle(id) {
  const found = ((detail && detail.divisions) || []).find((d) => d.id === id);
  return found ? (found.title || found.id) : (id || '–');
}

// -- teams ----------------------------------------------------------------------------------

function renderTeams(data) {
  teams = data.rows || [];
  $('#teams-count').textContent = `${data.total}`;
  const locked = data.rosters_locked ? 'every roster is locked'
    : (data.rosters_locked_at ? `every roster locks at ${new Date(data.rosters_locked_at).toLocaleString()}` : 'rosters open');
  $('#teams-meta').textContent = `${locked} · teams made by ${data.team_creation === 'organiser' ? 'the organiser only' : 'players and the organiser'}`
    + (data.team_size ? ` · hunt cap ${data.team_size}` : '');
  $('#teams-table').replaceChildren(...teams.map((t) => {
    const tr = el('tr');
    tr.dataset.side = t.side;
    const name = el('td');
    name.append(el('strong', t.name), document.createTextNode(' '), el('code', t.side, 'muted'));
    const members = el('ul', null, 'members');
    for (const m of t.members) {
      const li = el('li', `${m.name} (${m.player}) `);
      li.dataset.player = m.player;
      if (!t.captain || t.captain.player !== m.player) {
        const lead = el('button', 'Captain', 'secondary make-captain');
        lead.type = 'button';
        lead.addEventListener('click', () => act(`/teams/${encodeURIComponent(t.side)}/captain`, { player: m.player },
          `${m.name} is now the captain of ${t.name}`));
        li.append(lead);
      }
      const remove = el('button', 'Remove', 'danger remove-player');
      remove.type = 'button';
      remove.addEventListener('click', () => {
        if (window.confirm(`Take ${m.name} off ${t.name}? They can no longer play (they may join again).`)) {
          act(`/players/${encodeURIComponent(m.player)}/remove`, {}, `${m.name} was taken off ${t.name}`);
        }
      });
      li.append(remove);
      members.append(li);
    }
    const players = el('td');
    players.append(members);
    const code = el('td');
    if (t.team_code) {
      code.append(el('code', t.team_code), document.createTextNode(' '));
      const link = el('a', 'invite');
      link.href = t.invite;
      code.append(link);
    } else {
      code.textContent = t.passcode === 'organiser' ? 'set by you (not kept)' : '–';
    }
    const roster = t.locked ? 'locked' : (t.locked_at ? `locks ${new Date(t.locked_at).toLocaleString()}` : 'open');
    tr.append(name, el('td', t.captain ? t.captain.name : '–'), players, el('td', t.cap ?? '–', 'num'),
      el('td', roster), el('td', t.division ? divisionTitle(t.division) : '–'), code, el('td', t.score, 'num'));
    return tr;
  }));
  const select = $('#team-manage-side');
  const keep = select.value;
  select.replaceChildren(...teams.map((t) => new Option(t.name, t.side)));
  if (teams.some((t) => t.side === keep)) select.value = keep;
}

async function act(path, body, done) {
  const res = await call(path, { method: 'POST', body });
  if (!res.ok) {
    say('#teams-result', failure(res), false);
  } else {
    let text = done;
    if (res.data && res.data.team_code) text += ` · passcode ${res.data.team_code}`;
    say('#teams-result', text);
    if (res.data && res.data.invite) {
      const link = el('a', 'invite link');
      link.href = res.data.invite;
      link.id = 'teams-result-invite';
      $('#teams-result').append(' · ', link);
    }
  }
  await refresh();
  return res;
}

function manageSide() {
  const side = $('#team-manage-side').value;
  if (!side) say('#teams-result', 'Choose a team first.', false);
  return side;
}

function onCreate(ev) {
  ev.preventDefault();
  const name = $('#team-create-name').value.trim();
  if (!name) {
    say('#teams-result', 'Type the new team\'s name.', false);
    return;
  }
  const body = { name };
  const passcode = $('#team-create-passcode').value.trim();
  if (passcode) body.passcode = passcode;
  const size = $('#team-create-size').value;
  if (size) body.size = Number(size);
  const division = $('#team-create-division').value;
  if (division) body.division = division;
  act('/teams', body, `Team ${name} created`).then((res) => {
    if (res.ok) $('#team-create-form').reset();
  });
}

function onManage(what) {
  const side = manageSide();
  if (!side) return;
  const path = `/teams/${encodeURIComponent(side)}`;
  const team = (teams.find((t) => t.side === side) || {}).name || side;
  switch (what) {
    case 'rename': {
      const name = $('#team-rename-name').value.trim();
      act(`${path}/rename`, { name }, `${team} is now called ${name}`);
      break;
    }
    case 'passcode': {
      const passcode = $('#team-passcode-value').value.trim();
      act(`${path}/passcode`, passcode ? { passcode } : {}, `${team} has a new passcode`);
      break;
    }
    case 'size': {
      const size = $('#team-size-value').value;
      act(`${path}/size`, { size: size ? Number(size) : null }, `${team}'s cap is ${size || 'the hunt\'s'}`);
      break;
    }
    case 'lock': {
      const at = when('#team-lock-at');
      act(`${path}/lock`, at === undefined ? {} : { at }, `${team}'s roster is locked${at ? ' from then' : ''}`);
      break;
    }
    case 'unlock':
      act(`${path}/lock`, { locked: false }, `${team}'s roster is open`);
      break;
    default:
      break;
  }
}

// -- divisions ------------------------------------------------------------------------------

async function onSetDivision(ev) {
  ev.preventDefault();
  const side = $('#division-side').value.trim();
  const division = $('#division-value').value || null;
  const res = await call('/division', { method: 'POST', body: { side, division } });
  say('#division-result', res.ok ? `${side} now plays in ${division ? divisionTitle(division) : 'no division'}`
    : failure(res), res.ok);
  await refresh();
}

async function refreshDivisionBoard() {
  const division = $('#division-board-select').value;
  const res = await call(`/leaderboard?limit=50${division ? `&division=${encodeURIComponent(division)}` : ''}`);
  if (!res.ok) return;
  $('#division-board').replaceChildren(...(res.data.rows || []).map((r) => {
    const tr = el('tr');
    tr.dataset.player = r.player;
    tr.append(el('td', r.rank, 'num'), el('td', r.name), el('td', r.captain ?? '–'), el('td', r.score, 'num'));
    return tr;
  }));
}

// -- following the dashboard ----------------------------------------------------------------

async function refresh() {
  const id = selectedHunt();
  if (id !== hunt) {
    hunt = id;
    detail = null;
    teams = [];
    for (const sel of ['#teams-table', '#division-board', '#team-manage-side']) $(sel).replaceChildren();
    for (const sel of ['#teams-result', '#division-result']) say(sel, '');
  }
  if (!hunt || !sessionStorage.getItem(TOKEN_KEY)) {
    $('#teams').hidden = true;
    $('#divisions').hidden = true;
    return;
  }
  const res = await call('');
  if (!res.ok || id !== hunt) return;
  const definition = res.data.definition || {};
  detail = { mode: definition.mode, divisions: definition.divisions || [] };
  const hasDivisions = detail.divisions.length > 0;
  $('#divisions').hidden = !hasDivisions;
  for (const node of document.querySelectorAll('#teams .division-only')) node.hidden = !hasDivisions;
  fillDivisions($('#team-create-division'), true);
  fillDivisions($('#division-value'), true);
  const board = $('#division-board-select');
  fillDivisions(board, false);
  if (board.options.length && board.options[0].value !== '') board.prepend(new Option('everybody (overall)', ''));
  $('#teams').hidden = detail.mode !== 'teams';
  if (detail.mode === 'teams') {
    const list = await call('/teams?limit=200');
    if (list.ok && id === hunt) renderTeams(list.data);
  }
  if (hasDivisions) await refreshDivisionBoard();
}

function start() {
  $('#team-create-form').addEventListener('submit', onCreate);
  $('#rosters-lock-btn').addEventListener('click', () => {
    const at = when('#rosters-lock-at');
    act('/lock', at === undefined ? {} : { at }, `Every roster is locked${at ? ' from then' : ''}`);
  });
  $('#rosters-unlock-btn').addEventListener('click', () => act('/lock', { locked: false }, 'Every roster is open'));
  for (const what of ['rename', 'passcode', 'size', 'lock', 'unlock']) {
    $(`#team-${what}-btn`).addEventListener('click', () => onManage(what));
  }
  $('#division-set-form').addEventListener('submit', onSetDivision);
  $('#division-board-select').addEventListener('change', refreshDivisionBoard);
  window.addEventListener('hashchange', refresh);
  setInterval(() => {
    if (document.visibilityState !== 'hidden') refresh().catch(() => {});
  }, POLL_MS);
  refresh().catch(() => {});
}

start();
