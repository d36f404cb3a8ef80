// The Linux task sandbox: bubblewrap (bwrap) with its own user, PID, IPC and UTS namespaces, a
// read-only view of the system and nothing of the worker's own files (docs/SECURITY.md).
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  lstatSync,
  mkdtempSync,
  readdirSync,
  readlinkSync,
  realpathSync,
  rmSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
// How tasks are kept apart is part of what the volunteer sees: one type, in the renderer's API.
import type { Isolation } from '../../shared/api.ts';
import { TASK_NICENESS } from './niceness.ts';

export type { Isolation };

/** A host path that tasks see at the same place inside the sandbox. */
export interface Exposure {
  path: string;
  writable: boolean;
}

export interface Sandbox {
  readonly bwrap: string;
  readonly perl: string;
  /**
   * Argument list for bwrap that runs `/bin/sh -c commandLine` in `cwd`. `gated`: the sandbox
   * waits before it starts anything until a byte comes on BLOCK_FD (bwrap --block-fd).
   */
  args(commandLine: string, cwd: string, exposures: readonly Exposure[], gated?: boolean): string[];
}

/**
 * The file descriptors of the sandboxed child: the reporter's status line, bwrap's info (the
 * host pid of the sandbox's PID 1), and the gate the worker opens once that pid is in its cgroup.
 */
export const STATUS_FD = 3;
export const INFO_FD = 4;
export const BLOCK_FD = 5;

// PID 1 of the sandbox (--as-pid-1): lowers its priority to the tasks' niceness before anything
// of the task exists (so the task inherits it from its first instruction, and nice(1) is not
// needed in front of bwrap), runs the shell, forwards nothing (signals reach the shell through the
// process group), reaps orphans, and writes the shell's raw wait status, which bwrap itself folds
// into 128 + signal (bubblewrap.c, propagate_exit_status). When PID 1 exits the kernel kills
// every other process of the namespace (pid_namespaces(7)). The no-op handlers make PID 1 stay
// for the report when the group gets SIGTERM; exec() resets them in the shell.
const REPORTER = [
  `setpriority(0, 0, ${TASK_NICENESS});`,
  `open(my $st, '>&', ${STATUS_FD}) or die "kestrel: no status pipe: $!\\n";`,
  `{ open(my $t, '>&=', ${STATUS_FD}); close($t); }`,
  '$SIG{$_} = sub {} for qw(TERM INT HUP);',
  'my $pid = fork(); die "kestrel: fork: $!\\n" unless defined $pid;',
  'if ($pid == 0) { exec { $ARGV[0] } @ARGV; print STDERR "kestrel: $ARGV[0]: $!\\n"; exit 127; }',
  'while ((my $w = waitpid(-1, 0)) > 0) { last if $w == $pid; }',
  'my $s = $?;',
  'syswrite($st, (($s & 127) ? "signal " . ($s & 127) : "exit " . ($s >> 8)) . "\\n");',
].join(' ');

