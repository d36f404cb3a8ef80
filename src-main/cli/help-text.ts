import { COMMANDS, type CommandName } from './args.ts';

/**
 * `kestrel COMMAND --help` and `kestrel help COMMAND`: what each command does, each option with
 * its default, and examples, as `git` and `condor_submit` explain themselves. Kept apart from the
 * parsing table; a unit test fails for any option or command that has no help here.
 */

interface OptionHelp {
  /** The value's placeholder (`N`, `LIST`); none for a switch. */
  arg?: string;
  text: string;
}

/** Options that mean the same wherever they appear. */
const OPTIONS: Record<string, OptionHelp> = {
  server: {
    arg: 'xmpp://HOST:PORT',
    text: 'the XMPP server (default xmpp://127.0.0.1:5222); a cluster’s nodes comma-separated, tried in order',
  },
  jid: { arg: 'USER@DOMAIN', text: 'the account to log in with' },
  password: { arg: 'PW', text: 'its password' },
  manager: { arg: 'JID', text: 'the manager’s JID, e.g. manager@pool.example' },
  pin: {
    arg: 'SHA256',
    text: 'trust only the server certificate with this fingerprint (`kestrel head` prints it)',
  },
  'allow-plaintext': {
    text: 'log in without TLS to a server on another machine (only on a network you trust)',
  },
  config: {
    arg: 'FILE',
    text: 'a JSON config file (default ~/.config/kestrel/config.json, or KESTREL_CONFIG)',
  },
  'data-dir': {
    arg: 'DIR',
    text: 'where Kestrel keeps its files (default ~/.local/share/kestrel, or KESTREL_DATA_DIR)',
  },
  json: { text: 'machine-readable output' },
  help: { text: 'show this help' },
  submitters: {
    arg: 'LIST',
    text: 'JIDs or @domains that may submit jobs, comma-separated',
  },
  workers: { arg: 'LIST', text: 'JIDs or @domains that may act as workers, comma-separated' },
  admins: { arg: 'LIST', text: 'JIDs that may see and cancel every job' },
  'ping-interval': {
    arg: 'S',
    text: 'seconds between XEP-0199 pings to workers; a frozen one is given up after it (default 10)',
  },
  'max-jobs-per-user': { arg: 'N', text: 'unfinished jobs one user may have (default 100)' },
  'max-queued-per-user': {
    arg: 'N',
    text: 'unfinished tasks of one user over all their jobs (default 10000000)',
  },
  'worker-messages-per-second': {
    arg: 'N',
    text: 'messages one worker may send a second before the excess is dropped (default 2000)',
  },
  'worker-bytes-per-second': {
    arg: 'N',
    text: 'message characters one worker may send a second (default 1048576)',
  },
  provides: { arg: 'A,B', text: 'tags this worker provides, for jobs that require them' },
  slots: { arg: 'N', text: 'tasks run at once (default: the machine’s cores)' },
  name: {
    arg: 'NAME',
    text: 'the XMPP resource, and the name of the log, pid file and work directory (default HOST-PID)',
  },
  join: {
    arg: 'LINK',
    text: 'join a pool with a one-time kestrel://join link from `kestrel invite` (first start only)',
  },
  'pass-env': {
    arg: 'A,B',
    text: 'environment variables tasks may see besides PATH, LANG, LC_*, TZ (never KESTREL_*)',
  },
  expose: {
    arg: 'DIR[:rw],…',
    text: 'paths sandboxed tasks may see, read-only unless :rw (a shared file system)',
  },
  'require-sandbox': { text: 'refuse to start where tasks cannot run in a sandbox' },
  role: {
    arg: 'ROLES',
    text: 'what the account may do: submitter, worker, admin (comma-separated)',
  },
  'ui-port': {
    arg: 'P',
    text: 'the ops UI’s HTTP port on 127.0.0.1 (default 5380; 0: any free port)',
  },
  'ui-bind': {
    arg: 'ADDRESS',
    text: 'serve the ops UI on this address instead of 127.0.0.1 (no TLS: it warns)',
  },
  'no-ui': { text: 'do not serve the ops UI' },
  // The worker's preferences (docs/VOLUNTEER.md has each with BOINC's equivalent); defaults are
  // a headless worker's: a machine given to the pool.
  'only-when-idle': { text: 'compute only after --idle-seconds without keyboard or mouse input' },
  'idle-seconds': { arg: 'S', text: 'how long without input counts as away (default 180)' },
  'idle-source': {
    arg: 'auto|dbus|logind|off',
    text: 'where the idle time is read (default auto)',
  },
  'when-idle-unknown': {
    arg: 'in_use|away',
    text: 'with --only-when-idle, what to assume when idle time cannot be read (default in_use)',
  },
  'not-on-battery': { text: 'suspend tasks while the machine runs on battery' },
  'min-battery-percent': {
    arg: 'N',
    text: 'on battery, suspend below this charge (default 0: never)',
  },
  'cpu-cap': { arg: 'N', text: 'percent of the cores to fill with tasks (default 100)' },
  'cpu-time-limit': {
    arg: 'N',
    text: 'percent of CPU time each task may use, by stopping it within each second (default 100)',
  },
  'other-cpu-limit': {
    arg: 'N',
    text: 'suspend while other programs use more than N % of the CPU (default 0: never)',
  },
  schedule: {
    arg: "'mon-fri 18-8, sat-sun 0-24'",
    text: 'hours per weekday when computing is allowed (default: always)',
  },
  'max-memory-percent': {
    arg: 'N',
    text: 'start no task that would bring memory in use past N % (default 100)',
  },
  'min-free-memory-percent': {
    arg: 'N',
    text: 'suspend when other programs leave less than N % of memory free (default 0: never)',
  },
  'suspend-limit-seconds': {
    arg: 'S',
    text: 'give back a task suspended or held back longer than this (default 600)',
  },
  'max-task-seconds': {
    arg: 'S',
    text: 'wall-clock limit of every task here; time suspended does not count (default 0: none)',
  },
  'blocked-submitters': { arg: 'A,B', text: 'bare JIDs whose tasks this machine refuses' },
  'blocked-jobs': { arg: 'ID,ID', text: 'job ids this machine refuses' },
  limit: { arg: 'N', text: 'with `history`: how many entries, newest first (default 50)' },
  timeout: {
    arg: 'S',
    text: 'wall-clock limit of each task, in seconds (default: none); a task over it fails',
  },
};

