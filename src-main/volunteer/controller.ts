// A worker governed by its owner's preferences: the desktop app's volunteer, and the headless
// `kestrel worker` (which passes its settings and options as `headless`). It reads the
// configuration (file < env < flags, or DATA_DIR/joined.json once the machine has joined),
// logs in, and every `pollMs` looks at the machine (observe.ts), asks the policy (policy.ts)
// and applies its decision: to the tasks through the governor (suspend, throttle, hold back),
// to the manager through presence (`away` when it takes nothing new, `xa` while its tasks are
// suspended) and through a `profile` update when the slots change. Tasks held longer than
// suspendLimitSeconds are given back (`return_tasks`), so the pool is not held hostage.
import { EventEmitter } from 'node:events';
import { hostname } from 'node:os';
import type {
  HistoryEntry,
  JoinRequest,
  Page,
  PageRequest,
  PauseMode,
  VolunteerSettings,
  VolunteerSnapshot,
} from '../../shared/api.ts';
import { requireKeys, serviceUrl, type Config } from '../common/config.ts';
import { bareJid } from '../common/jid.ts';
import { silentLogger, type Logger } from '../common/log.ts';
import type { ExecutorOptions, TaskOutcome, TaskSpec } from '../worker/executor.ts';
import { joinPool, loadWorkerConfig } from '../worker/join.ts';
import { readProfile, type Profile } from '../worker/profile.ts';
import { probeSandbox } from '../worker/sandbox.ts';
import { openWorkerLogin, type WorkerLogin } from '../worker/worker-login.ts';
import { createGovernor, type Governor, type GovernedTask } from './governor.ts';
import { createHistory, type History } from './history.ts';
import { createObserver, defaultProbes, type Observer, type Probes } from './observe.ts';
import {
  decide,
  INITIAL_STATE,
  mayStart,
  overdue,
  type Decision,
  type PolicyState,
} from './policy.ts';
import { presenceFor } from './presence.ts';
import { buildSnapshot, NO_TOTALS } from './snapshot.ts';
import {
  createSettingsStore,
  DEFAULT_SETTINGS,
  mergeSettings,
  type SettingsStore,
} from './settings.ts';

export interface VolunteerOptions {
  /** KESTREL_* variables and where the config file is (KESTREL_CONFIG, XDG_CONFIG_HOME). */
  env: NodeJS.ProcessEnv;
  /** Win over env and file. */
  flags?: Config;
  /** A config file that must exist; default: DATA_DIR/joined.json, else the default path. */
  configPath?: string;
  /** Seconds since the last input (Electron: powerMonitor.getSystemIdleTime). */
  idleSeconds?(): number;
  /** Electron: powerMonitor.isOnBatteryPower. */
  onBattery?(): Promise<boolean>;
  /** Replace what is read from the machine (tests give fakes). */
  probes?: Partial<Probes>;
  /** XMPP resource, work directory and history name; default: this host's name. */
  name?: string;
  /** How often to look at the machine and apply the policy; default 1000 ms. */
  pollMs?: number;
  log?: Logger;
  now?: () => number;
  /**
   * A headless worker: its settings come from its config file and flags (nothing is saved), its
   * slots may be set outright, its executor options are the operator's, and a failed first
   * login rejects start() instead of being retried.
   */
  headless?: {
    settings: VolunteerSettings;
    slots?: number;
    executor?: Pick<ExecutorOptions, 'sandbox' | 'expose' | 'passEnv'>;
  };
}

export interface VolunteerEvents {
  /** The snapshot changed; carries the new one. */
  changed: [VolunteerSnapshot];
}

