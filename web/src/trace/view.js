// trace/view.js — placeholder until the trace view lands.
import { h, mount } from '../util.js';
export async function render(main) { mount(main, h('p', 'trace')); }
