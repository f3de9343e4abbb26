// pages/address.js — #/address/{chain}/{address} (an empty chain lets the server pick the
// first chain that holds it): GET /v1/address. Shows the balances per asset (`balance` rows
// with data-asset and data-units; UTXO chains: received, spent, balance), first and last
// seen, every tag with its source, confidence, category and incident (`tags`), the cluster
// (`cluster-link`, its size and tag), the exposure (pages/exposure.js), the transactions
// paged (`flows`: UTXO from the address's history; account chains: each transaction of the
// page read for what moved to and from the address), and the actions: trace forward
// (`trace-from-here`) and backward, watch the address, add a tag (analyst and above).
import { h, mount, notice, link } from '../util.js';
import { get, post, enc } from '../api.js';
import {
  section, table, td, tdn, kv, amt, time, txLink, tagChips, pager, load, errText, can, status, say, field, coinFor, watchButton,
} from './ui.js';
import { exposure } from './exposure.js';

const LIMIT = 25;
const BARE = { 'data-units': null };  // inside a `balance` row, which alone carries data-units
const CATEGORIES = ['exchange', 'perpetrator', 'victim', 'mixing_service', 'coinjoin', 'defi_bridge', 'defi_dex', 'defi',
  'market', 'gambling', 'ransomware', 'scam', 'sanction', 'service', 'payment_processor', 'hot_wallet', 'cold_wallet'];
const CONFIDENCES = ['forensic', 'forensic_investigation', 'manual_transaction', 'ownership', 'authority_data',
  'trusted_provider', 'service_data', 'untrusted_transaction', 'web_crawl', 'heuristic', 'unknown'];

async function addrDoc(address, chain, offset) {
  const q = new URLSearchParams({ limit: String(LIMIT), offset: String(offset) });
  if (chain) q.set('chain', chain);
  return get(`/v1/address/${enc(address)}?${q}`);
}

function balances(doc, chain) {
  if (doc.balances) {
    const rows = Object.entries(doc.balances).map(([asset, units]) => h('tr', { 'data-testid': 'balance', 'data-asset': asset, 'data-units': String(units) },
      td(asset), tdn(amt(units, asset, chain, BARE))));
    return table(['asset', { label: 'balance', num: true }], rows, {}, 'No balance in any asset.');
  }
  const coin = coinFor(chain);
  return table(['asset', { label: 'received', num: true }, { label: 'spent', num: true }, { label: 'balance', num: true }],
    [h('tr', { 'data-testid': 'balance', 'data-asset': coin, 'data-units': String(doc.balance) },
      td(coin), tdn(amt(doc.received, coin, chain, BARE)), tdn(amt(doc.spent, coin, chain, BARE)), tdn(amt(doc.balance, coin, chain, BARE)))]);
}

function tagsTable(tags) {
  return table(['label', 'category', 'abuse', 'source', 'confidence', 'actor', 'incident'],
    tags.map((t) => h('tr', { title: [t.pack, t.file, t.lastmod].filter(Boolean).join(' — ') },
      td(h('strong', t.label), t.is_cluster_definer ? h('span.badge', { title: 'defines its cluster\u2019s tag' }, 'cluster definer') : null),
      td(t.category || '—'), td(t.abuse || '—'), td(t.source || '—', t.file ? h('div.muted', t.file) : null),
      td(`${t.confidence ?? '—'} (${t.confidence_level ?? '?'})`), td(t.actor_label || t.actor || '—'),
      td(t.incident ? h('a', { href: link.incident(t.incident) }, t.incident) : '—', t.role ? h('span.muted', ` ${t.role}`) : null))),
    { 'data-testid': 'tags' }, 'No tag in the store names this address.');
}

function clusterBox(c, chain) {
  if (!c) return notice('info', 'No cluster build covers this address (sleuth cluster build).');
  return h('div',
    h('p', h('a', { href: link.cluster(chain, String(c.id)), 'data-testid': 'cluster-link' }, `Cluster ${c.id}`),
      ` — ${Number(c.size).toLocaleString('en')} address${c.size === 1 ? '' : 'es'}`),
    c.tag ? h('p', 'Tag: ', h('strong', c.tag.label), ` [${c.tag.category}]`, h('span.muted', ` ${c.tag.source}, confidence ${c.tag.confidence ?? c.tag.confidence_level}`))
      : h('p.muted', c.size === 1 ? 'No tag on its only member.' : `No tag among the ${c.tag_members_examined ?? c.size} members examined.`));
}