interface CommandHelp {
  description: string;
  examples: string[];
  /** What an option means for this command, where it differs from OPTIONS. */
  options?: Record<string, OptionHelp>;
}

const HELP: Record<CommandName, CommandHelp> = {
  demo: {
    description:
      'Start a head node (an XMPP server and the manager in one process), one worker per core and a sample job that counts primes, show its progress until job_finished, then stop everything.',
    examples: ['kestrel demo', 'kestrel demo --workers 4 --tasks 100', 'kestrel demo --stay'],
    options: {
      stay: { text: 'keep the head node and the ops UI up after the job, until Ctrl-C' },
      workers: { arg: 'N', text: 'local workers to start (default: the machine’s cores)' },
      tasks: { arg: 'N', text: 'tasks of the sample job (default 40)' },
      'data-dir': {
        arg: 'DIR',
        text: 'where the demo keeps its files (default: a fresh temp dir)',
      },
    },
  },
  head: {
    description:
      'Run a head node: Kestrel’s own XMPP server and the manager in one process, so a lab or home pool needs nothing else. The first start creates the domain’s admin account (its password is printed once) and a self-signed certificate; every start prints the certificate fingerprint that clients on other machines pin. Accounts made by `kestrel user add` submit jobs; accounts made by `kestrel invite` links work.',
    examples: [
      'kestrel head',
      'kestrel head --bind 0.0.0.0 --domain lab.example',
      'kestrel head --port 5223 --max-jobs-per-user 20',
    ],
    options: {
      domain: {
        arg: 'D',
        text: 'the XMPP domain, first start only (default: this host’s name, or kestrel.local)',
      },
      port: { arg: 'P', text: 'the XMPP port for this start (default 5222)' },
      bind: {
        arg: 'ADDRESS',
        text: 'listen on this address (default 127.0.0.1: this machine only; 0.0.0.0 for all)',
      },
      submitters: { arg: 'LIST', text: 'JIDs or @domains that may submit, besides the roles' },
      workers: { arg: 'LIST', text: 'JIDs or @domains that may work, besides the roles' },
      admins: { arg: 'LIST', text: 'JIDs that are admins, besides the head’s admin account' },
    },
  },
  user: {
    description:
      'Manage the head node’s accounts, whether the head runs or not: `add NAME` (a submitter unless --role), `remove NAME`, `list` (with roles), `passwd NAME`, `role NAME ROLES`. NAME may be written NAME@DOMAIN with the head’s own domain. A generated password is printed unless --password is given.',
    examples: [
      'kestrel user add alice',
      'kestrel user add w1 --role worker',
      'kestrel user role alice submitter,admin',
      'kestrel user list',
    ],
    options: { password: { arg: 'PW', text: 'the password to set (default: a generated one)' } },
  },
  invite: {
    description:
      'Print a one-time kestrel://join link with which a volunteer’s worker registers its own account on this head node and trusts its certificate. The link names the host given (default: this machine’s name) and the port the head listens on; it warns when volunteers elsewhere could not reach it.',
    examples: ['kestrel invite --host lab-pc.local', 'kestrel invite --role submitter --ttl 24'],
    options: {
      host: { arg: 'ADDRESS', text: 'the name or address volunteers reach the head at' },
      ttl: { arg: 'HOURS', text: 'how long the link stays valid (default 168)' },
      role: { arg: 'ROLE', text: 'what the new account may do: worker (default) or submitter' },
    },
  },
  manager: {
    description:
      'Run the manager on an XMPP server of your own (Prosody, ejabberd): it hands out the tasks of jobs to workers and answers users. Needs the manager account’s --jid and --password. Without --submitters and --workers, every account of its domain may do both (it warns). With a PostgreSQL --store, several managers (each its own --name) share one pool: one is active, the others wait as standbys and one of them takes over within --takeover-after seconds when the active one dies, freezes or is cut off. A manager that is no longer the active one exits with code 4: run it under a supervisor that restarts it (systemd Restart=always), and it waits as a standby again. `kestrel manager status --store URL` shows which is active.',
    examples: [
      'kestrel manager --server xmpp://xmpp.pool.example:5222 --jid manager@pool.example --password SECRET --workers @workers.pool.example --submitters alice@pool.example',
      'kestrel manager --store postgres://kestrel:PW@db.pool.example/kestrel --name m1 --server xmpp://n1.pool.example:5222,xmpp://n2.pool.example:5222',
      'kestrel manager status --store postgres://kestrel:PW@db.pool.example/kestrel',
    ],
    options: {
      store: {
        arg: 'URL',
        text: 'postgres://USER:PW@HOST/DB shared by active and standby managers, or a SQLite file (default DATA_DIR/manager.db; or KESTREL_STORE)',
      },
      name: {
        arg: 'NAME',
        text: 'this manager’s XMPP resource and its name in `status` (default: manager; HOST-PID with a PostgreSQL store)',
      },
      'takeover-after': {
        arg: 'S',
        text: 'seconds a silent active manager keeps its PostgreSQL lock before a standby takes over (default 3)',
      },
    },
  },
  worker: {
    description:
      'Run a worker: it takes tasks from its --manager only and runs each `COMMAND INDEX` in a sandbox where one works (Linux with bubblewrap), with an environment of its own. It keeps a log and a pid file in DATA_DIR/workers. The first start with --join registers it with an invite link; later starts need nothing.',
    examples: [
      "kestrel worker --join 'kestrel://join?server=…'",
      'kestrel worker --server xmpp://xmpp.pool.example:5222 --jid w1@pool.example --password SECRET1 --manager manager@pool.example --provides LINUX,GPU --slots 4',
    ],
  },
  submit: {
    description:
      'Submit a job: its N tasks run `COMMAND 0` … `COMMAND N-1` on whichever workers are free; the command fetches its own inputs and stores its own outputs. With --wait, show progress until job_finished (exit 1 if tasks failed).',
    examples: [
      "kestrel submit '/shared/bin/runtask.sh' --queue 10000 --wait",
      "kestrel submit 'render.sh' --queue 500 --requires GPU --cores 2 --ram 4096 --retries 2",
    ],
    options: {
      queue: { arg: 'N', text: 'number of tasks (indexes 0 to N-1)' },
      requires: { arg: 'A,B', text: 'tags a worker must provide to run the tasks' },
      cores: { arg: 'N', text: 'cores each task needs (default: none, each task takes one slot)' },
      ram: { arg: 'MB', text: 'memory each task needs (default 0: none stated)' },
      retries: { arg: 'N', text: 'reruns of a task that exits non-zero (default 0)' },
      cleanup: { arg: 'CMD', text: 'runs `CMD INDEX` after each task' },
      wait: { text: 'show progress and wait for job_finished' },
    },
  },
  workers: {
    description:
      'A group of local workers in the background, as Celery’s `fab queue.start/stop/clean`: `start N` starts N workers PREFIX-1 … PREFIX-N with the same account (one XMPP resource each) and the worker options given; `list` shows them; `stop` stops them all by their pid files; `clean` stops them and removes their logs and work directories.',
    examples: [
      'kestrel workers start 4 --prefix lab --slots 2',
      'kestrel workers list',
      'kestrel workers stop',
      'kestrel workers clean',
    ],
    options: {
      prefix: { arg: 'NAME', text: 'the workers’ names are NAME-1, NAME-2, … (default: the host)' },
    },
  },
  completion: {
    description:
      'Print a completion script for bash or zsh. bash: `source <(kestrel completion bash)` in ~/.bashrc; zsh: `kestrel completion zsh > "${fpath[1]}/_kestrel"`.',
    examples: ['source <(kestrel completion bash)'],
  },
  why: {
    description:
      'Say why a job’s queued tasks are not running, as condor_q -better-analyze does: no worker provides a tag, none is big enough, all matching ones are busy or paused, no worker is online.',
    examples: ['kestrel why 483'],
  },
  pool: {
    description:
      'List the workers (admins only), like condor_status: each worker’s state, profile and current tasks, and the pool’s counters.',
    examples: ['kestrel pool', 'kestrel pool --json'],
  },
  purge: {
    description:
      'Drop finished jobs from the manager’s store (admins only), as seed 004’s stats reset: jobs that finished before a date, or longer ago than a duration.',
    examples: ['kestrel purge --finished-before 7d', 'kestrel purge --finished-before 2026-01-31'],
    options: {
      'finished-before': {
        arg: 'DATE|DURATION',
        text: 'an ISO date, or a duration back from now such as 12h, 7d, 4w',
      },
    },
  },
  status: {
    description:
      'Show your jobs with their progress and ETA, or one job with the exit codes and stderr of its failed tasks.',
    examples: ['kestrel status', 'kestrel status 483 --json'],
  },
  cancel: {
    description: 'Cancel one of your jobs, or all of them: running tasks are stopped.',
    examples: ['kestrel cancel 483', 'kestrel cancel'],
  },
};

