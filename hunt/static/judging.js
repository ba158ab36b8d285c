// The dashboard's judging queue: mission entries (photos, videos, texts) to approve or reject.
// Imported by admin.js, which hands it its helpers: setupJudging({api, huntPath, errorMessage, token}).
//
// Element ids (stable; end-to-end tests drive them):
//   #judging           the panel; #judging-count (entries waiting)
//   #judging-status (pending | approved | rejected | all), #judging-clue, #judging-player: filters
//   #judging-list      <ol>: one <li data-entry="N"> per entry (class "current" on the selected one)
//   #judging-media     the photo (<img>) or video (<video controls>) of the selected entry
//   #judging-text, #judging-meta      its text, and who sent it for which clue
//   #judging-bonus, #judging-message, #judging-approve, #judging-reject, #judging-result
//   #judging-prev, #judging-next, #judging-page   the pages of the queue (50 entries each)
// Keys (when no text field has the focus): j / k next / previous entry, a approve, r reject,
// b the bonus field, m the message field; Escape leaves a field.

const $ = (sel) => document.querySelector(sel);
const PAGE = 50;  // entries per page (#judging-prev / #judging-next)

export function setupJudging({ api, huntPath, errorMessage, token }) {
  let entries = [];
  let current = 0;
  let mediaUrl = null;
  let shownKey = '';
  let pages = [0];  // page i lists the entries after pages[i] (oldest first)
  let page = 0;

  function el(tag, text, cls) {
    const e = document.createElement(tag);
    if (text != null) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  }

  async function refresh() {
    const params = new URLSearchParams({ status: $('#judging-status').value, limit: String(PAGE) });
    if (pages[page]) params.set('after', String(pages[page]));
    for (const [name, sel] of [['clue', '#judging-clue'], ['player', '#judging-player']]) {
      const value = $(sel).value.trim();
      if (value) params.set(name, value);
    }
    const res = await api(huntPath(`/entries?${params}`));
    if (!res.ok) throw new Error(`judging: ${errorMessage(res)}`);
    const keep = entries[current] && entries[current].entry;
    entries = res.data.entries || [];
    const again = entries.findIndex((e) => e.entry === keep);
    current = again >= 0 ? again : Math.min(current, Math.max(0, entries.length - 1));
    $('#judging-count').textContent = `${res.data.counts.pending} waiting`;
    pages = pages.slice(0, page + 1);
    if (res.data.next_after != null) pages.push(res.data.next_after);
    $('#judging-prev').disabled = page === 0;
    $('#judging-next').disabled = res.data.next_after == null;
    $('#judging-page').textContent = entries.length || page ? `page ${page + 1}` : '';
    render();
  }

  function render() {
    $('#judging-list').replaceChildren(...entries.map((entry, i) => {
      const li = el('li', null, i === current ? 'current' : '');
      li.dataset.entry = String(entry.entry);
      const button = el('button', `#${entry.entry} ${entry.clue_title} · ${entry.name}${entry.team ? ` (${entry.team})` : ''}`
        + ` · ${entry.kind}${entry.status === 'pending' ? '' : ` · ${entry.status}`}`, 'secondary');
      button.type = 'button';
      button.addEventListener('click', () => { current = i; render(); });
      li.append(button);
      return li;
    }));
    showCurrent();
  }

  async function showCurrent() {
    const entry = entries[current];
    const key = entry ? `${entry.entry}:${entry.status}` : '';
    if (key === shownKey) return;
    shownKey = key;
    const box = $('#judging-media');
    if (mediaUrl) URL.revokeObjectURL(mediaUrl);
    mediaUrl = null;
    box.replaceChildren();
    $('#judging-text').textContent = entry ? entry.text || '' : '';
    $('#judging-meta').textContent = entry
      ? `${entry.name}${entry.team ? ` (${entry.team})` : ''} for “${entry.clue_title}” (${entry.points} points)`
        + (entry.judged ? ` · ${entry.status}${entry.judged.message ? `: ${entry.judged.message}` : ''}` : '')
      : 'Nothing to judge.';
    for (const sel of ['#judging-approve', '#judging-reject']) $(sel).disabled = !entry || entry.status !== 'pending';
    if (!entry || !entry.media) return;
    const res = await fetch(huntPath(`/media/${entry.media.hash}`),
      { headers: { Authorization: `Bearer ${token()}` } });
    if (!res.ok || shownKey !== key) return;
    mediaUrl = URL.createObjectURL(await res.blob());
    const media = entry.kind === 'video' ? el('video') : el('img');
    if (entry.kind === 'video') media.controls = true;
    else media.alt = `Photo sent by ${entry.name} for ${entry.clue_title}`;
    media.src = mediaUrl;
    box.replaceChildren(media);
  }

  async function judge(verdict) {
    const entry = entries[current];
    if (!entry || entry.status !== 'pending') return;
    const out = $('#judging-result');
    const body = { verdict, message: $('#judging-message').value.trim() };
    const bonus = parseInt($('#judging-bonus').value, 10);
    if (verdict === 'approve' && bonus > 0) body.bonus = bonus;
    out.textContent = 'Sending…';
    out.className = '';
    const res = await api(huntPath(`/entries/${entry.entry}/judge`), { method: 'POST', body: JSON.stringify(body) });
    if (res.ok) {
      out.textContent = `#${entry.entry} ${res.data.result}${res.data.points ? ` (+${res.data.points})` : ''}.`;
      out.className = 'ok';
      $('#judging-bonus').value = '';
      $('#judging-message').value = '';
      await refresh();
    } else {
      out.textContent = `Not judged: ${errorMessage(res)}`;
      out.className = 'bad';
    }
  }

  function move(step) {
    if (!entries.length) return;
    current = Math.max(0, Math.min(entries.length - 1, current + step));
    render();
  }

  function onKey(ev) {
    if ($('#judging').hidden || ev.ctrlKey || ev.metaKey || ev.altKey) return;
    const typing = ev.target.closest && ev.target.closest('input, textarea, select');
    if (typing) {
      if (ev.key === 'Escape') ev.target.blur();
      return;
    }
    const action = { j: () => move(1), k: () => move(-1), a: () => judge('approve'), r: () => judge('reject'),
      b: () => $('#judging-bonus').focus(), m: () => $('#judging-message').focus() }[ev.key];
    if (action) {
      ev.preventDefault();
      action();
    }
  }

  $('#judging-approve').addEventListener('click', () => judge('approve'));
  $('#judging-reject').addEventListener('click', () => judge('reject'));
  const firstPage = () => { pages = [0]; page = 0; return refresh(); };
  $('#judging-filter').addEventListener('submit', (ev) => { ev.preventDefault(); firstPage(); });
  $('#judging-status').addEventListener('change', firstPage);
  $('#judging-prev').addEventListener('click', () => { page = Math.max(0, page - 1); refresh(); });
  $('#judging-next').addEventListener('click', () => {
    if (pages[page + 1] == null) return;
    page += 1;
    refresh();
  });
  document.addEventListener('keydown', onKey);
  return {
    refresh,
    reset() { entries = []; current = 0; shownKey = ''; pages = [0]; page = 0; render(); },
  };
}
