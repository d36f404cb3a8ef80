// electron-builder.yml, checked as electron-builder checks it (its own JSON schema,
// app-builder-lib/scheme.json, with the ajv and js-yaml it depends on) and against this
// repository: the files it names are the ones the build makes, the protocol is the app's.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ICON_FILES } from '../../scripts/icon-files.ts';
import { PROTOCOL } from '../../src-main/desktop/launch.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const builder = createRequire(join(ROOT, 'node_modules', 'app-builder-lib', 'package.json'));
const yaml = builder('js-yaml') as { load(text: string): unknown };
const Ajv = (builder('ajv') as { default: new (options: object) => AjvInstance }).default;
interface AjvInstance {
  compile(schema: object): ((data: unknown) => boolean) & { errors?: unknown[] | null };
}

const config = yaml.load(readFileSync(join(ROOT, 'electron-builder.yml'), 'utf8')) as {
  directories: { buildResources: string; output: string };
  files: string[];
  afterPack: string;
  protocols: { name: string; schemes: string[] }[];
  linux: { target: string[]; icon: string };
  win: { target: string[]; icon: string };
  mac: { target: string[]; icon: string };
  [key: string]: unknown;
};

describe('electron-builder.yml', () => {
  it('is valid by electron-builder’s own schema', () => {
    const schema = JSON.parse(
      readFileSync(join(ROOT, 'node_modules', 'app-builder-lib', 'scheme.json'), 'utf8'),
    ) as object;
    // The options electron-builder itself compiles its schema with (schemaValidator.js), but
    // without type coercion: a value of the wrong type is an error here.
    const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);
    const valid = validate(config);
    expect(validate.errors ?? [], JSON.stringify(validate.errors, null, 2)).toEqual([]);
    expect(valid).toBe(true);
  });

  it('makes AppImage and deb, an NSIS installer and a dmg', () => {
    expect(config.linux.target).toEqual(['AppImage', 'deb']);
    expect(config.win.target).toEqual(['nsis']);
    expect(config.mac.target).toEqual(['dmg']);
  });

  it('names the icons npm run icons makes, each platform its own', () => {
    const resources = config.directories.buildResources;
    expect(config.linux.icon).toBe(`${resources}/${ICON_FILES.linux}`);
    expect(config.win.icon).toBe(`${resources}/${ICON_FILES.win}`);
    expect(config.mac.icon).toBe(`${resources}/${ICON_FILES.mac}`);
    expect(readFileSync(join(ROOT, '.gitignore'), 'utf8').split('\n')).toContain(`${resources}/`);
  });

  it('registers the kestrel:// links the app opens', () => {
    expect(config.protocols.flatMap((p) => p.schemes)).toEqual([PROTOCOL]);
  });

  it('starts the compiled main process, with the renderer and the hook that exist', async () => {
    const app = JSON.parse(readFileSync(join(ROOT, 'tsconfig.app.json'), 'utf8')) as {
      compilerOptions: { outDir: string; rootDir: string };
    };
    // tsc -p tsconfig.app.json writes src-main/app/main.ts to OUT_DIR/src-main/app/main.js, and
    // Electron starts package.json's main (packaged, and with `electron .`).
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { main: string };
    expect(pkg.main).toBe(`${app.compilerOptions.outDir}/src-main/app/main.js`);
    expect(config).not.toHaveProperty('extraMetadata');
    expect(config.files).toContain('dist/**/*');
    expect(existsSync(join(ROOT, 'dist', 'renderer'))).toBe(true); // npm ci builds it
    // So does it the worker's spawn helper on Linux, which runs from outside the archive.
    if (process.platform === 'linux')
      expect(existsSync(join(ROOT, 'dist', 'native', 'kestrel-spawn'))).toBe(true);
    expect(config.asarUnpack).toEqual(['dist/native/**']);
    const hook = (await import(join(ROOT, config.afterPack))) as { default: unknown };
    expect(typeof hook.default).toBe('function');
    // The fuses are the hook's: electron-builder's own electronFuses would flip them again.
    expect(config).not.toHaveProperty('electronFuses');
  });
});
