// pages/cases.js — #/cases: the investigations saved on the server (GET /v1/cases), most
// recently updated first, in `case-list` (rows with data-case-id: title linked to
// #/case/{id}, which reopens it in the trace view; updated; author; version), each exportable
// with every edge's provenance (GET /v1/cases/{id}/export?format=json|csv, downloaded). Analysts
// may delete one (DELETE /v1/cases/{id}) after confirming.
import { h, mount, notice, link, fmtTime } from '../util.js';
import { get, del, enc } from '../api.js';
import { table, td, tdn, errText, can, status, say, download } from './ui.js';

export async function render(main) {
  mount(main, h('h1', 'Cases'), h('p.loading', { role: 'status' }, 'Loading the cases…'));
  let doc;
  try { doc = await get('/v1/cases'); } catch (e) {
    return mount(main, h('h1', 'Cases'), notice('error', e.status === 404
      ? 'This server keeps no cases (its /v1/cases endpoint is missing: a newer sleuth serve has it).'
      : errText(e, 'Cannot list the cases')));
  }
  const st = status();
  const list = (doc.cases || []).slice().sort((a, b) => (b.updated || 0) - (a.updated || 0));
  const write = can('analyst');
  const rows = list.map((c) => {
    const tr = h('tr', { 'data-case-id': c.id },
      td(h('a', { href: link.case(c.id) }, c.title || '(untitled)'), h('div.muted.mono', c.id)),
      td(fmtTime(c.updated)), td(fmtTime(c.created)), td(c.author || '—'), tdn(String(c.version ?? '—')),
      td(h('span.row', ['json', 'csv'].map((f) => h('button.link', { type: 'button', title: `The case with every edge's provenance (${f.toUpperCase()}); its trace is run again`, on: { click: async (ev) => {
        ev.target.disabled = true;
        say(st, 'info', `Exporting “${c.title || c.id}” as ${f.toUpperCase()} (the trace runs again)…`);
        try { await download(`/v1/cases/${enc(c.id)}/export?format=${f}`, `case-${c.id}.${f}`); say(st, 'ok', `Exported case ${c.id} as case-${c.id}.${f}.`); } catch (e) {
          say(st, 'error', errText(e, 'The export failed'));
        }
        ev.target.disabled = false;
      } } }, f.toUpperCase())))),
      write ? td(h('button.danger.small', { type: 'button', 'aria-label': `Delete case ${c.title || c.id}`, on: { click: async (ev) => {
        if (!window.confirm(`Delete the case “${c.title || c.id}”? It cannot be undone.`)) return;
        ev.target.disabled = true;
        try {
          await del(`/v1/cases/${enc(c.id)}`);
          tr.remove();
          say(st, 'ok', `Case “${c.title || c.id}” deleted.`);
        } catch (e) { ev.target.disabled = false; say(st, 'error', errText(e, 'The case was not deleted')); }
      } } }, 'Delete')) : null);
    return tr;
  });
  return mount(main, h('h1', 'Cases'),
    h('p.hint', 'An investigation saved from the trace view: its trace parameters, the nodes added or hidden, and the notes. ',
      'Open one to continue it; start a new one from a trace (', h('a', { href: '#/' }, 'search'), ' an address or a transaction, then trace it).'),
    st,
    table(['case', 'updated', 'created', 'author', { label: 'version', num: true }, 'export', ...(write ? [''] : [])], rows,
      { 'data-testid': 'case-list' }, 'No case saved yet.'));
}
