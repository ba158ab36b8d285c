// The players' map of open geo clues, drawn here as SVG: no map library, no other origin unless
// the server is configured with a tile server (then its tiles are drawn underneath).
// Imported by play.js: setupMap({getPosition}) -> {update(hunt)}.
//
// What it shows comes from GET /hunts/{id}: `map` is there while the organiser has the map on,
// with `areas` [{clue, title, lat, lon, radius_m}]: for each open geo clue of this side that the
// organiser marked show_on_map, a circle that holds the check-in circle somewhere inside it (not
// the spot itself); `map_tiles` {url, attribution} when tiles are configured. Your own position
// is read on this device only when you ask (it is not sent anywhere by the map).
//
// Element ids (stable; end-to-end tests drive them):
//   #map-panel      the panel (hidden while the map is off)
//   #map            <svg>; each area is <circle class="map-area" data-clue="…">, you are
//                   <circle id="map-me">, tiles are <image class="map-tile">
//   #map-list       <ul>: one <li data-clue="…"> per area: its title, and how far and which way
//                   from you once your position is known
//   #map-locate     button: read your position and centre the map on it
//   #map-attribution  the tile server's attribution (when tiles are used)

const SVG = 'http://www.w3.org/2000/svg';
const SIZE = 400;          // the SVG's viewBox is SIZE x SIZE
const TILE = 256;
const EARTH_M = 6371008.8;
const REFRESH_MS = 30000;

function project(lat, lon, zoom) {
  const scale = TILE * 2 ** zoom;
  const s = Math.sin((Math.max(-85, Math.min(85, lat)) * Math.PI) / 180);
  return [((lon + 180) / 360) * scale, (0.5 - Math.log((1 + s) / (1 - s)) / (4 * Math.PI)) * scale];
}

function distanceM(a, b) {
  const rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad;
  const dLon = (b.lon - a.lon) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_M * Math.asin(Math.min(1, Math.sqrt(h)));
}

function direction(a, b) {
  const rad = Math.PI / 180;
  const y = Math.sin((b.lon - a.lon) * rad) * Math.cos(b.lat * rad);
  const x = Math.cos(a.lat * rad) * Math.sin(b.lat * rad) - Math.sin(a.lat * rad) * Math.cos(b.lat * rad) * Math.cos((b.lon - a.lon) * rad);
  const bearing = (Math.atan2(y, x) / rad + 360) % 360;
  return ['north', 'north-east', 'east', 'south-east', 'south', 'south-west', 'west', 'north-west'][Math.round(bearing / 45) % 8];
}

function metres(m) {
  return m < 1000 ? `${Math.round(m / 10) * 10} m` : `${(m / 1000).toFixed(1)} km`;
}

function node(tag, attrs) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  return e;
}

