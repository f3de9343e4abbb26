// main.js — the shell of sleuth's UI: the header (one search box, the navigation, log out),
// the login screen, and a hash router that hands each route to its page module. Pages are
// loaded on demand (the graph renderer only when a trace is opened), so the first page is
// small. A page module exports `render(main, params, query)`; it may return a function
// that the router calls before the next page replaces it (to stop timers, free WebGL), and
// `keepFocus = true` when it puts the focus somewhere itself (else the router focuses main;
// after a search from the header's box, the box keeps the focus for the next search).
import './style.css';
import { api, token, setToken, setUnauthorizedHandler } from './api.js';
import { h, mount, notice } from './util.js';

const ROUTES = [
  [/^\/?$/, () => import('./pages/home.js')],
  [/^\/search$/, () => import('./pages/search.js')],
  [/^\/address\/([^/]*)\/([^/]+)$/, () => import('./pages/address.js'), ['chain', 'address']],
  [/^\/tx\/([^/]*)\/([^/]+)$/, () => import('./pages/tx.js'), ['chain', 'id']],
  [/^\/block\/([^/]*)\/([^/]+)$/, () => import('./pages/block.js'), ['chain', 'id']],
  [/^\/cluster\/([^/]+)\/([^/]+)$/, () => import('./pages/cluster.js'), ['chain', 'id']],
  [/^\/trace$/, () => import('./trace/view.js')],
  [/^\/trace\/([^/]+)$/, () => import('./trace/view.js'), ['traceId']],
  [/^\/cases$/, () => import('./pages/cases.js')],
  [/^\/case\/([^/]+)$/, () => import('./trace/view.js'), ['caseId']],
  [/^\/incidents$/, () => import('./pages/incidents.js')],
  [/^\/incident\/([^/]+)$/, () => import('./pages/incident.js'), ['name']],
  [/^\/watch$/, () => import('./pages/watch.js')],
];

const main = document.getElementById('main');
const top = document.getElementById('top');
let cleanup = null;
let info = null;          // GET /v1/info of the current token (role, chains)

export function serverInfo() { return info; }

function header() {
  const box = h('input#search-box', {
    type: 'search', name: 'q', placeholder: 'Address, tx hash, block, cluster or incident', 'aria-label': 'Search',
    autocomplete: 'off', spellcheck: false,
  });
  const form = h('form.search', { role: 'search', on: { submit: (ev) => {
    ev.preventDefault();
    const q = box.value.trim();
    if (q) location.hash = `#/search?q=${encodeURIComponent(q)}`;
  } } }, box, h('button', { type: 'submit' }, 'Search'));
  const nav = h('nav', { 'aria-label': 'Main' },
    h('a', { href: '#/' }, 'Home'), h('a', { href: '#/incidents' }, 'Incidents'),
    h('a', { href: '#/cases' }, 'Cases'), h('a', { href: '#/watch' }, 'Watchlists'),
    h('span.role', { 'data-testid': 'role' }, info ? `${info.server?.role ?? ''}` : ''),
    h('button.link', { type: 'button', 'data-testid': 'logout', on: { click: () => { setToken(null); info = null; route(); } } }, 'Log out'));
  mount(top, h('a.brand', { href: '#/' }, 'sleuth'), form, nav);
}

function loginScreen(message) {
  mount(top);
  const input = h('input', { type: 'password', name: 'token', id: 'token', autocomplete: 'current-password',
    placeholder: 'slt_…', required: true, 'aria-describedby': 'login-help' });
  const err = h('p.notice.error', { 'data-testid': 'login-error', role: 'alert', hidden: !message }, message || '');
  const form = h('form#login.card', { on: { submit: async (ev) => {
    ev.preventDefault();
    const t = input.value.trim();
    try {
      info = await api('/v1/info', { tok: t });
      setToken(t);
      route();
    } catch (e) {
      err.hidden = false;
      err.textContent = e.status === 401 ? 'That token is unknown or revoked.' : `Cannot log in: ${e.message}`;
      input.select();
    }
  } } },
    h('h1', 'sleuth'),
    h('label', { for: 'token' }, 'API token'),
    input,
    h('p#login-help.hint', 'A token made with ', h('code', 'sleuth token create --store DIR --role analyst'),
      '. It is kept for this tab only.'),
    err,
    h('button', { type: 'submit' }, 'Log in'));
  mount(main, form);
  input.focus();
}

function parseHash() {
  const raw = location.hash.replace(/^#/, '') || '/';
  const [path, qs] = raw.split('?');
  return { path, query: new URLSearchParams(qs || '') };
}

async function route() {
  if (cleanup) { try { cleanup(); } catch { /* a page's cleanup must not stop navigation */ } cleanup = null; }
  if (!token()) return loginScreen();
  if (!info) {
    try { info = await api('/v1/info'); } catch (e) { if (e.status === 401) return; return loginScreen(e.message); }
  }
  const fromSearch = document.activeElement?.id === 'search-box';  // a search keeps the box focused
  header();
  const { path, query } = parseHash();
  for (const [re, load, names = []] of ROUTES) {
    const m = re.exec(path);
    if (!m) continue;
    const params = {};
    names.forEach((n, i) => { params[n] = decodeURIComponent(m[i + 1]); });
    mount(main, h('p.loading', { role: 'status' }, 'Loading…'));
    document.title = 'sleuth';  // a page may name itself
    let keepFocus = false;  // a page exporting keepFocus = true placed the focus itself
    try {
      const mod = await load();
      keepFocus = mod.keepFocus === true;
      const c = await mod.render(main, params, query);
      if (typeof c === 'function') cleanup = c;
    } catch (e) {
      mount(main, notice('error', e.message || String(e)));
    }
    if (fromSearch) document.getElementById('search-box')?.focus();
    else if (!keepFocus) main.focus({ preventScroll: true });
    return;
  }
  mount(main, notice('error', `No page at ${path}`));
}

setUnauthorizedHandler(() => { setToken(null); info = null; loginScreen('Your token was refused (unknown or revoked): log in again.'); });
window.addEventListener('hashchange', route);
route();
