// The dashboard's history: the event log (newest first, players by name, a clock-time filter,
// pages) and time travel (the standings as of a seq or a clock time, in pages).
// Imported by admin.js, which hands it its helpers:
//   setupHistory({api, huntPath, errorMessage, Unauthorized, renderBoard, playerNames})
// Clock times are typed in the browser's time zone (datetime-local) and sent as epoch ms.
//
// Element ids (stable; end-to-end tests drive them):
//   #events-form, #events-player, #events-type (+ #event-types), #events-clue, #events-after,
//   #events-from, #events-to (datetime-local), #events-limit, #events-btn,
//   #events-table      <tbody>, newest first, rows data-seq; the player cell is a button .audit-link
//                      (data-player = the id) that shows the player's name and opens the audit
//   #events-newer, #events-older   the pages; #events-meta  what is shown, or why nothing is
//   #timetravel-form, #timetravel-range, #timetravel-seq, #timetravel-btn     as of a seq
//   #timetravel-time-form, #timetravel-time (datetime-local), #timetravel-time-btn   as of a time
//   #timetravel-table (<tbody>), #timetravel-meta, #timetravel-prev, #timetravel-next, #timetravel-page
//   #leaderboard-prev, #leaderboard-next, #leaderboard-page   the live leaderboard's pages (Pager)

const $ = (sel) => document.querySelector(sel);

export const BOARD_PAGE = 20;

function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text != null) e.textContent = String(text);
  if (cls) e.className = cls;
  return e;
}

// The time a datetime-local value names, as epoch ms; `end`: the last ms it covers (a value
// without seconds covers its minute, one without milliseconds its second). NaN if unreadable.
export function clockTime(value, end = false) {
  if (!value) return NaN;
  const ms = new Date(value).getTime();
  if (Number.isNaN(ms) || !end) return ms;
  const [, time = ''] = value.split('T');
  if (time.includes('.')) return ms;
  return ms + (time.split(':').length > 2 ? 999 : 59_999);
}

function fmtTime(ts) {
  return ts == null ? '' : new Date(ts).toLocaleString();
}

// Pages of an offset-paginated list: prev / next buttons and "21–40 of 53" for #{prefix}-….
export class Pager {
  constructor(prefix, size, onChange) {
    this.prefix = prefix;
    this.size = size;
    this.offset = 0;
    this.total = 0;
    $(`#${prefix}-prev`).addEventListener('click', () => this.go(-1, onChange));
    $(`#${prefix}-next`).addEventListener('click', () => this.go(1, onChange));
  }

  go(step, onChange) {
    const offset = Math.max(0, this.offset + step * this.size);
    if (offset === this.offset || (step > 0 && offset >= this.total)) return;
    this.offset = offset;
    onChange();
  }

  reset() {
    this.offset = 0;
    this.show(0);
  }

  show(total) {
    this.total = total;
    if (this.offset && this.offset >= total) this.offset = Math.max(0, Math.floor((total - 1) / this.size) * this.size);
    const last = Math.min(this.offset + this.size, total);
    $(`#${this.prefix}-page`).textContent = total ? `${this.offset + 1}–${last} of ${total}` : '';
    $(`#${this.prefix}-prev`).disabled = this.offset === 0;
    $(`#${this.prefix}-next`).disabled = last >= total;
  }
}

