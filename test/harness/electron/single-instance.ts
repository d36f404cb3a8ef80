// Electron's single-instance lock for the fake, as Chromium's ProcessSingleton does it on Linux:
// a lock file holding the first instance's pid and a Unix socket in the user data directory;
// a second instance sends its command line over the socket and quits.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

export function acquireLock(
  userData: string,
  onSecond: (argv: string[], cwd: string) => void,
): boolean {
  mkdirSync(userData, { recursive: true });
  const lock = join(userData, 'SingletonLock');
  const socket = join(userData, 'SingletonSocket');
  try {
    writeFileSync(lock, String(process.pid), { flag: 'wx' });
  } catch {
    if (alive(Number(readFileSync(lock, 'utf8')))) return false;
    // A lock left by an instance that died: take it over.
    rmSync(lock, { force: true });
    rmSync(socket, { force: true });
    return acquireLock(userData, onSecond);
  }
  const server = createServer((connection) => {
    let text = '';
    connection.setEncoding('utf8');
    connection.on('data', (chunk) => (text += chunk));
    connection.on('end', () => {
      const { argv, cwd } = JSON.parse(text) as { argv: string[]; cwd: string };
      onSecond(argv, cwd);
    });
  });
  server.listen(socket);
  server.unref();
  process.on('exit', () => {
    rmSync(lock, { force: true });
    rmSync(socket, { force: true });
  });
  return true;
}

export function deliverToFirst(userData: string, argv: string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const connection = connect(join(userData, 'SingletonSocket'));
    connection.on('error', reject);
    connection.end(JSON.stringify({ argv, cwd }), () => resolve());
  });
}
