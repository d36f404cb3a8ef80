import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { Config } from '../common/config.ts';
import {
  parseSchedule,
  SettingsError,
  WORKER_PREFERENCE_KEYS,
  type WorkerPreferenceKey,
} from '../common/preferences.ts';
import { CliError, EXIT } from './errors.ts';

/** Command-line parsing: every command has a fixed set of options; anything else fails loudly. */

type Options = NonNullable<ParseArgsConfig['options']>;

const CONNECTION: Options = {
  server: { type: 'string' },
  jid: { type: 'string' },
  password: { type: 'string' },
  manager: { type: 'string' },
  pin: { type: 'string' },
  'allow-plaintext': { type: 'boolean' },
  config: { type: 'string' },
  'data-dir': { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
};

/** What one account may make the manager do (src-main/manager/limits.ts, worker-rate.ts). */
const USER_LIMITS: Options = {
  'max-jobs-per-user': { type: 'string' },
  'max-queued-per-user': { type: 'string' },
  'worker-messages-per-second': { type: 'string' },
  'worker-bytes-per-second': { type: 'string' },
};

/** How each worker preference is written on the command line (its flag is flagOf(key)). */
const PREFERENCE_KIND: Record<
  WorkerPreferenceKey,
  'flag' | 'number' | 'word' | 'list' | 'ids' | 'schedule'
> = {
  onlyWhenIdle: 'flag',
  idleSeconds: 'number',
  idleSource: 'word',
  whenIdleUnknown: 'word',
  notOnBattery: 'flag',
  minBatteryPercent: 'number',
  cpuCap: 'number',
  cpuTimeLimit: 'number',
  otherCpuLimit: 'number',
  schedule: 'schedule',
  maxMemoryPercent: 'number',
  minFreeMemoryPercent: 'number',
  suspendLimitSeconds: 'number',
  maxTaskSeconds: 'number',
  blockedSubmitters: 'list',
  blockedJobs: 'ids',
};

const kebab = (key: string) => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

const PREFERENCES: Options = Object.fromEntries(
  WORKER_PREFERENCE_KEYS.map((key) => [
    kebab(key),
    { type: PREFERENCE_KIND[key] === 'flag' ? 'boolean' : 'string' },
  ]),
);

export const COMMANDS = {
  demo: {
    summary: 'run a head node with local workers and a sample job, then exit',
    usage:
      'kestrel demo [--workers N] [--tasks N] [--stay] [--ui-port P] [--no-ui] [--data-dir DIR]',
    args: [0, 0],
    options: {
      'data-dir': { type: 'string' },
      workers: { type: 'string' },
      tasks: { type: 'string' },
      stay: { type: 'boolean' },
      'ui-port': { type: 'string' },
      'no-ui': { type: 'boolean' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  },
  head: {
    summary: 'run a head node: the embedded XMPP server and the manager in one process',
    usage: 'kestrel head [--domain D] [--port P] [--bind ADDRESS] [options]',
    args: [0, 0],
    options: {
      // Its own server and manager: none of the connection options of a client.
      config: { type: 'string' },
      'data-dir': { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
      submitters: { type: 'string' },
      workers: { type: 'string' },
      admins: { type: 'string' },
      domain: { type: 'string' },
      port: { type: 'string' },
      bind: { type: 'string' },
      'ping-interval': { type: 'string' },
      ...USER_LIMITS,
      'ui-port': { type: 'string' },
      'ui-bind': { type: 'string' },
      'no-ui': { type: 'boolean' },
    },
  },
  user: {
    summary: "manage the head node's accounts and what each may do",
    usage:
      'kestrel user add|remove|list|passwd|role [NAME] [ROLES] [--password PW] [--role submitter|worker|admin]',
    args: [1, 3],
    options: {
      'data-dir': { type: 'string' },
      config: { type: 'string' },
      password: { type: 'string' },
      role: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  },
  invite: {
    summary: 'print a one-time link with which a volunteer’s worker joins this head node',
    usage:
      'kestrel invite [--host ADDRESS] [--ttl HOURS] [--role worker|submitter] [--data-dir DIR]',
    args: [0, 0],
    options: {
      'data-dir': { type: 'string' },
      config: { type: 'string' },
      host: { type: 'string' },
      role: { type: 'string' },
      ttl: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  },
  manager: {
    summary:
      'run the manager (needs --jid, --password of the manager account); `status`: which is active',
    usage:
      'kestrel manager [status] [--store URL] [--name NAME] [--takeover-after S] [--submitters LIST] [--workers LIST] [--admins LIST] [--ping-interval S] [--max-jobs-per-user N] [--max-queued-per-user N] [--worker-messages-per-second N] [--worker-bytes-per-second N]',
    args: [0, 1],
    options: {
      ...CONNECTION,
      store: { type: 'string' },
      name: { type: 'string' },
      'takeover-after': { type: 'string' },
      submitters: { type: 'string' },
      workers: { type: 'string' },
      admins: { type: 'string' },
      'ping-interval': { type: 'string' },
      ...USER_LIMITS,
    },
  },
  worker: {
    summary:
      'run a worker that takes tasks from --manager; `kestrel worker history` lists what ran',
    usage:
      'kestrel worker [history [--limit N]] [--join LINK] [--provides A,B] [--slots N] [--name NAME] [--pass-env A,B] [--expose DIR[:rw],…] [--require-sandbox] [preferences: docs/VOLUNTEER.md]',
    args: [0, 1],
    options: {
      ...CONNECTION,
      join: { type: 'string' },
      provides: { type: 'string' },
      slots: { type: 'string' },
      name: { type: 'string' },
      'pass-env': { type: 'string' },
      expose: { type: 'string' },
      'require-sandbox': { type: 'boolean' },
      limit: { type: 'string' },
      ...PREFERENCES,
    },
  },
  submit: {
    summary: 'submit a job: COMMAND runs once per index 0..N-1',
    usage:
      'kestrel submit COMMAND --queue N [--requires A,B] [--cores N] [--ram MB] [--retries N] [--timeout SECONDS] [--cleanup CMD] [--wait]',
    args: [1, 1],
    options: {
      ...CONNECTION,
      queue: { type: 'string', short: 'n' },
      requires: { type: 'string' },
      cores: { type: 'string' },
      ram: { type: 'string' },
      retries: { type: 'string' },
      timeout: { type: 'string' },
      cleanup: { type: 'string' },
      wait: { type: 'boolean', short: 'w' },
    },
  },
  workers: {
    summary: 'start, stop or clean up a group of local workers (one log and pid file each)',
    usage:
      'kestrel workers start N [--prefix NAME] [worker options] | stop | clean | list [--data-dir DIR]',
    args: [1, 2],
    options: {
      ...CONNECTION,
      prefix: { type: 'string' },
      provides: { type: 'string' },
      slots: { type: 'string' },
      'pass-env': { type: 'string' },
      expose: { type: 'string' },
      'require-sandbox': { type: 'boolean' },
    },
  },
  completion: {
    summary: 'print a shell completion script for bash or zsh',
    usage: 'kestrel completion bash|zsh',
    args: [1, 1],
    options: { help: { type: 'boolean', short: 'h' } },
  },
  status: {
    summary: 'show your jobs, or one job',
    usage: 'kestrel status [JOB_ID]',
    args: [0, 1],
    options: CONNECTION,
  },
  cancel: {
    summary: 'cancel all your jobs, or one job',
    usage: 'kestrel cancel [JOB_ID]',
    args: [0, 1],
    options: CONNECTION,
  },
  why: {
    summary: 'say why a job’s tasks are not running',
    usage: 'kestrel why JOB_ID',
    args: [1, 1],
    options: CONNECTION,
  },
  pool: {
    summary: 'list the workers and their state (admins)',
    usage: 'kestrel pool [--json]',
    args: [0, 0],
    options: CONNECTION,
  },
  purge: {
    summary: 'drop finished jobs from the manager’s store (admins)',
    usage: 'kestrel purge --finished-before DATE|DURATION (e.g. 2025-01-31, or 7d for a week ago)',
    args: [0, 0],
    options: { ...CONNECTION, 'finished-before': { type: 'string' } },
  },
} satisfies Record<
  string,
  { summary: string; usage: string; args: [number, number]; options: Options }
>;

export type CommandName = keyof typeof COMMANDS;

export interface Parsed {
  command: CommandName;
  positionals: string[];
  values: Record<string, string | boolean | undefined>;
  configPath: string | undefined;
  flags: Config;
  json: boolean;
  help: boolean;
}

export function usage(): string {
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(8)} ${c.summary}`);
  return [
    'usage: kestrel COMMAND [options]',
    '',
    'commands:',
    ...lines,
    '',
    'connection options (also from KESTREL_SERVER, KESTREL_JID, KESTREL_PASSWORD, KESTREL_MANAGER, KESTREL_DATA_DIR',
    'or a JSON config file: --config FILE, default ~/.config/kestrel/config.json):',
    '  --server xmpp://HOST:PORT[,xmpp://HOST2:PORT…]  --jid USER@DOMAIN  --password PW  --manager JID  --data-dir DIR  --json',
    '  --pin SHA256  trust the server certificate with this fingerprint (`kestrel head` prints it)',
    '  --allow-plaintext  log in without TLS to a server elsewhere (only on a network you trust)',
    '',
    'Run `kestrel COMMAND --help` for the options of one command.',
  ].join('\n');
}

/** The flag that sets a config key: `dataDir` → `--data-dir`. */
export const flagOf = (key: string): string =>
  `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

export const splitList = (value: string | undefined): string[] | undefined =>
  value === undefined
    ? undefined
    : value
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '');

export function intOption(values: Parsed['values'], name: string, min: number): number | undefined {
  const raw = values[name];
  if (raw === undefined || typeof raw === 'boolean') return undefined;
  if (!/^\d+$/.test(raw) || Number(raw) < min)
    throw new CliError(`--${name} must be a whole number ≥ ${min} (got '${raw}')`, EXIT.usage);
  return Number(raw);
}

function preference(values: Parsed['values'], key: WorkerPreferenceKey): unknown {
  const name = kebab(key);
  const raw = values[name];
  if (raw === undefined) return undefined;
  if (typeof raw === 'boolean') return raw ? true : undefined;
  switch (PREFERENCE_KIND[key]) {
    case 'number':
      return intOption(values, name, 0);
    case 'list':
      return splitList(raw);
    case 'ids':
      return splitList(raw)?.map((id) => {
        if (!/^\d+$/.test(id) || Number(id) < 1)
          throw new CliError(`--${name} takes job numbers (got '${id}')`, EXIT.usage);
        return Number(id);
      });
    case 'schedule':
      try {
        return parseSchedule(raw);
      } catch (error) {
        if (error instanceof SettingsError)
          throw new CliError(`--${name}: ${error.message}`, EXIT.usage);
        throw error;
      }
    default:
      return raw;
  }
}

export function parse(argv: string[]): Parsed {
  // `kestrel help COMMAND` is `kestrel COMMAND --help`.
  if (argv[0] === 'help' && argv[1] !== undefined) return parse([argv[1], '--help']);
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    throw new CliError(usage(), name === undefined ? EXIT.usage : EXIT.ok);
  }
  if (!Object.hasOwn(COMMANDS, name))
    throw new CliError(`unknown command '${name}'\n\n${usage()}`, EXIT.usage);
  const command = name as CommandName;
  const spec = COMMANDS[command];
  let parsed;
  try {
    parsed = parseArgs({ args: rest, options: spec.options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new CliError(`${(error as Error).message}\nusage: ${spec.usage}`, EXIT.usage);
  }
  const values = parsed.values as Parsed['values'];
  const help = values.help === true;
  const [min, max] = spec.args;
  const count = parsed.positionals.length;
  if (!help && (count < min || count > max)) {
    throw new CliError(`wrong number of arguments\nusage: ${spec.usage}`, EXIT.usage);
  }
  const str = (key: string) =>
    typeof values[key] === 'string' ? (values[key] as string) : undefined;
  const flags: Config = {};
  const set = (key: keyof Config, value: unknown) => {
    if (value !== undefined) Object.assign(flags, { [key]: value });
  };
  set('server', str('server'));
  set('jid', str('jid'));
  set('password', str('password'));
  set('manager', str('manager'));
  set('pin', str('pin'));
  set('allowPlaintext', values['allow-plaintext'] === true ? true : undefined);
  set('dataDir', str('data-dir'));
  set('store', str('store'));
  set('provides', splitList(str('provides')));
  set('slots', intOption(values, 'slots', 1));
  set('submitters', splitList(str('submitters')));
  set('workers', splitList(str('workers')));
  set('admins', splitList(str('admins')));
  set('passEnv', splitList(str('pass-env')));
  set('expose', splitList(str('expose')));
  set('requireSandbox', values['require-sandbox'] === true ? true : undefined);
  set('maxJobsPerUser', intOption(values, 'max-jobs-per-user', 1));
  set('maxQueuedPerUser', intOption(values, 'max-queued-per-user', 1));
  set('workerMessagesPerSecond', intOption(values, 'worker-messages-per-second', 1));
  set('workerBytesPerSecond', intOption(values, 'worker-bytes-per-second', 1));
  for (const key of WORKER_PREFERENCE_KEYS) set(key, preference(values, key));
  return {
    command,
    positionals: parsed.positionals,
    values,
    configPath: str('config'),
    flags,
    json: values.json === true,
    help,
  };
}
