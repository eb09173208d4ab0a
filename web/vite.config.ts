/**
 * Builds the Backups page into dist/web, which the service serves at `/`. `npm run dev:web`
 * serves it with hot reload and passes /api to a service on HOSTVAULT_URL (default :8420).
 */
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';
import { precompress } from './precompress.js';
import { signInHtml } from './sign-in-html.js';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  root: here('.'),
  base: '/',
  plugins: [react(), signInHtml(), precompress()],
  build: {
    outDir: here('../dist/web'),
    emptyOutDir: true,
    // Source maps stay out of the served bundle; the size we report is what a browser loads.
    sourcemap: false,
    target: 'es2022',
    chunkSizeWarningLimit: 600,
  },
  server: {
    proxy: { '/api': process.env.HOSTVAULT_URL ?? 'http://127.0.0.1:8420' },
  },
});
