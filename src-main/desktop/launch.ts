// What the desktop app was started with: its mode, whether to start in the tray, and a
// kestrel:// link to open. The command line is Electron's: the executable (and `.` in
// development), Chromium's own switches, and, when the system opens a link with the app
// (Windows, Linux: the protocol handler's `%u`), the link itself. A second launch's line reaches
// the first instance the same way (app 'second-instance'), so both are read by this one function.
// Anything else is Chromium's or the system's, and left alone.

/** The URL scheme the app registers: `kestrel://join?…` links from `kestrel invite`. */
export const PROTOCOL = 'kestrel';

export interface Launch {
  /** `--head`: a head node in the app (server, manager, submit pane and ops view). */
  mode: 'volunteer' | 'head';
  /** `--minimized`: only the tray icon at start (the login item starts the app so). */
  minimized: boolean;
  /** A `kestrel://` link on the command line, if any. */
  link: string | undefined;
}

export function parseLaunch(argv: readonly string[]): Launch {
  return {
    mode: argv.includes('--head') ? 'head' : 'volunteer',
    minimized: argv.includes('--minimized'),
    link: argv.find((arg) => arg.toLowerCase().startsWith(`${PROTOCOL}://`)),
  };
}
