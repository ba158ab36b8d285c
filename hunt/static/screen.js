// The big-screen page for /screen/{hunt_id}: a projector at the finish line. Public data only
// (what any player may see: a frozen scoreboard stays frozen here), polled every 2 s.
//
// Element ids: #screen-title, #screen-status, #screen-countdown ("Starts in ..." / "Ends in ..."),
// #screen-board (<tbody>, rows data-player), #screen-frozen (shown while the scoreboard is frozen),
// #screen-feed (<ol>, newest first, <li data-seq>), #screen-error, #screen-clock (timed play:
// clock.js's countdowns to the play window, the next clue release and a scheduled freeze).
// /screen/{hunt_id}?division=ID shows that division's board (#screen-board-heading names it).

import { setupClock } from './clock.js';

const POLL_MS = 2000;
const ROWS = 15;
const $ = (sel) => document.querySelector(sel);
const huntId = decodeURIComponent((location.pathname.match(/\/screen\/([^/]+)\/?$/) || [])[1] || '');
let hunt = null;
const division = new URLSearchParams(location.search).get('division');
const boardQuery = division ? `&division=${encodeURIComponent(division)}` : '';

function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text != null) e.textContent = String(text);
  if (cls) e.className = cls;
  return e;
}

function clock(ms) {
  const s = Math.max(0, Math.ceil(ms / 1000));
  const hms = `${Math.floor(s / 3600)}:${String(Math.floor(s / 60) % 60).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
  return s >= 86400 ? `${Math.floor(s / 86400)} d ${hms.replace(/^\d+/, String(Math.floor(s / 3600) % 24))}` : hms;
}

function tick() {
  if (!hunt) return;
  const now = Date.now();
  let text = '';
  if (hunt.status === 'pending' && hunt.starts_at != null && hunt.starts_at > now) text = `Starts in ${clock(hunt.starts_at - now)}`;
  else if (hunt.status !== 'ended' && hunt.ends_at != null && hunt.ends_at > now) text = `Ends in ${clock(hunt.ends_at - now)}`;
  $('#screen-countdown').textContent = text;
}

async function getJson(path) {
  const res = await fetch(path, { headers: { Accept: 'application/json' }, cache: 'no-store' });
  if (!res.ok) throw new Error(res.status === 404 ? `There is no hunt called “${huntId}”.` : `HTTP ${res.status}`);
  return res.json();
}

async function poll() {
  try {
    const id = encodeURIComponent(huntId);
    const [info, board, feed] = await Promise.all([
      getJson(`/hunts/${id}`), getJson(`/hunts/${id}/leaderboard?limit=${ROWS}${boardQuery}`), getJson(`/hunts/${id}/feed`)]);
    hunt = info;
    document.title = `${info.title} — big screen`;
    $('#screen-title').textContent = info.title;
    $('#screen-status').textContent = info.status;
    $('#screen-frozen').hidden = !board.frozen;
    const shown = division && (info.divisions || []).find((d) => d.id === division);
    if (shown) $('#screen-board-heading').textContent = `Leaderboard: ${shown.title}`;
    $('#screen-board').replaceChildren(...board.rows.map((r) => {
      const tr = el('tr');
      tr.dataset.player = r.player;
      tr.append(el('td', r.rank, 'num'), el('td', r.name), el('td', r.score, 'num'));
      return tr;
    }));
    $('#screen-feed').replaceChildren(...feed.items.slice().reverse().map((item) => {
      const li = el('li', item.kind === 'announcement' ? `From the organisers: ${item.text}` : item.text);
      li.dataset.seq = String(item.seq);
      return li;
    }));
    $('#screen-error').hidden = true;
    tick();
  } catch (err) {
    $('#screen-error').textContent = err.message;
    $('#screen-error').hidden = false;
  }
}

poll();
setInterval(poll, POLL_MS);
setupClock($('#screen-clock'), { getHunt: () => hunt, refresh: poll });
setInterval(tick, 1000);
