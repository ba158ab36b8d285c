// The dashboard's organiser actions beyond start/pause/end: adjust a score, ban a player,
// download the event log (export) and create a hunt from one (import), and the confirmation
// every destructive action asks first. Imported by admin.js, which hands it its helpers:
//   setupActions({api, huntPath, errorMessage, Unauthorized, token, selected, playerLabel, playerNames,
//                 afterImport}); its playerId(typed) reads a player's id or name as their id
//
// Element ids (stable; end-to-end tests drive them):
//   #confirm-dialog    <dialog>: #confirm-text, #confirm-yes, #confirm-no (Escape cancels; the
//                      focus starts on #confirm-no); confirmAction(text, yes) opens it
//   #manage            the panel of the selected hunt
//   #adjust-form, #adjust-player (a player id or name; #player-options lists the players seen),
//   #adjust-delta, #adjust-reason, #adjust-btn, #adjust-result (class "ok" or "bad")
//   #ban-form, #ban-player, #ban-reason, #ban-btn, #ban-result
//   #export-btn, #export-link (the downloaded file, <a download>), #export-result
//   #import-form, #import-file, #import-btn, #import-result   (in the "Create a hunt" panel)

const $ = (sel) => document.querySelector(sel);

export function confirmAction(text, yes = 'Confirm') {
  const dialog = $('#confirm-dialog');
  $('#confirm-text').textContent = text;
  $('#confirm-yes').textContent = yes;
  dialog.returnValue = '';
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => resolve(dialog.returnValue === 'yes'), { once: true });
    dialog.showModal();
    $('#confirm-no').focus();  // the safe answer is the default one
  });
}

function say(sel, text, cls = '') {
  $(sel).textContent = text;
  $(sel).className = cls;
}

function fmtBytes(n) {
  if (n < 1024) return `${n} bytes`;
  return n < 1024 * 1024 ? `${(n / 1024).toFixed(1)} KB` : `${(n / 1024 / 1024).toFixed(1)} MB`;
}

