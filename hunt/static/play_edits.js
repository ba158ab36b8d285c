// The organisers' edits on the player page: a clue changed, added, withdrawn or unlocked for this
// side, new start or end times, a reopened hunt. Each arrives as a feed item (never with answers);
// the page then fetches the hunt again and takes the new clues, prompts, points and times without
// a reload. Imported by play.js.

export const EDIT_KINDS = new Set(['clue_edited', 'clue_added', 'clue_retired', 'times_changed',
  'clue_unlocked', 'hunt_reopened']);

// What makes a clue's element: the rest (prompt, lock, points, title, its clock) is updated in
// place, so a player typing an answer keeps it.
function shape(clue) {
  const { prompt, locked, value, points, title, opens_at, closes_at, closed, ...rest } = clue;
  return JSON.stringify(rest);
}

// Take ``fresh`` (GET /hunts/{id}) into ``hunt``: elements of withdrawn clues go, those whose kind
// or hints changed are built again by the next render.
export function mergeHunt(hunt, fresh, clueEls) {
  const before = new Map(hunt.clues.map((c) => [c.id, c]));
  const after = new Map((fresh.clues || []).map((c) => [c.id, c]));
  for (const [id, parts] of clueEls) {
    const now = after.get(id);
    const was = before.get(id);
    if (!now || !was || shape(now) !== shape(was)) {
      parts.li.remove();
      clueEls.delete(id);
    } else {
      parts.li.querySelector('.clue-title').textContent = now.title || now.id;
    }
  }
  Object.assign(hunt, fresh);
}
