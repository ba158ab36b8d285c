// Mission clues on the player page: a photo or video from the phone's camera, or a text, sent
// over HTTP (POST /hunts/{hunt}/entries with the player's token) and judged by the organisers.
// Imported by play.js.
//
// Element ids, inside a mission's <li id="clue-{id}">:
//   #clue-{id}-file    the camera / file input (accept image/* and/or video/*, capture="environment")
//   #clue-{id}-text    the text of a text entry (when the mission takes text)
//   #clue-{id}-submit, #clue-{id}-result   as for other clues; the <li> has class "pending" while
//                      the side's entry waits for a judge

export const entries = new Map();  // clue id -> {status: pending | approved | rejected, message}
const unsent = new Map();           // clue id -> the command id of an upload not yet answered

function newId() {
  if (crypto.randomUUID) return crypto.randomUUID();
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');
}

export function buildMission(clue, li, base) {
  const field = li.querySelector('.clue-input-label').closest('.field');
  const accepts = clue.accepts || ['photo', 'video', 'text'];
  const media = accepts.filter((kind) => kind !== 'text');
  const fields = [];
  if (media.length) {
    const label = document.createElement('label');
    const file = document.createElement('input');
    file.type = 'file';
    file.id = `${base}-file`;
    file.accept = media.map((kind) => (kind === 'photo' ? 'image/*' : 'video/*')).join(',');
    file.setAttribute('capture', 'environment');  // the camera, on a phone
    label.htmlFor = file.id;
    label.textContent = media.length === 2 ? 'Photo or video' : (media[0] === 'photo' ? 'Photo' : 'Video');
    const div = document.createElement('div');
    div.className = 'field';
    div.append(label, file);
    fields.push(div);
  }
  if (accepts.includes('text')) {
    const label = document.createElement('label');
    const text = document.createElement('textarea');
    text.id = `${base}-text`;
    text.maxLength = 2000;
    text.rows = 3;
    label.htmlFor = text.id;
    label.textContent = media.length ? 'Or write your entry' : 'Your entry';
    const div = document.createElement('div');
    div.className = 'field';
    div.append(label, text);
    fields.push(div);
  }
  field.replaceWith(...fields);
  li.querySelector('.clue-submit').textContent = 'Send to the judges';
}

export async function sendEntry(clue, parts, { huntId, token, say }) {
  const file = parts.li.querySelector('input[type="file"]');
  const text = parts.li.querySelector('textarea');
  let body;
  let type;
  if (file && file.files && file.files[0]) {
    body = file.files[0];
    type = body.type || (file.accept.startsWith('video') ? 'video/mp4' : 'image/jpeg');
  } else if (text && text.value.trim()) {
    body = text.value.trim();
    type = 'text/plain; charset=utf-8';
  } else {
    say(file ? 'Take a photo (or choose one) first.' : 'Write your entry first.', 'bad');
    return;
  }
  // The same id until the server answers: a retry after a lost answer is counted once.
  const id = unsent.get(clue.id) || newId();
  unsent.set(clue.id, id);
  say('Sending…', '');
  parts.submit.disabled = true;  // until the answer (say() renders the clue again from its state)
  try {
    const url = `/hunts/${encodeURIComponent(huntId)}/entries?clue=${encodeURIComponent(clue.id)}&id=${id}`;
    const res = await fetch(url, { method: 'POST', body, headers: { 'Content-Type': type, Authorization: `Bearer ${token}` } });
    let data = null;
    try { data = await res.json(); } catch { /* not JSON */ }
    unsent.delete(clue.id);
    if (res.ok) {
      entries.set(clue.id, { status: 'pending', message: '' });
      if (file) file.value = '';
      if (text) text.value = '';
      say('Sent: waiting for a judge.', 'ok');
    } else {
      if (data && data.error === 'entry_pending') entries.set(clue.id, { status: 'pending', message: '' });
      say((data && data.message) || `The server said ${res.status}.`, 'bad');
    }
  } catch (err) {
    say(`Could not send it (${err.message}). Try again: it will not count twice.`, 'bad');
  }
}

export function applyEntries(progressEntries) {
  if (!progressEntries || typeof progressEntries !== 'object') return;
  for (const [clue, entry] of Object.entries(progressEntries)) {
    if (entry && entry.status) entries.set(clue, { status: entry.status, message: entry.message || '' });
  }
}

// A feed item about an entry of this side; returns the text for the clue's result, or null.
export function onEntryFeed(item) {
  if (item.kind === 'entry_submitted') {
    entries.set(item.clue, { status: 'pending', message: '' });
    return [`${item.name} sent a ${item.entry_kind}: waiting for a judge.`, ''];
  }
  if (item.kind === 'entry_judged') {
    entries.set(item.clue, { status: item.approved ? 'approved' : 'rejected', message: item.message || '' });
    const why = item.message ? ` “${item.message}”` : '';
    return item.approved ? [`Approved! +${item.points} points.${why}`, 'ok']
      : [`Not accepted.${why} You can send another.`, 'bad'];
  }
  return null;
}
