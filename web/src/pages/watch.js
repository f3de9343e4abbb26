// pages/watch.js — #/watch: watchlists and alerts. `watch-add` adds an entry (POST
// /v1/watchlists: kind address|cluster|output|incident, target, chain from the store's chains,
// policy for incident sets, min_amount, label); `watchlist` lists the entries (rows with
// data-watch-id, `watch-remove` -> DELETE). `alerts` lists what `sleuth watch` raised, newest
// first, a page at a time (read from GET /v1/alerts walking `since`, then polled every 15 s
// for new ones); each row (data-alert-id) names its event, watch, chain, transaction, address,
// amount (with the tainted part of incident watches), block time and who acknowledged it;
// `alert-ack` acknowledges (POST /v1/alerts/{id}/ack). Roles below analyst see no write control.
import { h, mount, notice, link, fmtTime, short } from '../util.js';
import { api, get, post, del } from '../api.js';
import { section, table, td, tdn, amt, time, addrLink, txLink, pager, errText, can, status, say, field, storeChains, coinFor } from './ui.js';

const PAGE = 50;
const POLL_MS = 15000;
const TARGET_HINT = {
  address: 'an address (Bitcoin family as the store writes it; 0x… any case)',
  cluster: 'CHAIN:ID, e.g. btc:17 (from sleuth cluster build)',
  output: 'TXID:N, one output',
  incident: 'an incident id, e.g. bybit-2025',
};

/** Where a watch target is shown in the UI. */
function targetLink(w) {
  const t = w.target;
  if (w.kind === 'address') return addrLink(w.chain || '', t, 14);
  if (w.kind === 'incident') return h('a', { href: link.incident(t) }, t);
  if (w.kind === 'cluster') { const [c, id] = t.split(':'); return h('a', { href: link.cluster(c, id) }, t); }
  if (w.kind === 'output') { const [tx, n] = t.split(':'); return h('a.mono', { href: link.tx(w.chain || '', tx), title: t }, `${tx.slice(0, 10)}…:${n}`); }
  return t;
}

/** An alert's amount: sat / wei are the chain coin's base units. */
function alertAmount(a, units) {
  if (units == null) return null;
  if (a.unit === 'sat' || a.unit === 'wei') return amt(units, coinFor(a.chain), a.chain);
  return h('span.amt', { 'data-units': units }, `${units} ${a.unit || ''}`);
}

function addForm(onAdded) {
  const st = status();
  const chains = storeChains();
  const kind = h('select', { name: 'kind' }, Object.keys(TARGET_HINT).map((k) => h('option', { value: k }, k)));
  const target = h('input', { name: 'target', required: true, size: 46, placeholder: TARGET_HINT.address, autocomplete: 'off', spellcheck: false });
  const policy = h('select', { name: 'policy', disabled: true }, ['haircut', 'poison', 'fifo', 'lifo', 'tiho'].map((p) => h('option', { value: p }, p)));
  kind.addEventListener('change', () => {
    target.placeholder = TARGET_HINT[kind.value];
    policy.disabled = kind.value !== 'incident';
  });
  const f = h('form.inline-form', { 'data-testid': 'watch-add', on: { submit: async (ev) => {
    ev.preventDefault();
    const d = Object.fromEntries(new FormData(f));
    const body = { kind: d.kind, target: d.target.trim() };
    if (d.chain) body.chain = d.chain;
    if (d.kind === 'incident') body.policy = d.policy;
    if (d.min_amount.trim()) body.min_amount = d.min_amount.trim();
    if (d.label.trim()) body.label = d.label.trim();
    try {
      const w = await post('/v1/watchlists', body);
      say(st, 'ok', `Added watchlist entry ${w.id}: ${w.kind} ${w.target}${w.kind === 'incident' ? ` (${w.items} items in its taint set)` : ''}.`);
      target.value = '';
      onAdded(w);
    } catch (e) { say(st, 'error', errText(e, 'Not added')); }
  } } },
  h('div.row',
    field('Kind', kind),
    field('Target', target),
    field('Chain', h('select', { name: 'chain' }, h('option', { value: '' }, 'as the target says'),
      chains.map((c) => h('option', { value: c.id }, c.id === c.label ? c.id : `${c.label} (${c.id})`)))),
    field('Policy (incidents)', policy),
    field('Minimum (coin)', h('input', { name: 'min_amount', size: 8, inputmode: 'decimal', placeholder: '0.1', pattern: '[0-9]*\\.?[0-9]*',
      title: 'In the chain\u2019s coin: 0.1 is 0.1 BTC on btc, 0.1 ETH on ethereum; smaller moves raise no alert' })),
    field('Label', h('input', { name: 'label', size: 18 })),
    h('button', { type: 'submit' }, 'Watch')), st);
  return f;
}

