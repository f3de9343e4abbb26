// api.js — the UI's only way to the server: the documented /v1 API (docs/API.md) on the
// origin that served the page. The token the user typed at the login screen is kept in
// sessionStorage (gone when the tab closes) and sent as `Authorization: Bearer`; a 401 sends
// the user back to the login screen. Every call resolves to the parsed JSON document or
// rejects with an ApiError carrying the server's {"error":{"code","message"}}.

const KEY = 'sleuth.token';

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export function token() { return sessionStorage.getItem(KEY); }
export function setToken(t) { if (t) sessionStorage.setItem(KEY, t); else sessionStorage.removeItem(KEY); }

let onUnauthorized = () => {};
/** Called (once per 401) so the shell can show the login screen. */
export function setUnauthorizedHandler(fn) { onUnauthorized = fn; }

/** One request. `path` starts with /v1/; `body` (an object) is sent as JSON. */
export async function api(path, { method = 'GET', body, raw = false, tok } = {}) {
  const headers = { Accept: 'application/json' };
  const t = tok ?? token();
  if (t) headers.Authorization = `Bearer ${t}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  if (raw && res.ok) return res;
  const text = await res.text();
  let doc = null;
  try { doc = text ? JSON.parse(text) : null; } catch { doc = null; }
  if (!res.ok) {
    const err = doc && doc.error ? doc.error : { code: `HTTP${res.status}`, message: text.slice(0, 200) || res.statusText };
    if (res.status === 401 && !tok) onUnauthorized();
    throw new ApiError(res.status, err.code, err.message);
  }
  return doc;
}

export const get = (p) => api(p);
export const post = (p, body) => api(p, { method: 'POST', body: body ?? {} });
export const put = (p, body) => api(p, { method: 'PUT', body });
export const del = (p) => api(p, { method: 'DELETE' });
/** Path segment / query value encoding. */
export const enc = encodeURIComponent;
