// pages/tx.js — #/tx/{chain}/{id}: GET /v1/tx. A UTXO transaction shows its block, time, fee
// and sizes, the inputs (the output each spends, linked; the paying address with its tags and
// cluster; the value) and the outputs (address, value, what spent it, a trace link for that
// one output TXID:N); an account transaction shows sender, recipient, value, fee, status and
// every flow it moved (numbered as `sleuth trace --tx HASH:N` takes them, each with a trace
// link). Both list memos and decoded events, and the transaction's own tags.
// `trace-from-here` traces forward from all outputs (flows) of the transaction.
import { h, mount, notice, link, short } from '../util.js';
import { get, enc } from '../api.js';
import { section, table, td, tdn, kv, amt, time, addrLink, txLink, tagChips, errText, coinFor } from './ui.js';

const NULL_TXID = /^0+$/;

function who(chain, address, tags, cluster) {
  return h('div', addrLink(chain, address, 12), ' ', tagChips(tags, 2),
    cluster && cluster.size > 1 ? h('a.muted', { href: link.cluster(chain, String(cluster.id)), title: `cluster ${cluster.id}` }, ` cluster of ${cluster.size}`) : null);
}

function traceLink(chain, source, text = 'trace') {
  return h('a', { href: link.trace({ tx: source, chain, policy: 'haircut', direction: 'forward' }), title: `trace forward from ${source}` }, text);
}

function memos(doc, chain) {
  const m = doc.memos || [];
  const ev = doc.events || [];
  if (!m.length && !ev.length) return null;
  return section('Memos and events',
    m.length ? table(['kind', 'output', 'text', 'refers to'], m.map((x) => h('tr',
      td(x.kind), td(x.vout ?? '—'), td(x.text != null ? h('span', x.text) : h('code', { title: x.hex }, short(x.hex, 24))),
      td(x.ref ? txLink(chain, x.ref) : '—')))) : null,
    ev.length ? table(['event', 'log', 'contract', 'decoded'], ev.map((x) => h('tr',
      td(x.event), td(x.log_index ?? '—'), td(addrLink(chain, x.contract, 8)),
      td(x.decoded ? kv(Object.entries(x.decoded).map(([k, v]) => [k, v == null ? '—' : String(v)])) : '—')))) : null);
}

function utxoPage(doc, chain) {
  const coin = coinFor(chain);
  const inTotal = doc.inputs.reduce((s, i) => s + BigInt(i.value ?? 0), 0n);
  const outTotal = doc.outputs.reduce((s, o) => s + BigInt(o.value ?? 0), 0n);
  return [
    section(null, kv([
      ['block', doc.height != null ? [h('a', { href: link.block(chain, String(doc.height)) }, String(doc.height)), ' ',
        h('a.mono.muted', { href: link.block(chain, doc.block_hash), title: doc.block_hash }, short(doc.block_hash))] : 'not in a block'],
      ['time', time(doc.time)],
      ['fee', doc.fee == null ? 'unknown (a spent output is not in the store)' : [amt(doc.fee, coin, chain),
        doc.vsize ? h('span.muted', ` (${(Number(doc.fee) / doc.vsize).toFixed(1)} sat/vB)`) : null]],
      ['in / out', [amt(inTotal.toString(), coin, chain), ' → ', amt(outTotal.toString(), coin, chain)]],
      ['size', `${doc.size} bytes, ${doc.vsize} vbytes, weight ${doc.weight}`],
      ['wtxid', doc.wtxid && doc.wtxid !== doc.txid ? h('span.mono', doc.wtxid) : null],
      ['coinbase', doc.coinbase ? 'yes (newly mined coins)' : null],
    ])),
    h('div.grid2',
      section(`Inputs (${doc.inputs.length})`, table(['#', 'spends', 'from', { label: 'value', num: true }],
        doc.inputs.map((i, k) => h('tr',
          td(String(k)),
          td(NULL_TXID.test(i.prev_txid || '0') ? 'coinbase' : h('a.mono', { href: link.tx(chain, i.prev_txid), title: `${i.prev_txid}:${i.prev_vout}` }, `${short(i.prev_txid, 6)}:${i.prev_vout}`)),
          td(i.address ? who(chain, i.address, i.tags, i.cluster) : h('span.muted', i.type || '—')),
          tdn(i.value == null ? '—' : amt(i.value, coin, chain)))))),
      section(`Outputs (${doc.outputs.length})`, table(['#', 'to', { label: 'value', num: true }, 'spent by', ''],
        doc.outputs.map((o) => h('tr', { 'data-vout': o.n },
          td(String(o.n)),
          td(o.address ? who(chain, o.address, o.tags, o.cluster) : h('span.muted', o.type || '—')),
          tdn(amt(o.value, coin, chain)),
          td(o.spent_by ? h('a.mono', { href: link.tx(chain, o.spent_by.txid), title: `${o.spent_by.txid} input ${o.spent_by.vin}` }, `${short(o.spent_by.txid, 6)}:${o.spent_by.vin}`)
            : o.type === 'op_return' ? '—' : h('span.muted', 'unspent')),
          td(o.type === 'op_return' ? null : traceLink(chain, `${doc.txid}:${o.n}`))))))),
    memos(doc, chain),
  ];
}

