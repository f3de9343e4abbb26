// pages/address.js — placeholder until the page lands (the helper building it replaces this file).
import { h, mount } from '../util.js';
export async function render(main) { mount(main, h('p', 'address')); }
