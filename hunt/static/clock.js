// Timed play on the player page and the big screen: countdowns to a side's own start, the time
// left in its window, the next clue release and a scheduled scoreboard freeze. Reads what
// GET /hunts/{id} says (`window`, `freeze_at`, each timed clue's `opens_at` / `closes_at`; for
// the player page, as they stand for the player's side), and asks for a fresh copy of the hunt
// when one of those times passes (a clue opens: its prompt comes with the fresh copy).
//
//   setupClock(target, { getHunt, refresh, you })   target: the element to write into (hidden
//   when there is nothing to count down); you: true on the player page ("Your start in ...").
//   Lines, each a <span data-clock="start|left|over|clue|freeze">.

function clock(ms) {
  const s = Math.max(0, Math.ceil(ms / 1000));
  const [d, h, m, sec] = [Math.floor(s / 86400), Math.floor(s / 3600) % 24, Math.floor(s / 60) % 60, s % 60];
  const hms = `${h}:${String(m).padStart(2, '0')}:${String(sec).padStart(2, '0')}`;
  return d > 0 ? `${d} d ${hms}` : hms;
}

export function clockLines(hunt, now, you) {
  const lines = [];
  if (!hunt || hunt.status === 'ended') return lines;
  const w = hunt.window || {};
  if (w.starts_at != null && now < w.starts_at) {
    lines.push(['start', `${you ? 'Your start' : 'Play starts'} in ${clock(w.starts_at - now)}`]);
  } else if (w.ends_at != null && now < w.ends_at) {
    lines.push(['left', `${you ? 'Your time left' : 'Time left'}: ${clock(w.ends_at - now)}`]);
  } else if (w.ends_at != null) {
    lines.push(['over', you ? 'Your time is up' : 'Time is up']);
  }
  const next = (hunt.clues || []).map((c) => c.opens_at).filter((t) => t != null && t > now).sort((a, b) => a - b)[0];
  if (next != null) lines.push(['clue', `Next clue opens in ${clock(next - now)}`]);
  if (hunt.freeze_at != null && hunt.freeze_at > now) {
    lines.push(['freeze', `Scoreboard freezes in ${clock(hunt.freeze_at - now)}`]);
  }
  return lines;
}

// The next time at which the hunt's view changes (a window edge, a clue opening or closing, the freeze).
export function nextChange(hunt, now) {
  if (!hunt) return null;
  const w = hunt.window || {};
  const times = [w.starts_at, w.ends_at, hunt.freeze_at];
  for (const c of hunt.clues || []) times.push(c.opens_at, c.closes_at);
  const later = times.filter((t) => t != null && t > now);
  return later.length ? Math.min(...later) : null;
}

export function setupClock(target, { getHunt, refresh, you = false }) {
  let due = null;
  const tick = () => {
    const hunt = getHunt();
    const now = Date.now();
    const lines = clockLines(hunt, now, you);
    target.replaceChildren(...lines.map(([kind, text], i) => {
      const span = document.createElement('span');
      span.dataset.clock = kind;
      span.textContent = (i ? ' · ' : '') + text;
      return span;
    }));
    target.hidden = lines.length === 0;
    if (due != null && now >= due) {
      due = null;
      refresh();  // something opened or closed: fetch the hunt as it is now
    }
    if (due == null) {
      const next = nextChange(hunt, now);
      if (next != null) due = next + 500;  // a little after: the server's clock decides
    }
  };
  tick();
  setInterval(tick, 1000);
  return { update: () => { due = null; tick(); } };
}