export interface Volunteer extends EventEmitter<VolunteerEvents> {
  snapshot(): VolunteerSnapshot;
  /**
   * Reads config and settings, profiles the machine and logs in. Rejects only for what retrying
   * cannot fix (bad configuration, a bad settings file). Not joined yet: resolves, `configured`
   * false, until join(). A server that cannot be reached is retried with backoff and shown as
   * `offline` with its error meanwhile (headless: start() rejects).
   */
  start(): Promise<void>;
  /** Validates, saves and applies a change of settings. */
  setSettings(patch: unknown): Promise<VolunteerSnapshot>;
  /** The volunteer's own pause, saved: it holds across restarts until resume(). */
  pause(mode?: PauseMode): Promise<VolunteerSnapshot>;
  resume(): Promise<VolunteerSnapshot>;
  /** Joins a pool (join.ts) and logs in to it; rejects with a JoinError. */
  join(request: JoinRequest): Promise<VolunteerSnapshot>;
  history(request?: PageRequest): Page<HistoryEntry>;
  /** Stops running tasks (the manager requeues them) and logs out. Idempotent. */
  stop(): Promise<void>;
}

export class VolunteerError extends Error {
  readonly code = 'volunteer_not_ready';
  override readonly name = 'VolunteerError';
}

const RETRY_MIN_MS = 1_000;
const RETRY_MAX_MS = 60_000;

/** This host's name as an XMPP resource and directory name (the `kestrel worker --name` rule). */
export function defaultName(host = hostname()): string {
  const name = host
    .replace(/[^A-Za-z0-9_.-]/g, '-')
    .replace(/^[^A-Za-z0-9]+/, '')
    .slice(0, 64);
  return name === '' ? 'volunteer' : name;
}

type Account = Config & {
  server: string;
  dataDir: string;
  jid: string;
  password: string;
  manager: string;
};

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