/** Per asset, what the transaction moved into (+) and out of (−) `address` (account chains). */
function netOf(tx, address) {
  const me = address.toLowerCase();
  const m = new Map();
  for (const f of tx.flows || []) {
    const a = f.asset;
    if (!m.has(a)) m.set(a, { in: 0n, out: 0n });
    if (String(f.to).toLowerCase() === me) m.get(a).in += BigInt(f.amount);
    if (String(f.from).toLowerCase() === me) m.get(a).out += BigInt(f.amount);
  }
  return [...m].filter(([, v]) => v.in || v.out);
}

async function flowsUtxo(doc, chain) {
  return table(['transaction', 'block', 'time', { label: 'received', num: true }, { label: 'spent', num: true }],
    (doc.history || []).map((r) => h('tr', { 'data-txid': r.txid },
      td(txLink(chain, r.txid, 12)), td(r.height == null ? '—' : h('a', { href: link.block(chain, String(r.height)) }, String(r.height))),
      td(time(r.time)), tdn(r.received ? amt(r.received, null, chain) : ''), tdn(r.spent ? amt(r.spent, null, chain) : ''))),
    { 'data-testid': 'flows' }, 'No transaction on this page.');
}

async function flowsAccount(doc, chain) {
  // the server's history rows (what each tx moved to and from this address, its fee among what
  // it sent); a server without them: each transaction read on its own
  const rows = doc.history || await Promise.all((doc.txs || []).map(async (t) => {
    try {
      const tx = await get(`/v1/tx/${enc(t)}?chain=${enc(chain)}`);
      const net = netOf(tx, doc.address);
      const pick = (k) => Object.fromEntries(net.filter(([, v]) => v[k]).map(([a, v]) => [a, v[k].toString()]));
      return { tx: tx.hash, height: tx.block, time: tx.time, status: tx.status, received: pick('in'), sent: pick('out') };
    } catch (e) { return { tx: t, error: e }; }
  }));
  const side = (o, sign) => Object.entries(o || {}).map(([a, v]) => h('div', sign, amt(String(v), a, chain)));
  return table(['transaction', 'block', 'time', 'in', 'out'],
    rows.map((r) => {
      if (r.error) return h('tr', { 'data-txid': r.tx }, td(txLink(chain, r.tx, 12)), td({ colspan: 4 }, errText(r.error)));
      return h('tr', { 'data-txid': r.tx },
        td(txLink(chain, r.tx, 12), r.status === 0 ? h('span.badge.risk-high', 'failed') : null),
        td(h('a', { href: link.block(chain, String(r.height)) }, String(r.height))), td(time(r.time)),
        td(side(r.received, '+')), td(side(r.sent, '−')));
    }), { 'data-testid': 'flows' }, 'No transaction on this page.');
}

function tagForm(address, chain, onAdded) {
  const st = status();
  const f = h('form.inline-form', { on: { submit: async (ev) => {
    ev.preventDefault();
    const d = Object.fromEntries(new FormData(f));
    const body = { address, chain, label: d.label.trim(), category: d.category.trim(), source: d.source.trim(), confidence: d.confidence };
    if (d.abuse.trim()) body.abuse = d.abuse.trim();
    if (d.actor.trim()) body.actor = d.actor.trim();
    try {
      const doc = await post('/v1/tags', body);
      say(st, 'ok', `Tag “${body.label}” added.`);
      f.reset();
      onAdded(doc.tags || []);
    } catch (e) { say(st, 'error', errText(e, 'The tag was not added')); }
  } } },
  h('div.row',
    field('Label', h('input', { name: 'label', required: true, size: 24 })),
    field('Category', h('input', { name: 'category', required: true, list: 'tag-categories', size: 16 })),
    field('Abuse', h('input', { name: 'abuse', list: 'tag-categories', size: 12 })),
    field('Source', h('input', { name: 'source', required: true, value: 'analyst', size: 16 })),
    field('Confidence', h('select', { name: 'confidence' }, CONFIDENCES.map((c) => h('option', { value: c }, c)))),
    field('Actor', h('input', { name: 'actor', size: 12 })),
    h('button', { type: 'submit' }, 'Add tag')),
  h('datalist#tag-categories', CATEGORIES.map((c) => h('option', { value: c }))), st);
  return h('details.addtag', h('summary', 'Add a tag'), f);
}

