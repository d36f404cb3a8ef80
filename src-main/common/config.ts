import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { isPin } from '../xmpp/starttls.ts';
import { workerPreferenceFields } from './preferences.ts';

/**
 * Connection and role settings, one typed schema merged from a config file, the environment and
 * flags: flags win over the environment, the environment over the file. The `kestrel` command,
 * the head node and the desktop app read it alike; only the CLI knows flag names (cli/args.ts).
 */

const list = z.array(z.string().min(1));

export const configSchema = z
  .object({
    server: z
      .string()
      .min(1)
      .describe(
        'XMPP server, xmpp://host:port (default xmpp://127.0.0.1:5222); the nodes of a cluster comma-separated, tried in order',
      ),
    jid: z.string().includes('@').describe('this client’s account, user@domain'),
    password: z.string().min(1),
    manager: z.string().includes('@').describe('the manager’s JID'),
    dataDir: z
      .string()
      .min(1)
      .describe('where the manager keeps its store and workers their logs and pid files'),
    store: z
      .string()
      .min(1)
      .describe(
        'the manager’s store: postgres://… shared by active and standby managers, or a SQLite file (default DATA_DIR/manager.db)',
      ),
    provides: list.describe('tags this worker provides'),
    slots: z.int().min(1).max(4096).describe('tasks a worker runs at once (default: its cores)'),
    submitters: list.describe('JIDs or @domains allowed to submit (default: the manager’s domain)'),
    workers: list.describe('JIDs or @domains allowed to work (default: the manager’s domain)'),
    admins: list.describe('JIDs that may see and cancel every job'),
    passEnv: z
      .array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/))
      .describe('names of the worker’s environment variables that tasks see (never KESTREL_*)'),
    requireSandbox: z
      .boolean()
      .describe('refuse to start a worker whose tasks cannot run in a sandbox (default false)'),
    expose: list.describe(
      'absolute paths tasks see inside the sandbox, read-only; PATH:rw for writable ones',
    ),
    maxJobsPerUser: z
      .int()
      .min(1)
      .describe('unfinished jobs one user may have (manager, head; default 100)'),
    maxQueuedPerUser: z
      .int()
      .min(1)
      .describe(
        'unfinished tasks of one user, over all their jobs (manager, head; default 10000000)',
      ),
    workerMessagesPerSecond: z
      .int()
      .min(1)
      .describe('messages one worker JID may send a second (manager, head; default 2000)'),
    workerBytesPerSecond: z
      .int()
      .min(1)
      .describe(
        'body characters one worker JID may send a second (manager, head; default 1048576)',
      ),
    pin: z
      .string()
      .refine(isPin, 'a SHA-256 fingerprint: 64 hex digits, with or without colons')
      .describe('SHA-256 fingerprint of the server certificate to accept (set by --join)'),
    allowPlaintext: z
      .boolean()
      .describe('log in without TLS to a server elsewhere (default false; never with a pin)'),
    // A worker's preferences (docs/VOLUNTEER.md), under the same names as the desktop's settings.
    ...workerPreferenceFields,
  })
  .partial()
  .strict();

export type Config = z.infer<typeof configSchema>;

export class ConfigError extends Error {
  readonly code = 'bad_config';
  /** Required settings that are not set, by their config-file key (each side names them its way). */
  readonly missing: readonly (keyof Config)[];
  /** What the missing settings are for, e.g. "the worker's account and its manager". */
  readonly hint: string | undefined;

  constructor(message: string, missing: readonly (keyof Config)[] = [], hint?: string) {
    super(message);
    this.missing = missing;
    this.hint = hint;
  }
}

const ENV: Record<string, keyof Config> = {
  KESTREL_SERVER: 'server',
  KESTREL_JID: 'jid',
  KESTREL_PASSWORD: 'password',
  KESTREL_MANAGER: 'manager',
  KESTREL_DATA_DIR: 'dataDir',
  KESTREL_STORE: 'store',
};

export function defaultConfigPath(env: NodeJS.ProcessEnv): string {
  return (
    env.KESTREL_CONFIG ??
    join(env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'kestrel', 'config.json')
  );
}

function parse(source: string, raw: unknown): Config {
  const result = configSchema.safeParse(raw);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const where = issue?.path.join('.') || '(top level)';
  throw new ConfigError(`${source}: ${where}: ${issue?.message ?? 'invalid'}`);
}

function readFile(path: string, required: boolean): Config {
  if (!existsSync(path)) {
    if (required) throw new ConfigError(`config file ${path} does not exist`);
    return {};
  }
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ConfigError(`config file ${path} is not valid JSON: ${(error as Error).message}`);
  }
  return parse(`config file ${path}`, raw);
}

export function loadConfig(
  flags: Config,
  env: NodeJS.ProcessEnv,
  configPath?: string,
): Config & { dataDir: string; server: string } {
  const file = readFile(configPath ?? defaultConfigPath(env), configPath !== undefined);
  const fromEnv: Config = {};
  for (const [name, key] of Object.entries(ENV)) {
    const value = env[name];
    if (value !== undefined && value !== '') Object.assign(fromEnv, { [key]: value });
  }
  const merged = { ...file, ...parse('environment', fromEnv), ...parse('flags', flags) };
  return {
    ...merged,
    server: merged.server ?? 'xmpp://127.0.0.1:5222',
    dataDir:
      merged.dataDir ?? join(env.XDG_DATA_HOME ?? join(homedir(), '.local', 'share'), 'kestrel'),
  };
}

/** `host:port` or `xmpp://host:port` → `xmpp://host:port`. */
export function serviceUrl(server: string): string {
  return server.includes('://') ? server : `xmpp://${server}`;
}

/** `a:5222,xmpp://b:5222`: the addresses of the nodes of one (clustered) server, in order. */
export function serviceUrls(server: string): string[] {
  const urls = server
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map(serviceUrl);
  if (urls.length === 0) throw new ConfigError(`--server: no address in '${server}'`);
  return urls;
}

export function requireKeys<C extends Config, K extends keyof Config>(
  config: C,
  keys: readonly K[],
  hint: string,
): C & Required<Pick<Config, K>> {
  const missing = keys.filter((k) => config[k] === undefined);
  if (missing.length > 0) {
    throw new ConfigError(`missing ${missing.join(', ')} (${hint})`, missing, hint);
  }
  return config as C & Required<Pick<Config, K>>;
}
