// pages/ui.js — building blocks shared by the pages other than the trace view: the caller's
// role (write controls are shown only to roles that may use them), exact amounts with their
// base units kept in data-units, shortened hash links (the full value in title and href),
// tag chips, tables, pagers, key/value lists, and sections that load on their own and say
// in words what went wrong or that there is nothing to show. Everything is built with h():
// no value from the chain, a tag or the server is ever parsed as HTML.
import { h, mount, notice, fmtAmount, coinOf, short, link, categoryColor, fmtTime } from '../util.js';
import { serverInfo } from '../main.js';
import { api } from '../api.js';

const RANK = { read: 1, analyst: 2, admin: 3 };

/** The caller's role from /v1/info ('read', 'analyst', 'admin'; '' when unknown). */
export function role() { return serverInfo()?.server?.role || ''; }

/** True when the caller's role is at least `min` (a write control is hidden otherwise). */
export function can(min) { return (RANK[role()] || 0) >= RANK[min]; }

/** The store's chains from /v1/info, as the other endpoints name them: the Bitcoin-family
 *  chain is `btc` (its network's name in `label`), account chains by their names. */
export function storeChains() {
  return (serverInfo()?.chains || []).map((c) => ({
    id: c.model === 'utxo' ? 'btc' : c.chain, label: c.chain, model: c.model, info: c,
  }));
}

/** A chain name as some documents write it (`bitcoin`, `litecoin`: the store's Bitcoin
 *  family) -> the name the routes and most endpoints use (`btc`). */
export function routeChain(c) {
  if (!c) return c;
  const u = (serverInfo()?.chains || []).find((x) => x.model === 'utxo');
  return c === 'bitcoin' || c === 'litecoin' || (u && c === u.chain) ? 'btc' : c;
}

/** The coin symbol of a chain as the API names it (`btc` is the store's Bitcoin family). */
export function coinFor(chain) {
  if (chain === 'btc' || !chain) {
    const u = (serverInfo()?.chains || []).find((c) => c.model === 'utxo');
    return coinOf(u ? u.chain : 'bitcoin') || 'BTC';
  }
  return coinOf(chain) || chain.toUpperCase();
}

/** Decimals of `asset` on `chain`, or null when unknown (a token outside the bundled list:
 *  the API then names it by contract and its amounts stay in base units). */
export function decimalsFor(asset, chain) {
  const a = String(asset || coinFor(chain)).toUpperCase();
  if (a.startsWith('0X') || a === '') return null;
  if (a === 'BTC' || a === 'LTC') return 8;
  if (a === 'USDT' || a === 'USDC') return chain === 'bsc' ? 18 : 6;
  if (a === 'TRX') return 6;
  if (['ETH', 'BNB', 'POL', 'MATIC', 'AVAX', 'WETH', 'STETH', 'DAI'].includes(a)) return 18;
  return null;
}

/** Base units -> the exact decimal text; up to 8 decimals the fraction is written in full
 *  (0.10000000 BTC) so that a column of amounts lines up. */
export function exact(units, d) {
  const s = fmtAmount(units, d);
  if (d > 8 || d === 0) return s;
  const [i, f = ''] = s.split('.');
  return `${i}.${f.padEnd(d, '0')}`;
}

/** A decimal string as written (the library's amounts), thousands grouped: "401346.76" -> "401,346.76". */
export const grouped = (v) => String(v).replace(/^(\d+)/, (i) => i.replace(/\B(?=(\d{3})+(?!\d))/g, ','));

/** An exact amount: "1,234.50000000 BTC" with the base units in data-units and in the title. */
export function amt(units, asset, chain, props = {}) {
  const sym = asset || coinFor(chain);
  const d = decimalsFor(sym, chain);
  const text = units == null ? '—'
    : d == null ? `${fmtAmount(units, 0)} base units of ${short(sym, 8)}` : `${exact(units, d)} ${sym}`;
  return h('span.amt', { 'data-units': units == null ? null : String(units), 'data-asset': sym,
    title: units == null ? null : `${units} base units`, ...props }, text);
}

/** "1 address", "3 addresses" (n grouped). */
export const plural = (n, one, many = `${one}s`) => `${Number(n).toLocaleString('en')} ${Number(n) === 1 ? one : many}`;

/** A list of chain names, the first five and "+N" beyond (all of them in the title). */
export function chainList(chains) {
  const c = chains || [];
  return c.length > 6 ? h('span', { title: c.join(', ') }, `${c.slice(0, 5).join(', ')} +${c.length - 5}`) : c.join(', ');
}

/** Incidents newest first (by their date, as the library writes it: YYYY-MM-DD). */
export const byDateDesc = (list) => list.slice().sort((a, b) => String(b.date || '').localeCompare(String(a.date || '')));

/** A link whose text is the value shortened (full value in its title). */
export function hashLink(href, value, n = 10) {
  return h('a.mono', { href, title: value }, short(value, n));
}
export const addrLink = (chain, a, n) => (a ? hashLink(link.address(chain, a), a, n) : h('span.muted', '—'));
export const txLink = (chain, t, n) => (t ? hashLink(link.tx(chain, t), t, n) : h('span.muted', '—'));

