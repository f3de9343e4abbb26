// pages/block.js — #/block/{chain}/{hash or height}: GET /v1/block. The header fields (UTXO:
// hash, height, time, previous block, merkle root, version, bits, nonce, sizes, inputs,
// outputs, fees, coinbase value, output types; account chains: number, hash, time, miner),
// links to the previous and next blocks, and the block's transactions paged (`block-txs`).
import { h, mount, notice, link, short } from '../util.js';
import { get, enc } from '../api.js';
import { section, table, td, kv, amt, time, txLink, addrLink, pager, errText, coinFor, storeChains } from './ui.js';

const PAGE = 50;

export async function render(main, { chain: rc, id }) {
  let doc;
  try { doc = await get(`/v1/block/${enc(id)}${rc ? `?chain=${enc(rc)}` : ''}`); } catch (e) {
    return mount(main, h('h1', `Block ${id}`), notice('error', errText(e, 'Cannot read the block')));
  }
  const chain = doc.chain || rc || 'btc';
  const account = doc.number != null;
  const height = account ? doc.number : doc.height;
  const txids = (account ? doc.tx_hashes : doc.txids) || [];
  const coin = coinFor(chain);
  const tip = storeChains().find((c) => c.id === chain)?.info?.height_max;
  const fields = account ? [
    ['hash', h('span.mono', doc.hash)], ['time', time(doc.time)], ['miner', addrLink(chain, doc.miner, 12)],
    ['transactions', String(doc.tx_count)],
  ] : [
    ['hash', h('span.mono', doc.hash)], ['time', time(doc.time)],
    ['previous', doc.prev_hash ? h('a.mono', { href: link.block(chain, doc.prev_hash), title: doc.prev_hash }, doc.prev_hash) : null],
    ['merkle root', h('span.mono', doc.merkle_root)],
    ['transactions', `${doc.tx_count} (${doc.inputs} inputs, ${doc.outputs} outputs)`],
    ['fees', doc.fees == null ? 'unknown (a spent output is not in the store)' : amt(doc.fees, coin, chain)],
    ['coinbase value', amt(doc.coinbase_value, coin, chain)],
    ['size', `${Number(doc.size).toLocaleString('en')} bytes, weight ${Number(doc.weight).toLocaleString('en')}`],
    ['version / bits / nonce', `0x${Number(doc.version).toString(16)} / 0x${Number(doc.bits).toString(16)} / ${doc.nonce}`],
    ['output types', doc.output_types ? Object.entries(doc.output_types).map(([k, v]) => `${k} ${v}`).join(', ') : null],
  ];
  const list = h('div');
  const show = (offset) => mount(list,
    table(['#', 'transaction'], txids.slice(offset, offset + PAGE).map((t, k) => h('tr', { 'data-txid': t },
      td(String(offset + k)), td(txLink(chain, t, 40)))), { 'data-testid': 'block-txs' }, 'No transaction.'),
    txids.length > PAGE ? pager({ offset, limit: PAGE, total: txids.length, onPage: show }) : null);
  show(0);
  mount(main, h('div', { 'data-testid': 'block-page', 'data-chain': chain, 'data-height': height ?? '' },
    h('h1', h('span.muted', `${chain} block `), height == null ? 'height unknown' : Number(height).toLocaleString('en')),
    h('p.row',
      height > 0 ? h('a', { href: link.block(chain, String(height - 1)) }, '← previous block') : null,
      height != null && !(tip != null && height >= tip) ? h('a', { href: link.block(chain, String(height + 1)) }, 'next block →') : null),
    section(null, kv(fields)),
    section(`Transactions (${txids.length})`, list)));
  document.title = `block ${height ?? short(doc.hash)} — sleuth`;
  return undefined;
}