export function createVolunteer(options: VolunteerOptions): Volunteer {
  const { pollMs = 1_000, log = silentLogger, headless } = options;
  const now = options.now ?? Date.now;
  const name = options.name ?? defaultName();
  const events = new EventEmitter<VolunteerEvents>();
  let settings: VolunteerSettings = { ...(headless?.settings ?? DEFAULT_SETTINGS) };
  let store: SettingsStore | undefined;
  let dataDir: string | undefined;
  let account: Account | undefined;
  let profile: Profile | undefined;
  let history: History | undefined;
  let login: WorkerLogin | undefined;
  let observer: Observer | undefined;
  let governor: Governor | undefined;
  let decision: Decision | undefined;
  let policy: PolicyState = INITIAL_STATE;
  let presence = '';
  let error: string | undefined;
  let retryAt = 0;
  let retryMs = RETRY_MIN_MS;
  let timer: NodeJS.Timeout | undefined;
  let tickPending = false;
  let stopped = false;
  let published = '';
  // Every change of session, presence or settings runs in this queue, one at a time.
  let queue: Promise<unknown> = Promise.resolve();

  function serial<T>(step: () => Promise<T>): Promise<T> {
    const run = queue.then(step);
    queue = run.catch(() => undefined);
    return run;
  }

  function snapshot(): VolunteerSnapshot {
    return buildSnapshot({
      configured: account !== undefined,
      online: login?.online ?? false,
      jid: login?.jid ?? account?.jid,
      manager: account ? bareJid(account.manager) : undefined,
      error,
      settings,
      decision,
      slots: decision?.slots ?? 0,
      tasks: governor?.tasks() ?? [],
      totals: history?.totals() ?? NO_TOTALS,
      isolation: login?.isolation ?? probeSandbox(options.env).isolation,
      idle: observer?.idle ?? { source: 'none', available: false, detail: 'not read yet' },
    });
  }

  function publish(): void {
    const next = snapshot();
    const key = JSON.stringify(next);
    if (key === published) return;
    published = key;
    events.emit('changed', next);
  }

  function refuse(task: TaskSpec): string | undefined {
    if (settings.blockedJobs.includes(task.jobId)) return `job ${task.jobId} is blocked`;
    if (task.owner !== undefined && settings.blockedSubmitters.includes(task.owner))
      return `${task.owner} is blocked`;
    return undefined;
  }

  function recordEnd(task: GovernedTask, outcome: TaskOutcome): void {
    if (!history || !account || task.startedAt === undefined) return; // never ran
    const note =
      task.note ??
      outcome.stopped ??
      outcome.error ??
      (outcome.cancelled ? 'stopped: cancelled by the manager' : undefined);
    try {
      history.record(
        {
          jobId: task.spec.jobId,
          index: task.spec.index,
          attempt: task.spec.attempt,
          command: task.spec.command,
          ...(task.spec.owner === undefined ? {} : { submitter: task.spec.owner }),
          manager: bareJid(account.manager),
          startedAt: task.startedAt,
          durationMs: outcome.durationMs,
          exitCode: outcome.exitCode,
          signal: outcome.signal,
          ...(outcome.cpuSeconds === undefined ? {} : { cpuSeconds: outcome.cpuSeconds }),
          ...(note === undefined ? {} : { note }),
        },
        !outcome.cancelled,
      );
    } catch (err) {
      log.warn('could not write the history', { error: message(err) });
    }
    publish();
  }

  async function connect(a: Account, p: Profile): Promise<void> {
    if (now() < retryAt) return;
    // What this login offers: later decisions compare their slots against it.
    profile = { ...p, slots: decision?.slots ?? p.slots };
    const next = await openWorkerLogin({
      service: serviceUrl(a.server),
      jid: a.jid,
      password: a.password,
      manager: a.manager,
      pin: a.pin,
      allowPlaintext: a.allowPlaintext,
      dataDir: a.dataDir,
      name,
      profile,
      executor: headless?.executor,
      wrap: (executor) => {
        governor = createGovernor({
          executor,
          now,
          mayStart: (ramMb) => mayStart(settings, observer?.memory, ramMb),
          maxTaskSeconds: () => settings.maxTaskSeconds,
          onEnd: recordEnd,
        });
        return governor.executor;
      },
      refuse,
      paused: decision !== undefined && !decision.run,
      log,
      onChange() {
        if (login?.online) error = undefined;
        publish();
      },
      onError(err) {
        error = err.message;
        log.warn('xmpp', { code: err.code, error: err.message });
        publish();
      },
    });
    login = next;
    presence = '';
    try {
      await next.start();
      retryAt = 0;
      retryMs = RETRY_MIN_MS;
    } catch (err) {
      login = undefined;
      error = message(err);
      await next.stop();
      if (headless) throw err;
      log.warn('could not log in; will retry', { error, retryMs });
      retryAt = now() + retryMs;
      retryMs = Math.min(retryMs * 2, RETRY_MAX_MS);
    }
  }

  async function evaluate(): Promise<void> {
    if (!account || !profile || !observer || stopped) return;
    const ours = { cpuSeconds: governor?.cpuSeconds() ?? 0, rssMb: governor?.rssMb() ?? 0 };
    const observed = await observer.look(now(), profile.cores, ours);
    const result = decide(settings, observed, policy, headless?.slots);
    policy = result.state;
    decision = result.decision;
    if (!login) return connect(account, profile);
    const worker = login.worker;
    governor?.apply(decision);
    // Presence first: the manager must see us away before we give anything back.
    const wanted = presenceFor(decision);
    const key = wanted === undefined ? 'available' : `${wanted.show}: ${wanted.status}`;
    if (key !== presence) {
      presence = key;
      if (wanted === undefined) await worker.resume();
      else await worker.pause(wanted.show, wanted.status);
    }
    if (decision.slots !== profile.slots) {
      profile = { ...profile, slots: decision.slots };
      log.info('offering a new number of slots', { slots: decision.slots });
      worker.updateProfile(profile);
    }
    const late = overdue(governor?.tasks() ?? [], now(), settings.suspendLimitSeconds);
    if (late.length > 0) {
      const limit = settings.suspendLimitSeconds;
      const held = limit < 120 ? `${limit} s` : `${Math.round(limit / 60)} min`;
      for (const t of late) t.note = `given back: held more than ${held} (${decision.reason})`;
      worker.handBack(
        late.map((t) => ({ job_id: t.spec.jobId, index: t.spec.index, attempt: t.spec.attempt })),
        'suspended',
      );
    }
  }

  /** One look at the machine; what goes wrong is logged and shown, and the next look retries. */
  async function step(): Promise<void> {
    try {
      await evaluate();
    } catch (err) {
      if (headless && !login) throw err;
      error = message(err);
      log.warn('could not apply the policy', { error });
    } finally {
      publish();
    }
  }

  function tick(): void {
    if (tickPending) return; // a slow login must not pile up looks behind it
    tickPending = true;
    void serial(step)
      .catch(() => undefined) // step() has logged and shown it
      .finally(() => {
        tickPending = false;
      });
  }

  /** Reads the account; false (and `configured` false) when the machine has not joined yet. */
  async function readAccount(): Promise<boolean> {
    const config = loadWorkerConfig(options.flags ?? {}, options.env, options.configPath);
    dataDir = config.dataDir;
    try {
      account = requireKeys(
        config,
        ['jid', 'password', 'manager'],
        'the worker’s account and its manager',
      );
    } catch (err) {
      if (headless) throw err;
      return false;
    }
    profile = await readProfile({ provides: config.provides, slots: headless?.slots });
    history = createHistory({ dataDir: config.dataDir, name, now });
    return true;
  }

  function start(): Promise<void> {
    return serial(async () => {
      if (account || stopped) return;
      try {
        const config = loadWorkerConfig(options.flags ?? {}, options.env, options.configPath);
        // Settings first: they can be changed even while the machine has not joined a pool.
        if (!headless) {
          store = createSettingsStore(config.dataDir);
          settings = store.load();
        }
        observer = createObserver(
          {
            ...defaultProbes({
              idleSource: settings.idleSource,
              idleSeconds: options.idleSeconds,
              onBattery: options.onBattery,
              env: options.env,
            }),
            ...options.probes,
          },
          log,
        );
        if (!(await readAccount())) {
          publish();
          return;
        }
      } catch (err) {
        error = message(err);
        publish();
        throw err;
      }
      log.info('worker starting', { name, cores: profile?.cores, ...settings });
      await step();
      timer = setInterval(tick, pollMs);
    });
  }

  function setSettings(patch: unknown): Promise<VolunteerSnapshot> {
    return serial(async () => {
      if (!store) throw new VolunteerError('settings cannot be saved before the volunteer starts');
      const next = mergeSettings(settings, patch);
      store.save(next);
      settings = next;
      await step();
      return snapshot();
    });
  }

  function join(request: JoinRequest): Promise<VolunteerSnapshot> {
    return serial(async () => {
      if (!dataDir) throw new VolunteerError('the volunteer has not started');
      if (account) throw new VolunteerError(`already joined as ${account.jid}`);
      const joined = await joinPool(request, dataDir);
      log.info('joined a pool', { jid: joined.jid, manager: joined.manager });
      await readAccount();
      await step();
      timer ??= setInterval(tick, pollMs);
      return snapshot();
    });
  }

  function stop(): Promise<void> {
    stopped = true;
    clearInterval(timer);
    return serial(async () => {
      const old = login;
      login = undefined;
      governor?.close();
      await old?.stop();
      publish();
    });
  }

  return Object.assign(events, {
    snapshot,
    start,
    setSettings,
    pause: (mode: PauseMode = 'suspend') => setSettings({ paused: true, pauseMode: mode }),
    resume: () => setSettings({ paused: false }),
    join,
    history: (request?: PageRequest) =>
      history?.page(request) ?? { items: [], total: 0, offset: 0 },
    stop,
  });
}