/** Tag chips: "label [category]", coloured by category, the source and confidence in the title. */
export function tagChips(tags, max = 3) {
  if (!tags || !tags.length) return null;
  const chips = tags.slice(0, max).map((t) => h('span.tag', {
    title: `${t.label} — ${t.category || 'no category'}; source ${t.source || '?'}; confidence ${t.confidence ?? '?'} (${t.confidence_level ?? '?'})${t.file ? `; ${t.file}` : ''}`,
    style: { borderLeftColor: categoryColor(t.category) },
  }, t.label, t.category ? h('span.muted', ` [${t.category}]`) : null));
  if (tags.length > max) chips.push(h('span.muted', ` +${tags.length - max}`));
  return h('span.tags', chips);
}

/** A card with a heading. */
export function section(title, props, ...kids) {
  if (props == null || props instanceof Node || typeof props !== 'object' || Array.isArray(props)) {
    if (props != null) kids.unshift(props);
    props = {};
  }
  return h('section.card', props, title ? h('h2', title) : null, ...kids);
}

/** A table: cols are strings or {label, num: true}; rows are <tr> elements. `empty` is shown
 *  (as one row) when there are none. */
export function table(cols, rows, props = {}, empty = 'Nothing to show.') {
  const head = h('thead', h('tr', cols.map((c) => (typeof c === 'string'
    ? h('th', { scope: 'col' }, c) : h(c.num ? 'th.num' : 'th', { scope: 'col', title: c.title }, c.label)))));
  const body = h('tbody', rows.length ? rows : h('tr.empty', h('td', { colspan: cols.length }, empty)));
  return h('div.tablewrap', h('table', props, head, body));
}
export const td = (...kids) => h('td', ...kids);
export const tdn = (...kids) => h('td.num', ...kids);

/** The first `n` of `rows` in `make(rows)`, with a button that shows them all. */
export function clipped(rows, n, make) {
  const box = h('div');
  const show = (k) => mount(box, make(rows.slice(0, k)),
    rows.length > k ? h('button.secondary', { type: 'button', on: { click: () => show(rows.length) } }, `Show all ${rows.length}`) : null);
  show(n);
  return box;
}

/** Key/value pairs as a definition list; pairs whose value is null are left out. */
export function kv(pairs) {
  return h('dl.kv', pairs.filter(([, v]) => v != null && v !== '').flatMap(([k, v]) => [h('dt', k), h('dd', v)]));
}

/** The words for an API error (status, code, message). */
export function errText(e, what) {
  const m = e?.message || String(e);
  const s = e?.status ? ` (${e.status}${e.code ? ` ${e.code}` : ''})` : '';
  return `${what ? `${what}: ` : ''}${m}${s}`;
}

/** Fills `el` with a loading line, then with what `fill` returns (an element or an array),
 *  or with the error in words. Returns fill's result, or undefined after an error. */
export async function load(el, fill, what) {
  mount(el, h('p.loading', { role: 'status' }, `Loading${what ? ` ${what}` : ''}…`));
  try {
    const out = await fill();
    if (out !== undefined) mount(el, out);
    return out;
  } catch (e) {
    mount(el, notice('error', errText(e, what ? `Cannot load ${what}` : '')));
    return undefined;
  }
}

/** Previous / next buttons for offset paging. `onPage(offset)` is called with the new offset. */
export function pager({ offset, limit, total, hasMore, count, onPage, testids = {} }) {
  const more = total != null ? offset + limit < total : hasMore;
  const last = total != null ? Math.min(total, offset + limit) : offset + (count ?? limit);
  return h('div.pager.row',
    h('button.secondary', { type: 'button', disabled: offset <= 0, 'data-testid': testids.prev,
      on: { click: () => onPage(Math.max(0, offset - limit)) } }, '← Previous'),
    h('span.muted', total != null ? `${total ? offset + 1 : 0}–${last} of ${total.toLocaleString('en')}`
      : `${last > offset ? offset + 1 : 0}–${last}`),
    h('button.secondary', { type: 'button', disabled: !more, 'data-testid': testids.next,
      on: { click: () => onPage(offset + limit) } }, 'Next →'));
}

/** Unix seconds -> time text with the exact value in a title. */
export function time(t) { return h('span.time', { title: t == null ? null : `unix ${t}` }, fmtTime(t)); }

/** A status line that a write control fills: ok or error, in words. */
export function status() { return h('p.status', { role: 'status', 'aria-live': 'polite' }); }
export function say(el, kind, ...kids) { el.className = `status notice ${kind}`; mount(el, ...kids); }

/** Fetches `path` with the token and saves it as `filename` (a blob and a download link). */
export async function download(path, filename) {
  const res = await api(path, { raw: true });
  const url = URL.createObjectURL(await res.blob());
  const a = h('a', { href: url, download: filename, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60000);
}

/** For analysts and above (else null): a button that adds `entry` to the watchlists (POST
 *  /v1/watchlists) once, saying in `st` what was added. */
export function watchButton(text, entry, st, props = {}) {
  if (!can('analyst')) return null;
  return h('button.secondary', { type: 'button', ...props, on: { click: async (ev) => {
    ev.target.disabled = true;
    try {
      const w = await api('/v1/watchlists', { method: 'POST', body: entry });
      say(st, 'ok', `Watched: watchlist entry ${w.id}${w.kind === 'incident' ? `, ${plural(w.items, 'item')} in its taint set` : ''} (`,
        h('a', { href: '#/watch' }, 'watchlists'), ').');
    } catch (e) { say(st, 'error', errText(e, 'Not added to the watchlist')); ev.target.disabled = false; }
  } } }, text);
}

/** A labelled form field. */
export function field(label, input, hint) {
  return h('label.field', h('span', label), input, hint ? h('small.muted', hint) : null);
}
