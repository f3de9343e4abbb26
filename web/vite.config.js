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
  // `vite` (the dev server) only: the UI on its own port, /v1 passed to a running
  // `sleuth serve` (SLEUTH_API, default http://127.0.0.1:18080). Not used by `vite build`.
  server: {
    host: '127.0.0.1',
    proxy: { '/v1': { target: process.env.SLEUTH_API || 'http://127.0.0.1:18080', changeOrigin: false } },
  },
});