/** What the system offers read-only: the usual merged-/usr layout, or the split one. */
const SYSTEM_DIRS = ['/usr', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32'];
/** Secrets of /etc hidden even where the worker could read them (it runs as root). */
const ETC_SECRET_FILES = ['/etc/shadow', '/etc/shadow-', '/etc/gshadow', '/etc/gshadow-'];
const ETC_SECRET_DIRS = [
  '/etc/ssl/private',
  '/etc/NetworkManager/system-connections',
  '/etc/wpa_supplicant',
  '/etc/kestrel',
];

function systemView(): string[] {
  const args: string[] = [];
  for (const dir of SYSTEM_DIRS) {
    let stat;
    try {
      stat = lstatSync(dir);
    } catch {
      continue;
    }
    if (stat.isSymbolicLink()) args.push('--symlink', readlinkSync(dir), dir);
    else if (stat.isDirectory()) args.push('--ro-bind', dir, dir);
  }
  args.push('--ro-bind', '/etc', '/etc');
  for (const file of ETC_SECRET_FILES)
    if (existsSync(file)) args.push('--ro-bind', '/dev/null', file);
  try {
    for (const name of readdirSync('/etc/ssh')) {
      if (/^ssh_host_.*_key$/.test(name))
        args.push('--ro-bind', '/dev/null', join('/etc/ssh', name));
    }
  } catch {
    // No ssh server here.
  }
  for (const dir of ETC_SECRET_DIRS) {
    if (existsSync(dir)) args.push('--tmpfs', dir, '--remount-ro', dir);
  }
  // Name resolution: /etc/resolv.conf is often a link into /run (systemd-resolved); only its
  // target is shown, not the rest of /run (sockets of the volunteer's session bus and more).
  try {
    const resolv = realpathSync('/etc/resolv.conf');
    if (!resolv.startsWith('/etc/') && !resolv.startsWith('/usr/'))
      args.push('--ro-bind', resolv, resolv);
  } catch {
    // No resolver configuration: names do not resolve in the sandbox either.
  }
  return args;
}

function createSandbox(bwrap: string, perl: string): Sandbox {
  const system = systemView();
  return {
    bwrap,
    perl,
    args(commandLine, cwd, exposures, gated = false) {
      const binds = exposures.flatMap((e) => [e.writable ? '--bind' : '--ro-bind', e.path, e.path]);
      return [
        '--unshare-user',
        '--unshare-pid',
        '--unshare-ipc',
        '--unshare-uts',
        '--unshare-cgroup-try',
        '--die-with-parent',
        '--new-session',
        '--as-pid-1',
        // As root (CI), the sandbox would otherwise keep every capability: mount, mknod, ptrace.
        '--cap-drop',
        'ALL',
        ...system,
        '--proc',
        '/proc',
        '--dev',
        '/dev',
        '--tmpfs',
        '/tmp',
        ...binds,
        '--bind',
        cwd,
        cwd,
        '--chdir',
        cwd,
        '--info-fd',
        String(INFO_FD),
        ...(gated ? ['--block-fd', String(BLOCK_FD)] : []),
        '--',
        perl,
        '-e',
        REPORTER,
        '/bin/sh',
        '-c',
        commandLine,
      ];
    },
  };
}

function onPath(name: string, env: NodeJS.ProcessEnv): string | undefined {
  const dirs = (env.PATH ?? '/usr/bin:/bin').split(delimiter).filter((d) => d !== '');
  for (const dir of dirs) {
    const file = join(dir, name);
    if (existsSync(file)) return file;
  }
  return undefined;
}

const probed = new Map<string, { sandbox?: Sandbox; isolation: Isolation }>();

/**
 * Whether tasks can be sandboxed here: bwrap is installed and a trivial sandboxed command runs
 * (user namespaces may be disabled, or a container may forbid them). Checked once per PATH.
 */
export function probeSandbox(env: NodeJS.ProcessEnv = process.env): {
  sandbox?: Sandbox;
  isolation: Isolation;
} {
  const key = env.PATH ?? '';
  const known = probed.get(key) ?? probe(env);
  probed.set(key, known);
  return known;
}

function probe(env: NodeJS.ProcessEnv): { sandbox?: Sandbox; isolation: Isolation } {
  const none = (detail: string) => ({ isolation: { kind: 'none' as const, detail } });
  if (process.platform !== 'linux')
    return none(`no sandbox on ${process.platform} (bubblewrap is Linux only)`);
  const bwrap = onPath('bwrap', env);
  if (bwrap === undefined) return none('bubblewrap (bwrap) is not installed');
  const perl = ['/usr/bin/perl', '/bin/perl'].find((p) => existsSync(p));
  if (perl === undefined)
    return none('perl is not installed (the sandbox reports exit status with it)');
  const sandbox = createSandbox(bwrap, perl);
  const dir = mkdtempSync(join(tmpdir(), 'kestrel-sandbox-probe-'));
  let run;
  try {
    run = spawnSync(bwrap, sandbox.args('exit 0', dir, []), {
      stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'],
      encoding: 'utf8',
      timeout: 10_000,
      env: { PATH: env.PATH },
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const status = (run.output[STATUS_FD] as string | null | undefined) ?? '';
  if (status.trim() !== 'exit 0') {
    const why = run.error?.message ?? (run.stderr || `exit ${String(run.status)}`).trim();
    return none(`bubblewrap does not work here: ${why}`);
  }
  return {
    sandbox,
    isolation: { kind: 'bubblewrap', detail: `bubblewrap sandbox (${bwrap})` },
  };
}

/** `exit N` / `signal N` from the reporter → what the shell ended with; undefined if absent. */
export function parseStatus(
  line: string,
): { exitCode: number | null; signal: number | null } | undefined {
  const match = /^(exit|signal) (\d+)\n?$/.exec(line.trim());
  if (!match) return undefined;
  const n = Number(match[2]);
  return match[1] === 'exit' ? { exitCode: n, signal: null } : { exitCode: null, signal: n };
}
