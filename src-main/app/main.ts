// The Electron shell's entry: one instance per user, the kestrel:// protocol, the app's own
// scheme for its pages, hardened web contents, then the mode: a volunteer (default) or a head
// node (--head). Wiring only; what the app does lives in plain-Node modules (src-main/desktop,
// src-main/volunteer, src-main/head, src-main/tray).
import { join, resolve } from 'node:path';
import { app, protocol } from 'electron';
import { packageRoot } from '../common/package-root.ts';
import { parseLaunch, PROTOCOL } from '../desktop/launch.ts';
import { APP_SCHEME, createRendererResponder } from '../desktop/renderer-protocol.ts';
import { runHead } from './head-mode.ts';
import type { Shell } from './shell.ts';
import { runVolunteer } from './volunteer-mode.ts';
import { hardenContents } from './window.ts';

const launch = parseLaunch(process.argv);

// Before the app is ready: the pages' scheme is a standard, secure origin of its own.
protocol.registerSchemesAsPrivileged([
  { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } },
]);

/** Links and launches that come before the mode is up wait here. */
let shell: Shell | undefined;
const early: string[] = [];
const openLink = (link: string) => (shell ? shell.open({ link }) : early.push(link));

function registerProtocolClient(): void {
  // Packaged, the installer registers it too (electron-builder.yml `protocols`); this keeps it
  // ours after another program took it, and makes `electron .` a handler while developing.
  const registered = app.isPackaged
    ? app.setAsDefaultProtocolClient(PROTOCOL)
    : app.setAsDefaultProtocolClient(PROTOCOL, process.execPath, [resolve(app.getAppPath())]);
  if (!registered) process.stderr.write(`kestrel: could not register ${PROTOCOL}:// links\n`);
}

async function start(): Promise<void> {
  await app.whenReady();
  const root = join(packageRoot(import.meta.dirname), 'dist', 'renderer');
  protocol.handle(APP_SCHEME, createRendererResponder(root));
  registerProtocolClient();
  shell = launch.mode === 'head' ? runHead(launch) : runVolunteer(launch);
  for (const link of early.splice(0)) shell.open({ link });
}

if (!app.requestSingleInstanceLock()) {
  // The first instance gets 'second-instance' with this command line (and its link).
  app.quit();
} else {
  app.on('web-contents-created', (_event, contents) => hardenContents(contents));
  app.on('second-instance', (_event, argv) => {
    const { link } = parseLaunch(argv);
    if (link !== undefined) openLink(link);
    else shell?.open();
  });
  // macOS hands links to the running app this way, also the one it starts for the link.
  app.on('open-url', (event, url) => {
    event.preventDefault();
    openLink(url);
  });
  start().catch((error: unknown) => {
    process.stderr.write(`kestrel: ${error instanceof Error ? error.stack : String(error)}\n`);
    app.exit(1);
  });
}
