// util.js — small DOM and formatting helpers shared by every page: element building without
// innerHTML (nothing from the chain or a tag is ever parsed as HTML), exact amounts from base
// units (integers or decimal strings, as the API sends them above 2^53), times, and links.

/** h('div.cls#id', {attrs, on: {click}}, ...children) -> Element. Strings become text nodes. */
export function h(spec, props, ...kids) {
  if (props == null || typeof props !== 'object' || props instanceof Node || Array.isArray(props)) {
    if (props != null) kids.unshift(props);
    props = {};
  }
  const m = /^([a-z0-9]+)?((?:[.#][\w-]+)*)$/i.exec(spec) || [null, 'div', ''];
  const el = document.createElement(m[1] || 'div');
  for (const part of (m[2] || '').match(/[.#][\w-]+/g) || []) {
    if (part[0] === '.') el.classList.add(part.slice(1)); else el.id = part.slice(1);
  }
  for (const [k, v] of Object.entries(props)) {
    if (v == null || v === false) continue;
    if (k === 'on') for (const [ev, fn] of Object.entries(v)) el.addEventListener(ev, fn);
    else if (k === 'style' && typeof v === 'object') Object.assign(el.style, v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k in el && typeof v !== 'string') el[k] = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, kids);
  return el;
}

function append(el, kids) {
  for (const k of kids.flat(Infinity)) {
    if (k == null || k === false) continue;
    el.append(k instanceof Node ? k : document.createTextNode(String(k)));
  }
}

/** Replaces el's children. */
export function mount(el, ...kids) { el.replaceChildren(); append(el, kids); return el; }

/** Base units (number, bigint or decimal string) -> exact decimal string with `decimals`. */
export function fmtAmount(units, decimals = 8, { group = true, maxFrac } = {}) {
  if (units == null) return '—';
  let v;
  try { v = BigInt(typeof units === 'number' ? Math.round(units) : units); } catch { return String(units); }
  const neg = v < 0n; if (neg) v = -v;
  const d = BigInt(decimals);
  const base = 10n ** d;
  let int = (v / base).toString();
  let frac = decimals > 0 ? (v % base).toString().padStart(decimals, '0').replace(/0+$/, '') : '';
  if (maxFrac != null && frac.length > maxFrac) frac = frac.slice(0, maxFrac);
  if (group) int = int.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return (neg ? '-' : '') + int + (frac ? '.' + frac : '');
}

/** Base units -> a float in the asset's unit (for sizes and charts only, never for display of exact values). */
export function toFloat(units, decimals = 8) {
  if (units == null) return 0;
  return Number(units) / 10 ** decimals;
}

/** Decimals of a chain's coin or a known token symbol (the API gives them on traces). */
export function decimalsOf(asset, chain) {
  const a = (asset || '').toUpperCase();
  if (a === 'BTC' || a === 'LTC' || chain === 'bitcoin' || chain === 'litecoin') return 8;
  if (a === 'USDT' || a === 'USDC') return 6;
  if (a === 'TRX' || chain === 'tron') return 6;
  return 18;
}

export function coinOf(chain) {
  return { bitcoin: 'BTC', litecoin: 'LTC', ethereum: 'ETH', tron: 'TRX', bsc: 'BNB', polygon: 'POL', avalanche: 'AVAX' }[chain] || '';
}

/** Unix seconds -> "2024-05-30 23:10 UTC". */
export function fmtTime(t) {
  if (t == null) return '—';
  return new Date(t * 1000).toISOString().slice(0, 16).replace('T', ' ') + ' UTC';
}

/** A shortened hash or address for labels (the full value stays in title and links). */
export function short(s, n = 10) {
  if (!s) return '';
  s = String(s);
  return s.length > 2 * n + 1 ? `${s.slice(0, n)}…${s.slice(-6)}` : s;
}

/** Hash-route links. */
export const link = {
  address: (chain, a) => `#/address/${encodeURIComponent(chain || '')}/${encodeURIComponent(a)}`,
  tx: (chain, t) => `#/tx/${encodeURIComponent(chain || '')}/${encodeURIComponent(t)}`,
  block: (chain, b) => `#/block/${encodeURIComponent(chain || '')}/${encodeURIComponent(b)}`,
  cluster: (chain, id) => `#/cluster/${encodeURIComponent(chain)}/${encodeURIComponent(id)}`,
  incident: (name) => `#/incident/${encodeURIComponent(name)}`,
  trace: (params) => `#/trace?${new URLSearchParams(params)}`,
  traceId: (id) => `#/trace/${encodeURIComponent(id)}`,
  case: (id) => `#/case/${encodeURIComponent(id)}`,
};

/** An API URL (/v1/address/X?chain=btc) -> the UI route that shows it. */
export function routeOfApiUrl(url, kind, chain, id) {
  switch (kind) {
    case 'address': return link.address(chain, id);
    case 'tx': return link.tx(chain, id);
    case 'block': return link.block(chain, id);
    case 'cluster': return link.cluster(chain, id);
    case 'incident': return link.incident(id);
    default: return '#/';
  }
}

/** A message box for errors and empty states. */
export function notice(kind, text) { return h(`p.notice.${kind}`, { role: kind === 'error' ? 'alert' : 'status' }, text); }

/** Tag-category colours (shared by graph, Sankey, legend). */
export const CATEGORY_COLORS = {
  theft: '#d62728', stolen: '#d62728', incident: '#d62728', perpetrator: '#d62728', hacker: '#d62728',
  sanction: '#8b0000', sanctioned: '#8b0000', dprk: '#8b0000',
  mixer: '#9467bd', mixing_service: '#9467bd', coinjoin: '#9467bd',
  exchange: '#1f77b4', market: '#17becf', otc: '#17becf',
  defi: '#2ca02c', dex: '#2ca02c', bridge: '#bcbd22', thorchain: '#bcbd22',
  scam: '#e377c2', ransomware: '#e377c2', darknet: '#7f7f7f', gambling: '#ff7f0e',
  held: '#ff9896', source: '#000000', other: '#aec7e8',
};
export function categoryColor(cat) { return CATEGORY_COLORS[(cat || '').toLowerCase()] || CATEGORY_COLORS.other; }
