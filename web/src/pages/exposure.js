// pages/exposure.js — the `exposure` section of the address and cluster pages: GET
// /v1/screen/{subject}?direction=both rendered for a reader who must justify a decision —
// the risk level (`risk-level`: none/low/medium/high/severe), the rules that set it with
// the paths of payments that carry the exposure (each txid linked), the direct and indirect
// sums per category and direction, and the top sources with their shares. When the server
// cannot screen (no exposure index), it says how to build one.
import { h, mount, link } from '../util.js';
import { get, enc } from '../api.js';
import { section, table, td, tdn, addrLink, txLink, errText, routeChain } from './ui.js';

const NOT_BUILT = 'exposure index not built: sleuth exposure build --store DIR';

/** "0.5 BTC" as the server wrote it, with the exact base units in data-units. */
function label(o) {
  return h('span.amt', { 'data-units': o.amount_base ?? null, 'data-asset': o.asset, title: o.amount_base ? `${o.amount_base} base units` : null }, o.amount || '—');
}
const pct = (s, units) => {
  if (s == null) return '—';
  const p = Number(s) * 100;
  if (p === 0 && units != null && String(units) !== '0') return '≈ 0 %';  // below the 9 decimals the server gives
  if (p > 0 && p < 0.001) return '< 0.001 %';
  return `${p.toFixed(p >= 10 ? 1 : 3).replace(/\.?0+$/, '')} %`;
};

/** A screen's source object: its label, categories, incident, and the address or tx linked. */
function source(s, chainOf) {
  const ch = chainOf(s.chain);
  return h('span',
    h('strong', s.label || '(untagged)'), ' ',
    (s.categories || []).map((c) => h('span.badge', c)),
    s.incident ? h('a', { href: link.incident(s.incident) }, s.incident) : null, ' ',
    s.address ? addrLink(ch, s.address, 8) : s.tx ? txLink(ch, s.tx, 8) : null);
}

function sums(doc) {
  const rows = [];
  for (const dir of ['in', 'out']) {
    for (const kind of ['direct', 'indirect']) {
      for (const r of doc[dir]?.[kind] || []) {
        rows.push(h('tr', td(dir === 'in' ? 'received from' : 'sent to'), td(kind), td(r.category),
          tdn(label(r)), tdn(pct(r.share, r.amount_base)), tdn(r.hops ?? '—')));
      }
    }
  }
  return table(['direction', 'exposure', 'category', { label: 'amount', num: true }, { label: 'share', num: true },
    { label: 'hops (least)', num: true }], rows, {}, 'No exposure to any tagged category.');
}

function reasons(doc, chainOf) {
  return table(['level', 'rule', 'category', 'how', { label: 'amount', num: true }, { label: 'share', num: true }, 'sources and paths'],
    (doc.reasons || []).map((r) => h('tr',
      td(h(`span.badge.risk-${r.level}`, r.level)),
      td(h('span', { title: `${doc.rules || ''}:${r.rule_line ?? ''}` }, r.rule)),
      td(r.category),
      td(r.exposure === 'self' ? 'own tag' : `${r.exposure}, ${r.direction === 'in' ? 'in' : 'out'}, ${r.hops ?? '?'} hop${r.hops === 1 ? '' : 's'}`),
      tdn(r.exposure === 'self' ? '—' : label(r)), tdn(r.exposure === 'self' ? '—' : pct(r.share, r.amount_base)),
      td(r.exposure === 'self' && r.tag ? source(r.tag, chainOf) : (r.sources || []).map((s) => h('div.src',
        source(s.source, chainOf), ' ', h('span.muted', `${pct(s.share, s.amount_base)} over ${s.hops} hop${s.hops === 1 ? '' : 's'}`),
        s.path ? h('div.path', 'path: ', s.path.map((p, i) => [i ? ' → ' : '',
          txLink(chainOf(s.source.chain), p.tx, 6), h('span.muted', ` ${p.amount || ''}`)])) : null))))),
    {}, 'No rule matched.');
}

function top(doc, chainOf) {
  const rows = [];
  for (const dir of ['in', 'out']) {
    for (const s of doc[dir]?.top_sources || []) {
      rows.push(h('tr', td(dir === 'in' ? 'source' : 'destination'), td(source(s.source, chainOf)),
        tdn(label(s)), tdn(pct(s.share, s.amount_base)), tdn(s.hops ?? '—')));
    }
  }
  return table(['', 'tagged entity', { label: 'amount', num: true }, { label: 'share', num: true }, { label: 'hops', num: true }],
    rows, {}, 'No tagged source or destination within the index\u2019s hops.');
}

/** The exposure section of `subject` (an address or `cluster:CHAIN:ID`) on `chain`. It loads
 *  on its own; `chainOf` maps a chain name in the screen (e.g. bitcoin) to the route's name. */
export function exposure(subject, chain, chainOf = routeChain, onRisk = () => {}) {
  const body = h('div', h('p.loading', { role: 'status' }, 'Screening…'));
  const el = section('Exposure', { 'data-testid': 'exposure' }, body);
  const q = new URLSearchParams({ direction: 'both' });
  if (chain) q.set('chain', chain);
  get(`/v1/screen/${enc(subject)}?${q}`).then((doc) => {
    const risk = doc.risk || 'none';
    const built = doc.index?.built !== false;
    onRisk(risk);
    const any = (doc.reasons || []).length || ['in', 'out'].some((d) => ['direct', 'indirect', 'top_sources'].some((k) => (doc[d]?.[k] || []).length));
    if (!any) {
      const got = (doc.in?.received || []).map((r) => r.amount).join(', ');
      return mount(body,
        h('p.row', 'Risk: ', h(`strong.badge.risk-${risk}`, { 'data-testid': 'risk-level' }, risk),
          built ? null : h('span.muted', 'from its own tags only'),
          doc.self?.length ? h('span', 'own tags: ', doc.self.join(', ')) : null),
        built ? h('p', `No exposure to a tagged category within ${doc.max_hops} hops (${doc.policy} index)`,
          got ? ` of what it received (${got}).` : '; the index records nothing received by it.')
          : h('p.notice.warn', NOT_BUILT, doc.index?.note ? h('span.muted', ` (${doc.index.note})`) : null));
    }
    return mount(body,
      h('p.row', 'Risk: ', h(`strong.badge.risk-${risk}`, { 'data-testid': 'risk-level' }, risk),
        doc.self?.length ? h('span', 'own tags: ', doc.self.join(', ')) : null,
        h('span.muted', built ? `${doc.policy} index, ${doc.max_hops} hops, built ${new Date((doc.index?.built_at || 0) * 1000).toISOString().slice(0, 10)}` : '')),
      built ? null : h('p.notice.warn', NOT_BUILT, doc.index?.note ? h('span.muted', ` (${doc.index.note})`) : null),
      h('h3', 'Why'), reasons(doc, chainOf),
      h('h3', 'Exposure by category'), sums(doc),
      h('h3', 'Top sources and destinations'), top(doc, chainOf));
  }).catch((e) => {
    mount(body, h('p.notice.warn', NOT_BUILT),
      h('p.hint', errText(e, 'The server said')));
  });
  return el;
}
