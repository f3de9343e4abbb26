// Vite build of sleuth's UI: web/ -> build/web/ (served by `sleuth serve` at /). No CDN, no
// remote fonts: everything the page loads comes from the server that served it.
import { defineConfig } from 'vite';

export default defineConfig({
  base: '/',
  build: {
    outDir: process.env.SLEUTH_WEB_OUT || '../build/web',
    emptyOutDir: true,
    target: 'es2020',
    sourcemap: false,
    chunkSizeWarningLimit: 800,
  },
  worker: { format: 'es' },
  // `vite` (dev) only: the API of a running `sleuth serve` (SLEUTH_API, default :8080) is
  // proxied so the page and /v1 share one origin, as when sleuth serves the built files.
  server: { proxy: { '/v1': process.env.SLEUTH_API || 'http://127.0.0.1:8080' } },
});