const CONNECTION = new Set([
  'server',
  'jid',
  'password',
  'manager',
  'pin',
  'allow-plaintext',
  'config',
  'data-dir',
]);

/** The help of an option of a command, or undefined if it has none (the unit test's concern). */
export function optionHelp(command: CommandName, option: string): OptionHelp | undefined {
  return HELP[command].options?.[option] ?? OPTIONS[option];
}

export function commandHelp(command: CommandName): string {
  const spec = COMMANDS[command];
  const help = HELP[command];
  const row = (option: string) => {
    const h = optionHelp(command, option);
    const flag = `--${option}${h?.arg === undefined ? '' : ` ${h.arg}`}`;
    return `  ${flag.padEnd(30)} ${h?.text ?? ''}`;
  };
  const names = Object.keys(spec.options);
  const own = names.filter((o) => !CONNECTION.has(o) && o !== 'help' && o !== 'json');
  const shared = names.filter((o) => CONNECTION.has(o) || o === 'json' || o === 'help');
  const lines = [`usage: ${spec.usage}`, '', wrap(help.description, 96), ''];
  if (own.length > 0) lines.push('options:', ...own.map(row), '');
  lines.push(
    'common options (--server, --jid, --password, --manager, --data-dir also come from',
    'KESTREL_SERVER, KESTREL_JID, KESTREL_PASSWORD, KESTREL_MANAGER, KESTREL_DATA_DIR or --config):',
    ...shared.map(row),
    '',
    'examples:',
    ...help.examples.map((e) => `  ${e}`),
  );
  return lines.join('\n');
}

function wrap(text: string, width: number): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  if (line !== '') lines.push(line);
  return lines.join('\n');
}
