// trace/layout.worker.js — runs the hop-layered layout (layout.js) off the main thread, so
// laying out 50,000 nodes never freezes the page. Message in: {id, n, hops, edges} (typed
// arrays, transferred); out: {id, pos, ms} with pos transferred back.
import { hopLayout } from './layout.js';

self.onmessage = (ev) => {
  const t0 = performance.now();
  const pos = hopLayout(ev.data);
  self.postMessage({ id: ev.data.id, pos, ms: performance.now() - t0 }, [pos.buffer]);
};
