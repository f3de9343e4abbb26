// trace/conservation.js — the conservation line of a taint trace, always on screen above the
// graph: source (+ absorbed + linked in) = endpoints + held + fees + dropped + linked out, in
// exact amounts of the asset, one line per asset when the taint crossed into others
// (result.assets). This is the check a reader of any trace needs and other tools do not show:
// nothing was created or lost between the source and where the amount is now.
// The first line is the source asset's (result.conservation): its terms carry `data-field`
// and the exact base units in `data-units`; the other assets' lines carry `data-asset` and
// `data-chain`, and name the chain when one symbol is on several (USDT on Ethereum and Tron).
import { h, fmtAmount } from '../util.js';

const LEFT = [['source', 'source'], ['absorbed', 'absorbed'], ['linked_in', 'linked in']];
const RIGHT = [['endpoints', 'endpoints'], ['held', 'held'], ['fees', 'fees'], ['dropped', 'dropped'], ['linked_out', 'linked out']];
const HELP = {
  source: 'what the source held', absorbed: 'clean value pulled in (poison policy)', linked_in: 'arrived through a crossing from another asset',
  endpoints: 'reached a stop (tag, max hops, truncated…)', held: 'still unspent where it is', fees: 'paid to miners / validators',
  dropped: 'below min_amount, no longer followed', linked_out: 'left through a crossing into another asset',
};

function term(field, name, units, decimals, asset, primary) {
  const zero = units == null || String(units) === '0';
  return h(`span.cons-term${zero ? '.zero' : ''}`, {
    'data-field': primary ? field : null, 'data-asset-field': primary ? null : field, 'data-units': String(units ?? 0),
    title: `${name}: ${HELP[field]}`,
  }, h('span.cons-name', name), ' ', h('span.cons-amt', fmtAmount(units ?? 0, decimals ?? 0), asset ? ` ${asset}` : ''));
}

function line(c, asset, decimals, primary, chain, label) {
  const left = LEFT.filter(([k]) => k === 'source' || String(c[k] ?? 0) !== '0');
  const kids = [];
  left.forEach(([k, n], i) => { if (i) kids.push(h('span.cons-op', '+')); kids.push(term(k, n, c[k], decimals, asset, primary)); });
  kids.push(h('span.cons-op', '='));
  RIGHT.forEach(([k, n], i) => { if (i) kids.push(h('span.cons-op', '+')); kids.push(term(k, n, c[k], decimals, asset, primary)); });
  kids.push(h(`span.cons-ok.${c.balanced ? 'ok' : 'bad'}`, c.balanced ? '✓ balanced' : '✗ NOT balanced'));
  return h('div.cons-line', { 'data-asset': asset || '', 'data-chain': chain || '' }, asset && h('span.cons-asset', label || asset), kids);
}

/** The conservation element of a trace result (docs/JSON.md "sleuth trace"). */
export function conservation(result, { expansions = 0 } = {}) {
  const c = result.conservation || {};
  const assets = (result.assets || []).filter((a) => a.asset !== result.asset || a.chain !== result.chain);
  const balanced = !!c.balanced && assets.every((a) => a.balanced);
  const chains = {};
  [{ asset: result.asset, chain: result.chain }, ...assets].forEach((a) => { (chains[a.asset] ||= new Set()).add(a.chain); });
  const label = (a) => (chains[a.asset].size > 1 ? `${a.asset} (${a.chain})` : a.asset);
  return h('div.conservation', { 'data-testid': 'conservation', 'data-balanced': String(balanced), role: 'group', 'aria-label': 'Conservation of the traced amount' },
    line(c, result.asset, result.asset_decimals, true, result.chain, label(result)),
    assets.map((a) => line(a, a.asset, a.decimals, false, a.chain, label(a))),
    expansions ? h('div.hint', `These lines are the main trace's (policy ${result.params?.policy}); ${expansions === 1 ? 'the expansion is a separate 1-hop trace' : `the ${expansions} expansions are separate 1-hop traces`}.`) : null);
}