export function setupMap({ getPosition }) {
  const panel = document.getElementById('map-panel');
  const svg = document.getElementById('map');
  let hunt = null;
  let me = null;
  let timer = null;

  function draw() {
    const map = hunt && hunt.map;
    panel.hidden = !map;
    if (!map) return;
    const areas = Array.isArray(map.areas) ? map.areas : [];
    const centre = me || (areas.length
      ? { lat: areas.reduce((s, a) => s + a.lat, 0) / areas.length, lon: areas.reduce((s, a) => s + a.lon, 0) / areas.length }
      : null);
    svg.replaceChildren();
    const list = document.getElementById('map-list');
    if (!centre) {
      list.replaceChildren(Object.assign(document.createElement('li'), { textContent: 'No clue is on the map right now.' }));
      svg.setAttribute('aria-label', 'Map: nothing to show yet');
      return;
    }
    // The zoom that fits every area (at least 150 m around the centre, at most 20 km).
    const reach = Math.min(20000, Math.max(150, ...areas.map((a) => distanceM(centre, a) + a.radius_m)));
    const mPerPx = (reach * 1.1) / (SIZE / 2);
    const zoom = Math.max(1, Math.min(19, Math.floor(Math.log2((156543.03 * Math.cos((centre.lat * Math.PI) / 180)) / mPerPx))));
    const pxPerM = 1 / ((156543.03 * Math.cos((centre.lat * Math.PI) / 180)) / 2 ** zoom);
    const [cx, cy] = project(centre.lat, centre.lon, zoom);
    const at = (lat, lon) => {
      const [x, y] = project(lat, lon, zoom);
      return [x - cx + SIZE / 2, y - cy + SIZE / 2];
    };
    const tiles = hunt.map_tiles;
    if (tiles && typeof tiles.url === 'string') {
      const n = 2 ** zoom;
      for (let tx = Math.floor((cx - SIZE / 2) / TILE); tx <= Math.floor((cx + SIZE / 2) / TILE); tx += 1) {
        for (let ty = Math.floor((cy - SIZE / 2) / TILE); ty <= Math.floor((cy + SIZE / 2) / TILE); ty += 1) {
          if (ty < 0 || ty >= n) continue;
          const href = tiles.url.replace('{z}', zoom).replace('{x}', ((tx % n) + n) % n).replace('{y}', ty);
          svg.append(node('image', { class: 'map-tile', href, x: tx * TILE - cx + SIZE / 2, y: ty * TILE - cy + SIZE / 2, width: TILE, height: TILE }));
        }
      }
    } else {
      svg.append(node('rect', { class: 'map-ground', x: 0, y: 0, width: SIZE, height: SIZE }));
    }
    for (const area of areas) {
      const [x, y] = at(area.lat, area.lon);
      const circle = node('circle', { class: 'map-area', 'data-clue': area.clue, cx: x, cy: y, r: Math.max(4, area.radius_m * pxPerM) });
      circle.append(node('title', {}));
      circle.firstChild.textContent = area.title;
      const label = node('text', { class: 'map-label', x, y: y + 4, 'text-anchor': 'middle' });
      label.textContent = area.title;
      svg.append(circle, label);
    }
    if (me) {
      const [x, y] = at(me.lat, me.lon);
      svg.append(node('circle', { id: 'map-me', class: 'map-me', cx: x, cy: y, r: 6 }));
    }
    const bar = Math.pow(10, Math.floor(Math.log10(reach / 2)));
    svg.append(node('line', { class: 'map-scale', x1: 12, y1: SIZE - 14, x2: 12 + bar * pxPerM, y2: SIZE - 14 }));
    const scale = node('text', { class: 'map-label', x: 12, y: SIZE - 20 });
    scale.textContent = metres(bar);
    const north = node('text', { class: 'map-label', x: SIZE - 16, y: 20, 'text-anchor': 'middle' });
    north.textContent = 'N ↑';
    svg.append(scale, north);
    svg.setAttribute('aria-label', `Map of ${areas.length} clue ${areas.length === 1 ? 'area' : 'areas'}${me ? ' around you' : ''}`);
    list.replaceChildren(...areas.map((area) => {
      const li = document.createElement('li');
      li.dataset.clue = area.clue;
      li.textContent = me
        ? `${area.title}: ${metres(distanceM(me, area))} ${direction(me, area)} of you (an area of ${metres(area.radius_m)} radius)`
        : `${area.title}: an area of ${metres(area.radius_m)} radius`;
      return li;
    }));
    if (!areas.length) list.replaceChildren(Object.assign(document.createElement('li'), { textContent: 'No clue is on the map right now.' }));
    document.getElementById('map-attribution').textContent = tiles && tiles.attribution ? tiles.attribution : '';
  }

  async function locate() {
    try {
      const { lat, lon } = await getPosition();
      me = { lat, lon };
      if (!timer) timer = setInterval(() => { if (!panel.hidden) locate(); }, REFRESH_MS);
    } catch (err) {
      document.getElementById('map-list').prepend(Object.assign(document.createElement('li'),
        { textContent: `Could not read your position: ${err.message}` }));
    }
    draw();
  }

  document.getElementById('map-locate').addEventListener('click', locate);
  return {
    update(fresh) {
      hunt = fresh;
      draw();
    },
  };
}
