// Where Kestrel's package.json is, found by walking up from a module: the repository when run
// from source (src-main/…), the app's root when compiled (dist/src-main/…, inside the desktop
// app's asar archive, which Electron's fs reads as a directory). Files shipped beside the code
// (the built renderer in dist/renderer, the version) are found from there in both layouts.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export function packageRoot(from: string = import.meta.dirname): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no package.json above ${from}`);
  }
}

export function packageVersion(root: string = packageRoot()): string {
  const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    version: string;
  };
  return version;
}