export function setupHistory({ api, huntPath, errorMessage, Unauthorized, renderBoard, playerNames }) {
  // The event log: page i starts before befores[i] (null: the newest event).
  let befores = [null];
  let page = 0;
  let travel = null;  // the last time travel asked: {at_seq} or {at_time}
  const travelPager = new Pager('timetravel', BOARD_PAGE, () => loadTravel());

  function playerButton(id, names) {
    if (!id) return el('td', '');
    const name = names[id] || playerNames.get(id) || id;
    const td = el('td');
    const b = el('button', name, 'audit-link secondary');
    b.type = 'button';
    b.dataset.player = id;
    b.title = id;
    b.setAttribute('aria-label', `Score audit of ${name} (${id})`);
    td.append(b);
    return td;
  }

  // The query of the form, or a message saying what is wrong with it.
  function eventQuery() {
    const q = new URLSearchParams({ order: 'desc' });
    for (const [name, sel] of [['player', '#events-player'], ['type', '#events-type'], ['clue', '#events-clue'],
      ['after', '#events-after'], ['limit', '#events-limit']]) {
      const v = $(sel).value.trim();
      if (v) q.set(name, v);
    }
    const from = $('#events-from').value;
    const to = $('#events-to').value;
    const low = clockTime(from);
    const high = clockTime(to, true);
    if (from && Number.isNaN(low)) return 'The “from” time is not a date and time.';
    if (to && Number.isNaN(high)) return 'The “to” time is not a date and time.';
    if (from && to && low > high) return 'The “from” time is after the “to” time.';
    if (from) q.set('from_time', String(Math.max(0, low)));
    if (to) q.set('to_time', String(Math.max(0, high)));
    if (befores[page] != null) q.set('before', String(befores[page]));
    return q;
  }

  async function loadEvents() {
    const meta = $('#events-meta');
    const q = eventQuery();
    if (typeof q === 'string') {
      meta.textContent = q;
      meta.className = 'bad';
      return;
    }
    meta.className = 'muted';
    try {
      const res = await api(huntPath(`/events?${q}`));
      if (!res.ok) {
        meta.textContent = `Could not load events: ${errorMessage(res)}`;
        meta.className = 'bad';
        return;
      }
      const d = res.data || {};
      const names = d.names || {};
      for (const [id, name] of Object.entries(names)) playerNames.set(id, name);
      const events = d.events || [];
      $('#events-table').replaceChildren(...events.map((e) => {
        const tr = el('tr');
        tr.dataset.seq = e.seq;
        tr.append(el('td', e.seq, 'num'), el('td', fmtTime(e.ts)), el('td', e.type), playerButton(e.player, names),
          el('td', e.clue ?? ''), el('td', e.cmd ?? ''), el('td', e.data == null ? '' : JSON.stringify(e.data), 'data'));
        return tr;
      }));
      befores = befores.slice(0, page + 1);
      if (d.next_before != null) befores.push(d.next_before);
      $('#events-newer').disabled = page === 0;
      $('#events-older').disabled = d.next_before == null;
      const first = events.length ? `#${events[0].seq}` : '';
      const last = events.length ? `#${events[events.length - 1].seq}` : '';
      meta.textContent = events.length
        ? `Page ${page + 1}: ${events.length} events, newest first (${first} to ${last})`
          + `${d.next_before == null ? ' · the oldest that match' : ''}`
        : 'No events match.';
    } catch (err) {
      if (!(err instanceof Unauthorized)) {
        meta.textContent = `Could not load events: ${err.message}`;
        meta.className = 'bad';
      }
    }
  }

  function searchEvents() {
    befores = [null];
    page = 0;
    return loadEvents();
  }

  async function loadTravel() {
    if (!travel) return;
    const meta = $('#timetravel-meta');
    const asked = travel.at_seq != null ? `seq ${travel.at_seq}` : fmtTime(travel.at_time);
    meta.textContent = `Loading ${asked}…`;
    meta.className = 'muted';
    const q = new URLSearchParams({ ...travel, limit: String(BOARD_PAGE), offset: String(travelPager.offset) });
    try {
      const res = await api(huntPath(`/leaderboard?${q}`), { useEtag: true });
      if (!res.ok) {
        meta.textContent = res.status === 404 && travel.at_time != null
          ? `Nothing had happened yet at ${asked}.` : `Could not load ${asked}: ${errorMessage(res)}`;
        meta.className = 'bad';
        $('#timetravel-table').replaceChildren();
        travelPager.show(0);
        return;
      }
      const d = res.data || {};
      renderBoard($('#timetravel-table'), d.rows);
      travelPager.show(d.total ?? 0);
      const at = travel.at_time != null ? `${asked} (seq ${d.seq})` : `seq ${d.seq ?? travel.at_seq}`;
      meta.textContent = `Leaderboard as of ${at} · ${d.total ?? '?'} players`;
    } catch (err) {
      if (!(err instanceof Unauthorized)) {
        meta.textContent = `Could not reach the server: ${err.message}`;
        meta.className = 'bad';
      }
    }
  }

  function travelTo(query) {
    travel = query;
    travelPager.offset = 0;
    return loadTravel();
  }

  function atSeq() {
    // Sequence numbers start at 1 (the hunt's creation); the server refuses at_seq=0.
    return travelTo({ at_seq: Math.max(1, Math.floor(Number($('#timetravel-seq').value) || 1)) });
  }

  function atTime() {
    const value = $('#timetravel-time').value;
    const ms = clockTime(value, true);
    if (Number.isNaN(ms)) {
      $('#timetravel-meta').textContent = 'Choose a date and time first.';
      $('#timetravel-meta').className = 'bad';
      return undefined;
    }
    return travelTo({ at_time: Math.max(0, ms) });
  }

  const submit = (sel, run) => $(sel).addEventListener('submit', (ev) => { ev.preventDefault(); run(); });
  submit('#events-form', searchEvents);
  submit('#timetravel-form', atSeq);
  submit('#timetravel-time-form', atTime);
  $('#events-newer').addEventListener('click', () => { page = Math.max(0, page - 1); loadEvents(); });
  $('#events-older').addEventListener('click', () => {
    if (befores[page + 1] == null) return;
    page += 1;
    loadEvents();
  });
  $('#timetravel-range').addEventListener('input', () => { $('#timetravel-seq').value = $('#timetravel-range').value; });
  $('#timetravel-range').addEventListener('change', atSeq);
  $('#timetravel-seq').addEventListener('input', () => { $('#timetravel-range').value = $('#timetravel-seq').value; });

  return {
    searchEvents,
    reset() {
      befores = [null];
      page = 0;
      travel = null;
      travelPager.reset();
      $('#events-newer').disabled = true;
      $('#events-older').disabled = true;
    },
  };
}