function watchRow(w, write, st) {
  const tr = h('tr', { 'data-watch-id': w.id },
    tdn(String(w.id)), td(w.kind), td(targetLink(w)), td(w.chain || 'every chain'), td(w.policy || '—'),
    td(w.min_amount ?? '—'), td(w.label || '—'), td(fmtTime(w.created)), tdn(String(w.items ?? '—')),
    write ? td(h('button.danger.small', { type: 'button', 'data-testid': 'watch-remove', 'aria-label': `Remove watchlist entry ${w.id}`, on: { click: async (ev) => {
      if (!window.confirm(`Stop watching ${w.kind} ${w.target}?`)) return;
      ev.target.disabled = true;
      try { await del(`/v1/watchlists/${w.id}`); tr.remove(); say(st, 'ok', `Watchlist entry ${w.id} removed.`); } catch (e) {
        ev.target.disabled = false; say(st, 'error', errText(e, 'Not removed'));
      }
    } } }, 'Remove')) : null);
  return tr;
}

function alertRow(a, write) {
  const retraction = a.type === 'retraction';
  const acked = h('span', a.acked ? [a.acked.by, h('div.muted', fmtTime(a.acked.time))] : '—');
  const tr = h(`tr${retraction ? '.retraction' : ''}${a.acked ? '.acked' : ''}`, { 'data-alert-id': a.id, 'data-event': a.event },
    tdn(String(a.id)),
    td(h('strong', retraction ? 'retraction' : a.event), retraction ? h('div.muted', `of #${a.retracts}: ${a.reason}`) : null),
    td(a.watch ? h('span.nowrap', { title: `watchlist entry ${a.watch.id}: ${a.watch.kind} ${a.watch.target}` }, `#${a.watch.id} `,
      a.watch.label || `${a.watch.kind} ${short(String(a.watch.target), 6)}`) : '—'),
    td(a.chain), td(txLink(a.chain, a.tx, 8), a.index != null ? h('span.muted', `:${a.index}`) : null),
    td(addrLink(a.chain, a.address, 8), a.service ? h('div.muted', `${a.service.label} [${a.service.category}]`) : null),
    tdn(alertAmount(a, a.amount), a.tainted != null ? h('div.muted', 'tainted ', alertAmount(a, a.tainted)) : null),
    td(time(a.block_time), a.height != null ? h('div', h('a.muted', { href: link.block(a.chain, String(a.height)) }, `block ${a.height}`)) : null),
    td(acked));
  if (write) {
    tr.append(td(a.acked || retraction ? null : h('button.secondary.small', { type: 'button', 'data-testid': 'alert-ack', 'aria-label': `Acknowledge alert ${a.id}`, on: { click: async (ev) => {
      ev.target.disabled = true;
      try {
        const r = await api(`/v1/alerts/${a.id}/ack`, { method: 'POST' });  // the endpoint takes no body
        a.acked = { by: r.by, time: Math.floor(Date.now() / 1000) };
        mount(acked, r.by, h('div.muted', 'just now')); tr.classList.add('acked'); ev.target.remove();
      } catch (e) { ev.target.disabled = false; mount(acked, h('span.notice.error', errText(e, 'not acknowledged'))); }
    } } }, 'Acknowledge')));
  }
  return tr;
}

