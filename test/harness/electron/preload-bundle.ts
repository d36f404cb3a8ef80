// The real preload (src-main/app/preload.mts) as one script for a Chromium page: bundled by Vite
// with `electron` resolved to page-electron.ts, its contextBridge and ipcRenderer. Once per
// test process.
import { build, type Rolldown } from 'vite';

const PAGE_ELECTRON = new URL('./page-electron.ts', import.meta.url).pathname;
const built = new Map<string, Promise<string>>();

async function bundle(entry: string): Promise<string> {
  const result = await build({
    configFile: false,
    logLevel: 'silent',
    resolve: { alias: { electron: PAGE_ELECTRON } },
    build: {
      write: false,
      minify: false,
      lib: { entry, formats: ['iife'], name: 'kestrelPreload', fileName: 'preload' },
    },
  });
  const outputs = (Array.isArray(result) ? result : [result]) as Rolldown.RolldownOutput[];
  const chunk = outputs.flatMap((o) => o.output).find((o) => o.type === 'chunk');
  if (chunk === undefined || chunk.type !== 'chunk') throw new Error(`no bundle of ${entry}`);
  return chunk.code;
}

export function bundlePreload(entry: string): Promise<string> {
  const known = built.get(entry) ?? bundle(entry);
  built.set(entry, known);
  return known;
}
