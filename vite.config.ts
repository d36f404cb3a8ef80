import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig } from 'vite';

// The renderer: src-renderer → dist/renderer, with relative asset URLs (base './') so the same
// build works from the head node's HTTP server and from Electron's loadFile.
export default defineConfig({
  root: 'src-renderer',
  base: './',
  plugins: [svelte()],
  build: {
    outDir: '../dist/renderer',
    emptyOutDir: true,
    // Chromium (Electron and Debian's) and current browsers: no legacy transforms.
    target: 'es2022',
  },
  logLevel: 'warn',
});
