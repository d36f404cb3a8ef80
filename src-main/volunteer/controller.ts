// A worker governed by its owner's preferences: the desktop app's volunteer, and the headless
// `kestrel worker` (which passes its settings and options as `headless`). It reads the
// configuration (file < env < flags, or DATA_DIR/joined.json once the machine has joined),
// logs in, and every `pollMs` looks at the machine (observe.ts), asks the policy (policy.ts)
// and applies its decision: to the tasks through the governor (suspend, throttle, hold back),
// to the manager through presence (`away` when it takes nothing new, `xa` while its tasks are
// suspended) and through a `profile` update when the slots change. Tasks held longer than
// suspendLimitSeconds are given back (`return_tasks`), so the pool is not held hostage.
import { EventEmitter } from 'node:events';
import type {
  JoinRequest,
  PageRequest,
  PauseMode,
  VolunteerSettings,
  VolunteerSnapshot,
} from '../../shared/api.ts';
import { requireKeys, serviceUrls, type Config } from '../common/config.ts';
import { bareJid } from '../common/jid.ts';
import { silentLogger } from '../common/log.ts';
import type { TaskOutcome } from '../worker/executor.ts';
import { joinPool, loadWorkerConfig } from '../worker/join.ts';
import { offeringSlots, readProfile, type Profile } from '../worker/profile.ts';
import { probeSandbox } from '../worker/sandbox.ts';
import { openWorkerLogin, type WorkerLogin } from '../worker/worker-login.ts';
import { createGovernor, type Governor, type GovernedTask } from './governor.ts';
import { createHistory, historyEntry, type History } from './history.ts';
import { createApplier, type Applier } from './apply.ts';
import { createObserver, defaultProbes, type Observer } from './observe.ts';
import {
  decide,
  INITIAL_STATE,
  mayStart,
  refusal,
  type Decision,
  type PolicyState,
} from './policy.ts';
import { buildSnapshot, NO_TOTALS } from './snapshot.ts';
import {
  createSettingsStore,
  DEFAULT_SETTINGS,
  mergeSettings,
  type SettingsStore,
} from './settings.ts';
import {
  defaultName,
  VolunteerError,
  type Volunteer,
  type VolunteerEvents,
  type VolunteerOptions,
} from './volunteer.ts';

const RETRY_MIN_MS = 1_000;
const RETRY_MAX_MS = 60_000;

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
  let applier: Applier | undefined;
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
      isolation: {
        ...(login?.isolation ?? probeSandbox(options.env).isolation),
        ...(options.secrets ? { credentials: options.secrets.detail } : {}),
      },
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

  function recordEnd(task: GovernedTask, outcome: TaskOutcome): void {
    if (!history || !account) return;
    const ended = historyEntry(task, outcome, bareJid(account.manager));
    if (ended === undefined) return; // it never ran
    try {
      history.record(ended.entry, ended.counted);
    } catch (err) {
      log.warn('could not write the history', { error: message(err) });
    }
    publish();
  }

  async function connect(a: Account, p: Profile): Promise<void> {
    if (now() < retryAt) return;
    // What this login offers: later decisions compare their slots against it.
    profile = offeringSlots(p, decision?.slots ?? p.slots);
    const next = await openWorkerLogin({
      service: serviceUrls(a.server),
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
      refuse: (task) => refusal(settings, task),
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
    applier = createApplier({ worker: next.worker, governor, log, now });
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
    governor?.apply(decision);
    profile = (await applier?.apply(decision, settings, profile)) ?? profile;
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

  function makeObserver(): Observer {
    const probes = defaultProbes({
      idleSource: settings.idleSource,
      idleSeconds: options.idleSeconds,
      onBattery: options.onBattery,
      env: options.env,
    });
    return createObserver({ ...probes, ...options.probes }, log);
  }

  /** Reads the account; false (and `configured` false) when the machine has not joined yet. */
  async function readAccount(): Promise<boolean> {
    const config = loadWorkerConfig(
      options.flags ?? {},
      options.env,
      options.configPath,
      options.secrets,
    );
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
        const config = loadWorkerConfig(
          options.flags ?? {},
          options.env,
          options.configPath,
          options.secrets,
        );
        // Settings first: they can be changed even while the machine has not joined a pool.
        if (!headless) {
          store = createSettingsStore(config.dataDir);
          settings = store.load();
        }
        observer = makeObserver();
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
      const sourceChanged = next.idleSource !== settings.idleSource;
      settings = next;
      if (sourceChanged) observer = makeObserver();
      await step();
      return snapshot();
    });
  }

  function join(request: JoinRequest): Promise<VolunteerSnapshot> {
    return serial(async () => {
      if (!dataDir) throw new VolunteerError('the volunteer has not started');
      if (account) throw new VolunteerError(`already joined as ${account.jid}`);
      const joined = await joinPool(request, dataDir, options.secrets);
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