export function setupActions({ api, huntPath, errorMessage, Unauthorized, token, selected, playerLabel, playerNames,
  afterImport }) {
  const known = new Map();  // player id -> name, from the leaderboard: the choices of #player-options
  let exportUrl = null;

  // A player typed as an id, or as the name of exactly one player seen (any case): their id.
  function playerId(typed) {
    if (playerNames.has(typed)) return typed;
    const ids = [...playerNames].filter(([, name]) => name.toLowerCase() === typed.toLowerCase()).map(([id]) => id);
    return ids.length === 1 ? ids[0] : typed;
  }

  async function send(out, path, body, done) {
    say(out, 'Sending…');
    try {
      const res = await api(huntPath(path), { method: 'POST', body: JSON.stringify(body) });
      if (res.ok) say(out, done(res.data), 'ok');
      else say(out, `Not done: ${errorMessage(res)}`, 'bad');
      return res.ok;
    } catch (err) {
      if (!(err instanceof Unauthorized)) say(out, `Could not reach the server: ${err.message}`, 'bad');
      return false;
    }
  }

  async function onAdjust(ev) {
    ev.preventDefault();
    const typed = $('#adjust-player').value.trim();
    const delta = Number($('#adjust-delta').value.trim());
    const reason = $('#adjust-reason').value.trim();
    if (!typed) return say('#adjust-result', 'Say whose score to adjust.', 'bad');
    if (!Number.isInteger(delta) || delta === 0 || !$('#adjust-delta').value.trim()) {
      return say('#adjust-result', 'The points are a whole number other than 0 (negative takes points away).', 'bad');
    }
    const player = playerId(typed);
    const points = `${delta > 0 ? '+' : ''}${delta} points`;
    if (!await confirmAction(`Give ${playerLabel(player)} ${points}${reason ? ` (“${reason}”)` : ''}? `
      + 'It is recorded in the audit.', 'Adjust the score')) return say('#adjust-result', 'Not adjusted.');
    const ok = await send('#adjust-result', '/adjust', { player, delta, reason },
      (d) => `${playerLabel(d.player)}: ${points}, score now ${d.score} (event #${d.seq}).`);
    if (ok) for (const sel of ['#adjust-delta', '#adjust-reason']) $(sel).value = '';
  }

  async function onBan(ev) {
    ev.preventDefault();
    const typed = $('#ban-player').value.trim();
    const reason = $('#ban-reason').value.trim();
    if (!typed) return say('#ban-result', 'Say which player to ban.', 'bad');
    const player = playerId(typed);
    if (!await confirmAction(`Ban ${playerLabel(player)}? They can no longer play, and nobody new joins from `
      + 'their addresses.', 'Ban')) return say('#ban-result', 'Not banned.');
    const ok = await send('#ban-result', `/players/${encodeURIComponent(player)}/ban`, reason ? { reason } : {},
      (d) => `${playerLabel(d.player)} is banned (event #${d.seq}).`);
    if (ok) $('#ban-reason').value = '';
  }

  async function onExport() {
    const id = selected();
    if (!id) return;
    say('#export-result', 'Exporting…');
    try {
      const res = await fetch(huntPath('/export'), { headers: { Authorization: `Bearer ${token()}` }, cache: 'no-store' });
      if (!res.ok) {
        const text = await res.text();
        let data = text;
        try { data = JSON.parse(text); } catch { /* not JSON: the text is the message */ }
        if (res.status === 401) throw new Unauthorized('the admin token was refused');
        return say('#export-result', `Not exported: ${errorMessage({ status: res.status, data })}`, 'bad');
      }
      const blob = await res.blob();
      if (exportUrl) URL.revokeObjectURL(exportUrl);
      exportUrl = URL.createObjectURL(blob);
      const link = $('#export-link');
      link.href = exportUrl;
      link.download = `${id}.ndjson`;
      link.textContent = `${id}.ndjson (${fmtBytes(blob.size)})`;
      link.hidden = false;
      link.click();
      return say('#export-result', 'Exported: the file is downloaded; the link keeps it.', 'ok');
    } catch (err) {
      if (!(err instanceof Unauthorized)) say('#export-result', `Could not reach the server: ${err.message}`, 'bad');
      return undefined;
    }
  }

  async function onImport(ev) {
    ev.preventDefault();
    const file = $('#import-file').files[0];
    if (!file) return say('#import-result', 'Choose an exported hunt (an .ndjson file) first.', 'bad');
    $('#import-btn').disabled = true;
    say('#import-result', `Importing ${file.name}…`);
    try {
      const res = await api('/admin/hunts/import', { method: 'POST', body: file, contentType: 'application/x-ndjson' });
      if (!res.ok) return say('#import-result', `Not imported (HTTP ${res.status}): ${errorMessage(res)}`, 'bad');
      say('#import-result', `Imported hunt “${res.data.id}” (${res.data.events} events).`, 'ok');
      $('#import-file').value = '';
      await afterImport(res.data.id);
    } catch (err) {
      if (!(err instanceof Unauthorized)) say('#import-result', `Could not reach the server: ${err.message}`, 'bad');
    } finally {
      $('#import-btn').disabled = false;
    }
    return undefined;
  }

  $('#adjust-form').addEventListener('submit', onAdjust);
  $('#ban-form').addEventListener('submit', onBan);
  $('#export-btn').addEventListener('click', onExport);
  $('#import-form').addEventListener('submit', onImport);

  return {
    playerId,
    knowPlayers(rows) {
      let added = false;
      for (const r of rows || []) {
        if (r.player && known.get(r.player) !== r.name) {
          known.set(r.player, r.name);
          added = true;
        }
      }
      if (!added) return;
      $('#player-options').replaceChildren(...[...known].map(([id, name]) => {
        const o = document.createElement('option');
        o.value = id;
        o.label = name;
        return o;
      }));
    },
    reset() {
      known.clear();
      $('#player-options').replaceChildren();
      for (const sel of ['#adjust-result', '#ban-result', '#export-result']) say(sel, '');
      $('#export-link').hidden = true;
      $('#manage').hidden = false;
    },
  };
}
