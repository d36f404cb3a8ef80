// The environment a task sees: an allow-list, never the worker's own environment, which holds
// KESTREL_PASSWORD (or the path of the config file with it) and whatever the volunteer's shell
// exported (tokens, agent sockets, cloud credentials). docs/SECURITY.md lists it.

/** Variables passed from the worker's environment when set. */
const PASSED = ['PATH', 'LANG', 'LANGUAGE', 'TZ'];
/** Windows programs (cmd.exe first) do not start without these. */
const PASSED_WINDOWS = ['SYSTEMROOT', 'SYSTEMDRIVE', 'WINDIR', 'COMSPEC', 'PATHEXT'];
const DEFAULT_PATH = '/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin';
const NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;

export interface TaskIdentity {
  jobId: number;
  index: number;
  attempt: number;
}

export interface TaskEnvSource {
  /** The worker's environment, where PATH, LANG, LC_*, TZ and passEnv names are read. */
  source: NodeJS.ProcessEnv;
  /** Extra names to pass through (already checked by checkPassEnv). */
  passEnv: readonly string[];
  platform?: NodeJS.Platform;
}

/** The environment of one task run, given the task and its own home and temporary directories. */
export type TaskEnvironment = (task: TaskIdentity, home: string, tmp: string) => NodeJS.ProcessEnv;

/**
 * Why a name may not be passed, or undefined when it may. KESTREL_* are the worker's own
 * configuration (KESTREL_PASSWORD first) or the task variables, which the executor sets itself.
 */
export function passEnvProblem(name: string): string | undefined {
  if (!NAME_RE.test(name)) return `'${name}' is not a variable name`;
  if (name.toUpperCase().startsWith('KESTREL_'))
    return `${name} is Kestrel's own configuration and is never passed to tasks`;
  return undefined;
}

/**
 * What every task of an executor gets from the worker's environment is worked out once (it was
 * a walk of the whole environment per task run); each run adds only its own variables.
 */
export function createTaskEnvironment(input: TaskEnvSource): TaskEnvironment {
  const { source } = input;
  const windows = (input.platform ?? process.platform) === 'win32';
  // Windows names are case-insensitive: look them up whatever case the worker's env uses.
  const lookup = new Map(
    Object.entries(source).map(([k, v]) => [windows ? k.toUpperCase() : k, v] as const),
  );
  const get = (name: string) => lookup.get(windows ? name.toUpperCase() : name);
  const base: NodeJS.ProcessEnv = {};
  const names = [...PASSED, ...(windows ? PASSED_WINDOWS : []), ...input.passEnv];
  for (const name of names) {
    const value = get(name);
    if (value !== undefined && passEnvProblem(name) === undefined) base[name] = value;
  }
  for (const [name, value] of Object.entries(source)) {
    if (name.startsWith('LC_') && NAME_RE.test(name)) base[name] = value;
  }
  base.PATH ??= windows ? undefined : DEFAULT_PATH;
  if (base.PATH === undefined) delete base.PATH;
  return (task, home, tmp) => {
    const env: NodeJS.ProcessEnv = {
      ...base,
      HOME: home,
      TMPDIR: tmp,
      KESTREL_JOB_ID: String(task.jobId),
      KESTREL_TASK_INDEX: String(task.index),
      KESTREL_ATTEMPT: String(task.attempt),
    };
    if (windows) Object.assign(env, { USERPROFILE: home, TEMP: tmp, TMP: tmp });
    return env;
  };
}