function accountPage(doc, chain) {
  const coin = coinFor(chain);
  return [
    section(null, kv([
      ['block', [h('a', { href: link.block(chain, String(doc.block)) }, String(doc.block)), h('span.muted', ` position ${doc.index}`)]],
      ['time', time(doc.time)],
      ['from', who(chain, doc.from, doc.from_tags)],
      ['to', doc.to ? who(chain, doc.to, doc.to_tags) : 'contract creation'],
      ['value', amt(doc.value, coin, chain)],
      ['fee', amt(doc.fee, coin, chain)],
      ['status', doc.status === 0 ? h('span.badge.risk-high', 'failed (reverted)') : doc.status === 1 ? 'success' : 'unknown'],
    ])),
    section(`Flows (${(doc.flows || []).length})`, table(['#', 'kind', 'from', 'to', { label: 'amount', num: true }, ''],
      (doc.flows || []).map((f, k) => h('tr', { 'data-flow': k },
        td(String(k)), td(f.kind || '—'),
        td(who(chain, f.from, f.from_tags)),
        td(['burn', 'fees', 'mint'].includes(f.to) ? h('span.muted', f.to) : who(chain, f.to, f.to_tags)),
        tdn(amt(f.amount, f.asset, chain)),
        td(f.kind === 'fee' || f.kind === 'burn' ? null : traceLink(chain, `${doc.hash}:${k}`)))), {}, 'This transaction moved nothing.')),
    memos(doc, chain),
  ];
}

export async function render(main, { chain: rc, id }) {
  let doc;
  try { doc = await get(`/v1/tx/${enc(id)}${rc ? `?chain=${enc(rc)}` : ''}`); } catch (e) {
    return mount(main, h('h1', 'Transaction ', h('span.mono', id)), notice('error', errText(e, 'Cannot read the transaction')));
  }
  const chain = doc.chain || rc || 'btc';
  const txid = doc.txid || doc.hash;
  mount(main, h('div', { 'data-testid': 'tx-page', 'data-chain': chain, 'data-txid': txid },
    h('h1', h('span.muted', `${chain} transaction `), h('span.mono', txid)),
    doc.tx_tags?.length ? h('p', tagChips(doc.tx_tags, 5), doc.tx_tags.filter((t) => t.incident).slice(0, 1)
      .map((t) => h('a', { href: link.incident(t.incident) }, ` incident ${t.incident}`))) : null,
    h('div.row.actions',
      h('a.button', { href: link.trace({ tx: txid, chain, policy: 'haircut', direction: 'forward' }), 'data-testid': 'trace-from-here' },
        doc.outputs ? 'Trace forward from all outputs' : 'Trace forward from its flows'),
      h('a.button.secondary', { href: link.trace({ tx: txid, chain, policy: 'haircut', direction: 'backward' }) }, 'Trace backward')),
    doc.outputs ? utxoPage(doc, chain) : accountPage(doc, chain)));
  document.title = `${short(txid)} — sleuth`;
  return undefined;
}