export async function render(main, { chain: routeChainName, address }) {
  let doc;
  try { doc = await addrDoc(address, routeChainName, 0); } catch (e) {
    return mount(main, h('h1', 'Address ', h('span.mono', address)), notice('error', errText(e, 'Cannot read the address')));
  }
  const chain = doc.chain || routeChainName || 'btc';
  const utxo = !doc.balances;
  const tagsBox = h('div', tagsTable(doc.tags || []));
  const riskChip = h('span.badge', { title: 'the exposure screen\u2019s level (below)' });
  const st = status();
  const actions = h('div.row.actions',
    h('a.button', { href: link.trace({ address, chain, policy: 'haircut', direction: 'forward' }), 'data-testid': 'trace-from-here' }, 'Trace forward from here'),
    h('a.button.secondary', { href: link.trace({ address, chain, policy: 'haircut', direction: 'backward' }), 'data-testid': 'trace-backward' }, 'Trace backward'),
    watchButton('Watch this address', { kind: 'address', target: address, chain }, st, { 'data-testid': 'watch-address' }), st);

  const flowsBox = h('div');
  const showFlows = (d, offset) => load(flowsBox, async () => [
    await (utxo ? flowsUtxo(d, chain) : flowsAccount(d, chain)),
    pager({ offset, limit: LIMIT, total: utxo ? d.tx_count : null, hasMore: (d.txs || []).length === LIMIT, count: (d.txs || []).length,
      onPage: async (o) => { try { showFlows(await addrDoc(address, chain, o), o); } catch (e) { mount(flowsBox, notice('error', errText(e))); } },
      testids: { next: 'flows-next', prev: 'flows-prev' } }),
  ], 'the transactions');

  mount(main,
    h('div', { 'data-testid': 'address-page', 'data-chain': chain, 'data-address': doc.address },
      h('h1', h('span.muted', `${chain} address `), h('span.mono', doc.address)),
      h('p.row', doc.type ? h('span.badge', doc.type) : null, riskChip, tagChips(doc.tags)),
      actions,
      h('div.grid2',
        section('Balance', balances(doc, chain), kv([
          ['first seen', [time(doc.first_seen), doc.first_seen_height != null ? h('span.muted', ` block ${doc.first_seen_height}`) : null]],
          ['last seen', [time(doc.last_seen), doc.last_seen_height != null ? h('span.muted', ` block ${doc.last_seen_height}`) : null]],
          ['transactions', doc.tx_count != null ? Number(doc.tx_count).toLocaleString('en') : null],
          ['outputs received / spent', utxo ? `${doc.outputs_received} / ${doc.outputs_spent}` : null],
          ['flows in / out', utxo ? null : `${doc.flows_in} / ${doc.flows_out}`],
        ])),
        section('Cluster', clusterBox(doc.cluster, chain))),
      section('Tags', tagsBox, can('analyst') ? tagForm(doc.address, chain, (tags) => mount(tagsBox, tagsTable(tags))) : null),
      exposure(doc.address, chain, undefined, (risk) => { mount(riskChip, `risk ${risk}`); riskChip.classList.add(`risk-${risk}`); }),
      section('Transactions', h('p.hint', utxo ? 'Newest first; amounts received by and spent from this address in each.'
        : 'Newest first; what each transaction moved to (+) and from (−) this address, per asset.'), flowsBox)));
  showFlows(doc, 0);
  document.title = `${doc.address} — sleuth`;
  return undefined;
}
