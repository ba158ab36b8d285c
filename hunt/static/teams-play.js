// Teams and divisions on the player page (/play/{hunt}). Imported by play.js.
//
// Element ids (stable; end-to-end tests drive them):
//   #join-division-field, #join-division   the division to play in (shown when the hunt has
//                    divisions that sides choose at join; a team's later players need not choose)
//   An invite link /play/{hunt}?team=NAME&invite=CODE fills in #join-team and #join-code.
//   #team-stat       your team (hidden in solo hunts): #team-name and #team-captain (the captain's name)
//   #team-invite     the captain's invite link to hand to team mates (with #team-code; hidden otherwise)
//   #division-stat   your side's division: #division-name and #division-rank (hidden without one)
//   #division-board  your division's leaderboard (pushed with the overall one): #division-board-title,
//                    #division-leaderboard (<tbody>, rows with data-player; yours has class "me")

const $ = (sel) => document.querySelector(sel);

function el(tag, text, cls) {
  const node = document.createElement(tag);
  if (text != null) node.textContent = String(text);
  if (cls) node.className = cls;
  return node;
}

let divisions = [];

function divisionTitle(id) {
  const found = divisions.find((d) => d.id === id);
  return found ? found.title : id;
}

// The join form: the hunt's divisions, and what an invite link filled in.
export function setupTeamJoin(hunt) {
  divisions = Array.isArray(hunt.divisions) ? hunt.divisions : [];
  const choose = divisions.length > 0 && hunt.division_choice !== 'organiser';
  $('#join-division-field').hidden = !choose;
  const select = $('#join-division');
  if (choose && select.options.length === 0) {
    select.append(new Option('— none —', ''));
    for (const d of divisions) select.append(new Option(d.title, d.id));
  }
  const params = new URLSearchParams(location.search);
  if (hunt.mode === 'teams' && params.get('team') && !$('#join-team').value) {
    $('#join-team').value = params.get('team');
    if (params.get('invite')) $('#join-code').value = params.get('invite');
  }
}

// Fields the join frame gets from the form: the division, when one is chosen.
export function joinExtras() {
  const field = $('#join-division-field');
  const chosen = field && !field.hidden ? $('#join-division').value : '';
  return chosen ? { division: chosen } : {};
}

// The join ack and every welcome: your team, its captain, your division, and for the captain the
// team's code (null when the organiser chose the passcode) with an invite link.
export function showTeam(msg, huntId) {
  const inTeam = typeof msg.team === 'string' && msg.team !== '';
  $('#team-stat').hidden = !inTeam;
  if (inTeam) {
    $('#team-name').textContent = msg.team;
    $('#team-captain').textContent = msg.captain_name ? `captain: ${msg.captain_name}` : 'no captain yet';
  }
  const code = typeof msg.team_code === 'string' ? msg.team_code : null;
  const invite = $('#team-invite');
  invite.hidden = !(inTeam && code);
  if (inTeam && code) {
    const url = new URL(`/play/${encodeURIComponent(huntId)}`, location.href);
    url.searchParams.set('team', msg.team);
    url.searchParams.set('invite', code);
    invite.href = url.toString();
  }
  if (msg.division !== undefined) showDivision(msg.division ?? null, null);
}

function showDivision(id, rank) {
  $('#division-stat').hidden = !id;
  $('#division-name').textContent = id ? divisionTitle(id) : '';
  $('#division-rank').textContent = id && rank != null ? `#${rank}` : '';
  if (!id) $('#division-board').hidden = true;
}

// A leaderboard push: your division's board comes with the overall one.
export function onDivisionBoard(msg, mine) {
  const board = msg.division;
  const you = msg.you || {};
  showDivision(you.division ?? (board ? board.id : null), you.division_rank);
  $('#division-board').hidden = !board;
  if (!board) return;
  $('#division-board-title').textContent = `${divisionTitle(board.id)} division`;
  const rows = (board.top || []).map((r) => {
    const tr = el('tr', null, r.player === mine ? 'me' : null);
    tr.dataset.player = r.player;
    tr.append(el('td', r.rank, 'num'), el('td', r.name ?? r.player), el('td', r.score, 'num'));
    return tr;
  });
  $('#division-leaderboard').replaceChildren(...rows);
}

// Team news in the feed. Returns true when the page should greet the server again (a new
// captain or passcode: the welcome says the captain the team code).
export function onTeamFeed(item, saved) {
  switch (item.kind) {
    case 'team_renamed':
      saved.team = item.team;
      $('#team-name').textContent = item.team;
      return false;
    case 'captain_changed':
      $('#team-captain').textContent = `captain: ${item.name}`;
      return true;
    case 'team_passcode_changed':
      return true;
    case 'division_set':
      showDivision(item.division ?? null, null);
      return false;
    default:
      return false;
  }
}
