// pages/search.js — #/search?q=: what GET /v1/search found on every chain of the store.
// One thing found opens its page at once (location.replace, so Back returns to where the
// search started); an address comes with its cluster, which counts as the same thing (the
// address page links it). Several: a list (`search-results`, one link per result with
// data-kind). None: says so and shows the forms the box understands.
import { h, mount, notice, routeOfApiUrl, short, fmtTime } from '../util.js';
import { get, enc } from '../api.js';
import { table, td, errText, plural } from './ui.js';

const KIND_ORDER = { address: 0, tx: 1, block: 2, incident: 3, cluster: 4 };

/** The one result to open directly, or null when the user must choose. */
function only(results) {
  if (results.length === 1) return results[0];
  const main = results.filter((r) => r.kind !== 'cluster');
  if (main.length === 1 && main[0].kind === 'address'
      && results.every((r) => r.kind !== 'cluster' || r.chain === main[0].chain)) return main[0];
  return null;
}

export async function render(main, _params, query) {
  const q = (query.get('q') || '').trim();
  const box = document.getElementById('search-box');
  if (box) box.value = q;
  if (!q) return mount(main, h('h1', 'Search'), notice('info', 'Type an address, a transaction hash, a block, a cluster id or an incident name in the box above.'));
  mount(main, h('h1', 'Search'), h('p.loading', { role: 'status' }, `Searching every chain for “${q}”…`));
  let doc;
  try { doc = await get(`/v1/search?q=${enc(q)}`); } catch (e) {
    return mount(main, h('h1', 'Search'), notice('error', errText(e, 'The search failed')));
  }
  const results = (doc.results || []).slice().sort((a, b) => (KIND_ORDER[a.kind] ?? 9) - (KIND_ORDER[b.kind] ?? 9));
  const one = only(results);
  if (one) { location.replace(routeOfApiUrl(one.url, one.kind, one.chain, one.id)); return undefined; }
  if (!results.length) {
    return mount(main, h('h1', 'Search'),
      notice('info', `Nothing in this store matches “${q}”.`),
      h('p', 'The box understands:'),
      h('ul.hint',
        h('li', 'an address of a stored chain: ', h('code', 'bc1q…'), ', ', h('code', '1…'), ', ', h('code', '0x…'), ' (any case)'),
        h('li', 'a transaction id (64 hex digits) or an 0x hash'),
        h('li', 'a block hash, or a block height such as ', h('code', '840000')),
        h('li', 'a cluster id (a number, after ', h('code', 'sleuth cluster build'), ')'),
        h('li', 'an incident id or name from the library, e.g. ', h('code', 'bybit-2025'))),
      h('p.hint', 'Only what the store holds is found: an address on a chain not ingested gives nothing.'));
  }
  const rows = results.map((r) => {
    const what = h('td.muted', '…');
    describe(r).then((t) => mount(what, t)).catch((e) => mount(what, errText(e)));
    return h('tr', td(r.kind), td(r.chain || '—'),
      td(h('a.mono', { href: routeOfApiUrl(r.url, r.kind, r.chain, r.id), 'data-kind': r.kind, title: r.id }, short(r.id, 24))), what);
  });
  return mount(main, h('h1', `${results.length} results for “${q}”`),
    table(['kind', 'chain', 'id', 'what it is'], rows, { 'data-testid': 'search-results' }));
}

/** One line about a result, read from its API URL (a cluster: only its first member). */
async function describe(r) {
  const url = r.kind === 'cluster' ? `${r.url}${r.url.includes('?') ? '&' : '?'}limit=1` : r.url;
  const d = await get(url);
  const tag = (tags) => (tags && tags[0] ? ` — ${tags[0].label} [${tags[0].category}]` : '');
  switch (r.kind) {
    case 'address': return d.balances
      ? `${Object.keys(d.balances).length} assets, ${d.flows_in + d.flows_out} flows${tag(d.tags)}`
      : `${d.tx_count} transactions, last seen ${fmtTime(d.last_seen)}${tag(d.tags)}`;
    case 'tx': return `block ${d.height ?? d.block}, ${fmtTime(d.time)}${tag(d.tx_tags)}`;
    case 'block': return `${fmtTime(d.time)}, ${d.tx_count} transactions`;
    case 'cluster': return `${plural(d.size, 'address', 'addresses')}${d.tag ? ` — ${d.tag.label} [${d.tag.category}]` : ''}`;
    case 'incident': return `${d.incident?.name || r.id}, ${d.incident?.date || 'date unknown'}`;
    default: return '';
  }
}
