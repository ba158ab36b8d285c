// The dashboard's cluster panel (cluster mode only): the nodes, their hunts, lease ages and load,
// from GET /admin/cluster. Imported by admin.js, which hands it its helpers:
// setupCluster({api, errorMessage}). A server that is not a cluster node answers 404: the panel
// stays hidden and is not asked again.
//
// Element ids (stable; end-to-end tests drive them):
//   #cluster           the panel (hidden outside cluster mode); #cluster-node (this node's name)
//   #cluster-nodes     <tbody>: one <tr data-node="{name}"> per live node: name, hunts, load,
//                      events/s, heartbeat age
//   #cluster-hunts     <tbody>: one <tr data-hunt="{id}"> per hunt: id, owner (or "moving"),
//                      lease age

const $ = (sel) => document.querySelector(sel);

export function setupCluster({ api, errorMessage }) {
  let clustered = true;  // until the server says 404

  function el(tag, text, cls) {
    const e = document.createElement(tag);
    if (text != null) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  }

  function row(cells, data) {
    const tr = el('tr');
    Object.assign(tr.dataset, data);
    for (const [text, cls] of cells) tr.append(el('td', text, cls));
    return tr;
  }

  function seconds(value) {
    return value == null ? '' : `${Number(value).toFixed(1)} s`;
  }

  async function refresh() {
    if (!clustered) return;
    const res = await api('/admin/cluster');
    if (res.status === 404) {
      clustered = false;
      $('#cluster').hidden = true;
      return;
    }
    if (!res.ok) throw new Error(`Could not read the cluster: ${errorMessage(res)}`);
    const status = res.data;
    $('#cluster-node').textContent = status.node;
    $('#cluster-nodes').replaceChildren(...status.nodes.map((n) => row([
      [n.self ? `${n.name} (this node)` : n.name], [n.hunts.join(', ')], [n.load, 'num'],
      [n.events_per_s, 'num'], [seconds(n.heartbeat_age_s), 'num']], { node: n.name })));
    $('#cluster-hunts').replaceChildren(...status.hunts.map((h) => row([
      [h.id], [h.owner ?? 'moving'], [seconds(h.lease_age_s), 'num']], { hunt: h.id })));
    $('#cluster').hidden = false;
  }

  return { refresh };
}
