// pages/incidents.js — #/incidents: the incident library (GET /v1/incidents) as one table —
// name, date, victim, amount stolen (as the library records it, with its USD value), actor
// and chains — newest first, with a filter box that narrows the rows as one types (any word
// of the name, id, victim, actor, chain or date).
import { h, mount, notice, link } from '../util.js';
import { get } from '../api.js';
import { table, td, tdn, errText, grouped, chainList, byDateDesc } from './ui.js';

const usd = (v) => (v == null ? null : `$${Number(v).toLocaleString('en', { notation: 'compact', maximumFractionDigits: 1 })}`);

function stolen(list) {
  return (list || []).map((s) => h('div', { title: s.usd != null ? `USD ${grouped(s.usd)} (as recorded)` : null },
    s.amount != null ? `${grouped(s.amount)} ${s.asset}` : s.asset, s.usd != null ? h('span.muted', ` ${usd(s.usd)}`) : null));
}

export async function render(main) {
  mount(main, h('h1', 'Incidents'), h('p.loading', { role: 'status' }, 'Loading the library…'));
  let doc;
  try { doc = await get('/v1/incidents'); } catch (e) {
    return mount(main, h('h1', 'Incidents'), notice('error', errText(e, 'Cannot read the incident library')));
  }
  const list = byDateDesc(doc.incidents || []);
  const rows = list.map((i) => {
    const actor = i.attribution?.actor;
    const tr = h('tr', { 'data-incident': i.id },
      td(h('a', { href: link.incident(i.id) }, i.name || i.id), h('div.muted', i.id)),
      td(h('span.nowrap', i.date || '—')), td(i.victim || '—'), tdn(stolen(i.stolen)),
      td(actor ? h('span', { title: [i.attribution.by, i.attribution.date, i.attribution.confidence && `confidence ${i.attribution.confidence}`].filter(Boolean).join('; ') }, actor) : '—'),
      td(chainList(i.chains)));
    tr.dataset.text = [i.id, i.name, i.date, i.victim, actor, ...(i.chains || [])].join(' ').toLowerCase();
    return tr;
  });
  const count = h('span.muted', { role: 'status' }, `${list.length} incidents`);
  const box = h('input', { type: 'search', placeholder: 'Filter: name, victim, actor, chain, year…', 'aria-label': 'Filter the incidents', size: 40,
    on: { input: () => {
      const words = box.value.toLowerCase().split(/\s+/).filter(Boolean);
      let n = 0;
      for (const tr of rows) { const ok = words.every((w) => tr.dataset.text.includes(w)); tr.hidden = !ok; if (ok) n++; }
      count.textContent = words.length ? `${n} of ${list.length} incidents` : `${list.length} incidents`;
    } } });
  mount(main, h('h1', 'Incidents'),
    h('div.row.filter', box, count),
    table(['incident', 'date', 'victim', { label: 'stolen (as recorded)', num: true }, 'actor', 'chains'], rows,
      { 'data-testid': 'incident-list' }, 'The library is empty.'));
  box.focus();
  return undefined;
}
export const keepFocus = true;  // the filter box has the focus
