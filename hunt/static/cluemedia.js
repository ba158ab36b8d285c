// Clue media on the player page: the images and recordings of clue prompts, hints, the intro
// and the outro. Imported by play.js. Plain ES module, no dependencies, no other origin.
//
// The server lists media in GET /hunts/{id} only where this player's side may see them
// ({hash, alt, type} each) and serves a file at /hunts/{id}/media/{hash} only then, with the
// player's token as Authorization: Bearer. So a file is fetched with that header and shown from
// a blob: URL (the page's Content-Security-Policy allows blob: images and media, nothing else).
//
// Element ids and classes (stable; end-to-end tests drive them):
//   #intro, #intro-text, #intro-media    the hunt's intro (hidden when it has none)
//   #outro, #outro-text, #outro-media    the outro (hidden until the server shows it: at the end,
//                                        or once the side found every clue)
//   .media            a box of media; each item is <figure data-hash="…"> holding an <img alt="…">
//                     or an <audio controls aria-label="…">, with the alt text as <figcaption>
//                     for recordings; #clue-{id}-media holds a clue's, hints' are in their <li>

const urls = new Map();  // hash -> Promise of a blob: URL (or null when the server said no)

function fetchUrl(huntId, hash, token) {
  if (!urls.has(hash)) {
    const headers = token ? { Authorization: `Bearer ${token}` } : {};
    const pending = fetch(`/hunts/${encodeURIComponent(huntId)}/media/${hash}`, { headers })
      .then(async (res) => (res.ok ? URL.createObjectURL(await res.blob()) : null))
      .catch(() => null)
      .then((url) => {
        if (url === null) urls.delete(hash);  // not visible yet (or offline): ask again next time
        return url;
      });
    urls.set(hash, pending);
  }
  return urls.get(hash);
}

function item(huntId, media, token) {
  const figure = document.createElement('figure');
  figure.dataset.hash = media.hash;
  const isAudio = typeof media.type === 'string' && media.type.startsWith('audio/');
  const element = document.createElement(isAudio ? 'audio' : 'img');
  if (isAudio) {
    element.controls = true;
    element.preload = 'metadata';
    element.setAttribute('aria-label', media.alt || 'recording');
    const caption = document.createElement('figcaption');
    caption.textContent = media.alt || '';
    figure.append(element, caption);
  } else {
    element.alt = media.alt || '';
    element.decoding = 'async';
    figure.append(element);
  }
  fetchUrl(huntId, media.hash, token).then((url) => {
    if (url) element.src = url;
  });
  return figure;
}

// Fill `box` with `list` ([{hash, alt, type}]); leaves it alone when it shows the same list.
export function showMedia(box, list, { huntId, token }) {
  const items = Array.isArray(list) ? list.filter((m) => m && typeof m.hash === 'string') : [];
  const key = items.map((m) => `${m.hash}:${m.alt}`).join('|');
  if (box.dataset.key === key) return;
  box.dataset.key = key;
  box.replaceChildren(...items.map((m) => item(huntId, m, token)));
  box.hidden = items.length === 0;
}

// The intro and outro panels from the hunt's public view.
export function showNotices(hunt, context) {
  for (const name of ['intro', 'outro']) {
    const notice = hunt && hunt[name];
    const panel = document.getElementById(name);
    if (!panel) continue;
    panel.hidden = !notice;
    document.getElementById(`${name}-text`).textContent = notice ? notice.text || '' : '';
    showMedia(document.getElementById(`${name}-media`), notice ? notice.media : [], context);
  }
}