/** Every alert after `since` (walking the API's pages), oldest first, and the next cursor. */
async function alertsAfter(since) {
  const out = [];
  let next = since;
  for (;;) {
    const doc = await get(`/v1/alerts?since=${next}&limit=1000`);
    const list = doc.alerts || [];
    out.push(...list);
    if (list.length < 1000 || doc.next === next) return { list: out, next: doc.next ?? next };
    next = doc.next;
  }
}

export async function render(main) {
  const write = can('analyst');
  const wst = status();
  const wlBody = h('tbody');
  const wlTable = h('div.tablewrap', h('table', { 'data-testid': 'watchlist' },
    h('thead', h('tr', ['id', 'kind', 'target', 'chain', 'policy', 'minimum', 'label', 'created', 'items', ...(write ? [''] : [])].map((c) => h('th', { scope: 'col' }, c)))),
    wlBody));
  const wlEmpty = h('p.notice.info', 'Nothing is watched yet.');
  const addWatch = (w) => { wlBody.append(watchRow(w, write, wst)); wlEmpty.hidden = true; };
  const alertsBox = h('div', h('p.loading', { role: 'status' }, 'Loading the alerts…'));
  const newCount = h('span.muted', { role: 'status', 'aria-live': 'polite' });
  let alerts = [];          // newest first
  let cursor = 0;
  let offset = 0;
  let unacked = false;
  const showAlerts = () => {
    const rows = alerts.filter((a) => !unacked || (!a.acked && a.type !== 'retraction'));
    mount(alertsBox,
      table(['#', 'event', 'watch', 'chain', 'transaction', 'address', { label: 'amount', num: true }, 'block time', 'acknowledged', ...(write ? [''] : [])],
        rows.slice(offset, offset + PAGE).map((a) => alertRow(a, write)), { 'data-testid': 'alerts' },
        unacked ? 'No unacknowledged alert.' : 'No alert yet: `sleuth watch --store DIR --btc-rpc URL` raises them as blocks arrive.'),
      rows.length > PAGE ? pager({ offset, limit: PAGE, total: rows.length, onPage: (o) => { offset = o; showAlerts(); } }) : null);
  };

  mount(main, h('h1', 'Watchlists and alerts'),
    section('Watchlist', write ? addForm(addWatch) : h('p.hint', 'Your role (read) may list the watchlists and alerts; an analyst token adds, removes and acknowledges.'),
      wst, wlTable, wlEmpty),
    section('Alerts', h('div.row.filter',
      h('label', h('input', { type: 'checkbox', on: { change: (ev) => { unacked = ev.target.checked; offset = 0; showAlerts(); } } }), ' only unacknowledged'),
      newCount), alertsBox));

  get('/v1/watchlists').then((doc) => {
    const list = doc.watchlist || [];
    list.forEach(addWatch);
    wlEmpty.hidden = list.length > 0;
  }).catch((e) => { wlTable.replaceWith(notice('error', errText(e, 'Cannot list the watchlists'))); });

  try {
    const r = await alertsAfter(0);
    alerts = r.list.reverse(); cursor = r.next;
    newCount.textContent = `${alerts.length} alert${alerts.length === 1 ? '' : 's'}; checked ${fmtTime(Math.floor(Date.now() / 1000))}`;
    showAlerts();
  } catch (e) { mount(alertsBox, notice('error', errText(e, 'Cannot read the alerts'))); return undefined; }

  const timer = setInterval(async () => {
    try {
      const r = await alertsAfter(cursor);
      cursor = r.next;
      if (r.list.length) {
        alerts = [...r.list.reverse(), ...alerts];
        if (offset) offset += r.list.length;  // the rows on screen stay where they are
        showAlerts();
      }
      newCount.textContent = `${alerts.length} alert${alerts.length === 1 ? '' : 's'}; ${r.list.length ? `${r.list.length} new; ` : ''}checked ${fmtTime(Math.floor(Date.now() / 1000))}`;
    } catch (e) { newCount.textContent = errText(e, 'Checking for new alerts failed'); }
  }, POLL_MS);
  return () => clearInterval(timer);
}
