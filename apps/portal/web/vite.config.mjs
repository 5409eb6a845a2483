// The portal's web app. Built into dist/portal-web, which the portal app serves at / (apps/portal/src/web-app.ts).
// Everything is bundled: no CDN, no web fonts, since hospital networks are closed.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root,
  base: '/',
  build: {
    outDir: fileURLToPath(new URL('../../../dist/portal-web', import.meta.url)),
    emptyOutDir: true,
    // Inlined assets would become data: URLs; keep them files so the CSP stays simple.
    assetsInlineLimit: 0,
    sourcemap: false,
    // Above the default 500 kB: React, the component kit, router, query and table in one chunk on purpose.
    chunkSizeWarningLimit: 700,
    rolldownOptions: {
      onwarn(warning, warn) {
        // The component kit marks its modules "use client" for React Server Components; meaningless in a SPA.
        if (warning.code !== 'MODULE_LEVEL_DIRECTIVE') {
          warn(warning);
        }
      },
    },
  },
  // Cornerstone's image loader decodes in module workers, each codec a bundled WebAssembly file.
  worker: { format: 'es' },
  optimizeDeps: { exclude: ['@cornerstonejs/dicom-image-loader'] },
  server: { proxy: { '/api': 'http://127.0.0.1:8080', '/dicomweb': 'http://127.0.0.1:8080' } },
});
