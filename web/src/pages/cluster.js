// pages/cluster.js — #/cluster/{chain}/{id}: GET /v1/cluster/{chain}/{id} (an id or a member
// address). Shows the size (`cluster-size`), the best tag, the members paged (`cluster-members`
// rows with data-address; `cluster-next`), and for any member the "why": GET .../why?address=
// rendered as the chain of merges from the cluster's id address to it (heuristic, transaction,
// confidence) in `why`. Also the cluster's exposure and, for analysts, a watch button.
import { h, mount, notice, link } from '../util.js';
import { get, enc } from '../api.js';
import { section, table, td, tdn, time, addrLink, txLink, pager, errText, status, watchButton } from './ui.js';
import { exposure } from './exposure.js';

const LIMIT = 50;

async function page(chain, id, offset) {
  return get(`/v1/cluster/${enc(chain)}/${enc(id)}?limit=${LIMIT}&offset=${offset}`);
}

async function why(whyBox, chain, doc, address) {
  mount(whyBox, h('h2', 'Why is ', h('span.mono', address), ' in this cluster?'), h('p.loading', { role: 'status' }, 'Reading the merge log…'));
  try {
    const w = await get(`/v1/cluster/${enc(chain)}/${enc(String(doc.id))}/why?address=${enc(address)}`);
    const path = w.path || [];
    mount(whyBox, h('h2', 'Why is ', h('span.mono', address), ' in this cluster?'),
      h('p', path.length ? `${w.hops} merge${w.hops === 1 ? '' : 's'} from the cluster's id address ` : 'It is the cluster\u2019s id address ',
        addrLink(chain, doc.id_address, 10), path.length ? ':' : '.'),
      path.length ? table(['#', 'from', 'to', 'heuristic', 'transaction', 'time', { label: 'confidence', num: true }],
        path.map((s, k) => h('tr', td(String(k + 1)), td(addrLink(chain, s.from, 8)), td(addrLink(chain, s.to, 8)),
          td(h('strong', s.heuristic)), td(txLink(chain, s.tx, 8)), td(time(s.time)), tdn(String(s.confidence ?? '—'))))) : null,
      h('p.hint', 'multi-input: the addresses were spent together in one transaction (one owner signed every input); ',
        'change: the output taken as the sender\u2019s change; the confidence is the heuristic\u2019s.'));
  } catch (e) {
    mount(whyBox, h('h2', 'Why is ', h('span.mono', address), ' in this cluster?'), notice('error', errText(e, 'Cannot read the merge path')));
  }
  whyBox.scrollIntoView({ block: 'nearest' });
}

export async function render(main, { chain, id }) {
  let doc;
  try { doc = await page(chain, id, 0); } catch (e) {
    return mount(main, h('h1', `Cluster ${id} (${chain})`), notice('error', errText(e, 'Cannot read the cluster')));
  }
  const whyBox = h('section.card.why', { 'data-testid': 'why', 'aria-live': 'polite' }, h('h2', 'Why is it in this cluster?'),
    h('p.hint', 'Choose “why?” on a member to see the merges that put it in this cluster: each with its heuristic, transaction and confidence.'));
  const members = h('div');
  const show = (d) => {
    mount(members,
      table(['member id', 'address', ''], (d.members || []).map((m) => h('tr', { 'data-address': m.address },
        td(String(m.id)), td(addrLink(chain, m.address, 40)),
        td(h('button.link', { type: 'button', 'data-testid': 'why-button', on: { click: () => why(whyBox, chain, d, m.address) } }, 'why?')))),
      { 'data-testid': 'cluster-members' }, 'No member on this page.'),
      pager({ offset: d.offset ?? 0, limit: LIMIT, total: d.size, hasMore: !!d.next,
        onPage: async (o) => { try { show(await page(chain, String(d.id), o)); } catch (e) { mount(members, notice('error', errText(e))); } },
        testids: { next: 'cluster-next', prev: 'cluster-prev' } }));
  };
  show(doc);
  const st = status();
  mount(main, h('div', { 'data-testid': 'cluster-page', 'data-chain': chain, 'data-cluster-id': doc.id },
    h('h1', h('span.muted', `${chain} cluster `), String(doc.id)),
    h('p', h('strong', { 'data-testid': 'cluster-size', 'data-size': doc.size }, `${Number(doc.size).toLocaleString('en')} address${doc.size === 1 ? '' : 'es'}`),
      ', id address ', addrLink(chain, doc.id_address, 12)),
    section('Tag', doc.tag ? h('p', h('strong', doc.tag.label), ` [${doc.tag.category}] `,
      h('span.muted', `${doc.tag.source}; confidence ${doc.tag.confidence_level ?? doc.tag.confidence}${doc.tag.is_cluster_definer ? '; a cluster-defining tag' : ''}`))
      : notice('info', 'No member carries a tag (GraphSense\u2019s rule: a cluster-defining tag first, then the highest confidence).'),
    h('p.row', watchButton('Watch this cluster', { kind: 'cluster', target: `${chain}:${doc.id}`, chain }, st), st)),
    h('div.grid2.members-why', section('Members', members), whyBox),
    exposure(`cluster:${chain}:${doc.id}`, chain)));
  document.title = `cluster ${doc.id} — sleuth`;
  return undefined;
}
