// trace/nodelist.js — the side list of the shown nodes (`node-list`), virtualised: only the
// rows in view (plus a few) exist in the DOM, so 50,000 nodes cost what 40 do. A find box
// narrows it (address, transaction, label, tag, cluster). Keyboard: the list is one tab stop;
// Up/Down/PageUp/PageDown/Home/End move the active row, Enter selects it (the graph centres on
// it and the node panel opens). Rows carry `data-node-id` and are focusable.
import { h, mount } from '../util.js';

const ROW = 26;

/**
 * createNodeList({onSelect(id)}) -> {el, setItems(items), setSelected(id), focusFind()}.
 * items: [{id, label, sub (second column text), color, search (lower-case text to match)}].
 */
export function createNodeList({ onSelect }) {
  let items = [], shown = [], active = -1, selected = null, query = '';
  const find = h('input', { type: 'search', placeholder: 'Find a node…', 'aria-label': 'Find a node in the graph', 'data-testid': 'node-find',
    on: { input: () => { query = find.value.trim().toLowerCase(); filter(); } ,
          keydown: (ev) => { if (ev.key === 'ArrowDown' || ev.key === 'Enter') { ev.preventDefault(); if (shown.length) { setActive(Math.max(0, active), true); if (ev.key === 'Enter') choose(); } } } } });
  const count = h('span.hint', { role: 'status' });
  const spacer = h('div.nl-spacer');
  const rows = h('div.nl-rows');
  const scroller = h('div.nl-scroll', { tabindex: '-1' }, spacer, rows);
  const el = h('div.node-list', { 'data-testid': 'node-list', role: 'listbox', 'aria-label': 'Nodes shown in the graph' },
    h('div.nl-head', find, count), scroller);

  function filter() {
    shown = query ? items.filter((it) => it.search.includes(query)) : items;
    count.textContent = `${shown.length.toLocaleString('en')} of ${items.length.toLocaleString('en')}`;
    active = shown.length ? Math.min(Math.max(active, 0), shown.length - 1) : -1;
    spacer.style.height = `${shown.length * ROW}px`;
    render();
  }

  function render() {
    const top = scroller.scrollTop, hgt = scroller.clientHeight || 400;
    const first = Math.max(0, Math.floor(top / ROW) - 5), last = Math.min(shown.length, Math.ceil((top + hgt) / ROW) + 5);
    const kids = [];
    for (let i = first; i < last; i++) {
      const it = shown[i];
      kids.push(h('div.nl-row', {
        role: 'option', tabindex: i === active ? '0' : '-1', 'data-node-id': it.id, 'data-index': String(i),
        'aria-selected': it.id === selected ? 'true' : 'false', title: it.title || it.label,
        style: { top: `${i * ROW}px` },
        on: { click: () => { setActive(i, true); choose(); }, keydown: onKey },
      }, h('span.nl-dot', { style: { background: it.color } }), h('span.nl-label', it.label), h('span.nl-sub', it.sub)));
    }
    mount(rows, kids);
  }

  function setActive(i, focus) {
    if (!shown.length) return;
    active = Math.max(0, Math.min(shown.length - 1, i));
    const y = active * ROW;
    if (y < scroller.scrollTop) scroller.scrollTop = y;
    else if (y + ROW > scroller.scrollTop + scroller.clientHeight) scroller.scrollTop = y + ROW - scroller.clientHeight;
    render();
    if (focus) rows.querySelector(`[data-index="${active}"]`)?.focus({ preventScroll: true });
  }

  function choose() { if (shown[active]) onSelect(shown[active].id); }

  function onKey(ev) {
    const page = Math.max(1, Math.floor(scroller.clientHeight / ROW) - 1);
    const moves = { ArrowDown: 1, ArrowUp: -1, PageDown: page, PageUp: -page };
    if (ev.key in moves) { ev.preventDefault(); setActive(active + moves[ev.key], true); }
    else if (ev.key === 'Home') { ev.preventDefault(); setActive(0, true); }
    else if (ev.key === 'End') { ev.preventDefault(); setActive(shown.length - 1, true); }
    else if (ev.key === 'Enter' || ev.key === ' ') { ev.preventDefault(); choose(); }
    else if (ev.key === 'ArrowUp' && active === 0) find.focus();
  }

  let raf = 0;
  scroller.addEventListener('scroll', () => { if (!raf) raf = requestAnimationFrame(() => { raf = 0; render(); }); });

  return {
    el,
    setItems(list) { items = list; filter(); },
    setSelected(id) {
      selected = id;
      const i = shown.findIndex((it) => it.id === id);
      if (i >= 0) setActive(i, false); else render();
    },
    focusFind() { find.focus(); },
    refresh: render,
  };
}
