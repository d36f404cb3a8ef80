// The volunteer: the worker a desktop runs for its owner. It reads the configuration (file <
// env < flags, as the `kestrel` command does) and the volunteer's settings, profiles the machine,
// logs in as a worker, and every `pollMs` looks at the machine (idle time, battery) and applies
// the policy: pausing the worker (presence `away`, so the manager sends nothing new while the
// running tasks finish) or resuming it.
//
// The CPU cap sets the slots, and the manager learns slots only from the `profile` a worker sends
// when it logs in (docs/PROTOCOL.md). So when the slots change the volunteer drains: it takes no
// new tasks until the running ones have ended and their results are acked, then logs out and in
// again with the new profile. Killing running tasks instead would waste their work; a drain
// costs at most the longest running task's time, with the slots it frees meanwhile left idle.
import { EventEmitter } from 'node:events';
import { hostname } from 'node:os';
import type { VolunteerSettings, VolunteerSnapshot, VolunteerState } from '../../shared/ipc.ts';
import { loadConfig, requireKeys, serviceUrl, type Config } from '../common/config.ts';
import { silentLogger, type Logger } from '../common/log.ts';
import { readProfile, type Profile } from '../worker/profile.ts';
import { onBatteryPower } from './battery.ts';
import { decide, type Decision, type Observations } from './policy.ts';
import { openSession, type WorkerSession } from './session.ts';
import {
  createSettingsStore,
  DEFAULT_SETTINGS,
  mergeSettings,
  type SettingsStore,
} from './settings.ts';

export interface VolunteerOptions {
  /** KESTREL_* variables and where the config file is (KESTREL_CONFIG, XDG_CONFIG_HOME). */
  env: NodeJS.ProcessEnv;
  /** Win over env and file. `slots` is not used: the volunteer's CPU cap sets the slots. */
  flags?: Config;
  /** A config file that must exist; default: the `kestrel` command's default path, if present. */
  configPath?: string;
  /** Seconds since the last keyboard or mouse input (Electron: powerMonitor.getSystemIdleTime). */
  idleSeconds(): number;
  /** Default: systeminformation's battery report. */
  onBattery?(): Promise<boolean>;
  /** XMPP resource and work directory name; default: this host's name. */
  name?: string;
  /** How often to look at the machine and apply the policy; default 5000 ms. */
  pollMs?: number;
  log?: Logger;
}

export interface VolunteerEvents {
  /** The snapshot changed; carries the new one. */
  changed: [VolunteerSnapshot];
}

export interface Volunteer extends EventEmitter<VolunteerEvents> {
  snapshot(): VolunteerSnapshot;
  /**
   * Reads config and settings, profiles the machine and logs in. Rejects only for what retrying
   * cannot fix (bad or missing configuration, a bad settings file); a server that cannot be
   * reached is retried with backoff and shown as `offline` with its error meanwhile.
   */
  start(): Promise<void>;
  /** Validates, saves and applies a change of settings. */
  setSettings(patch: unknown): Promise<VolunteerSnapshot>;
  /** The volunteer's own pause, saved: it holds across restarts until resume(). */
  pause(): Promise<VolunteerSnapshot>;
  resume(): Promise<VolunteerSnapshot>;
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

interface Worker {
  config: {
    server: string;
    jid: string;
    password: string;
    manager: string;
    dataDir: string;
    pin?: string;
    allowPlaintext?: boolean;
  };
  profile: Profile;
}

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

export function createVolunteer(options: VolunteerOptions): Volunteer {
  const { idleSeconds, onBattery = onBatteryPower, pollMs = 5_000, log = silentLogger } = options;
  const name = options.name ?? defaultName();
  const events = new EventEmitter<VolunteerEvents>();
  let settings: VolunteerSettings = { ...DEFAULT_SETTINGS };
  let store: SettingsStore | undefined;
  let worker: Worker | undefined;
  let decision: Decision | undefined;
  let session: WorkerSession | undefined;
  let onBatteryNow = false;
  let error: string | undefined;
  let retryAt = 0;
  let retryMs = RETRY_MIN_MS;
  let timer: NodeJS.Timeout | undefined;
  let tickPending = false;
  let stopped = false;
  let published = '';
  // Every change of session or presence runs in this queue, one at a time.
  let queue: Promise<unknown> = Promise.resolve();

  function serial<T>(step: () => Promise<T>): Promise<T> {
    const run = queue.then(step);
    queue = run.catch(() => undefined);
    return run;
  }

  function snapshot(): VolunteerSnapshot {
    const running = session?.worker.running() ?? 0;
    let state: VolunteerState = 'offline';
    if (session?.online) state = !decision?.run ? 'paused' : running > 0 ? 'working' : 'idle';
    return {
      state,
      reason: decision?.reason ?? (settings.paused ? 'paused' : 'ok'),
      running,
      slots: session?.slots ?? decision?.slots ?? 0,
      manager: worker?.config.manager,
      jid: session?.jid ?? worker?.config.jid,
      error: state === 'offline' ? error : undefined,
      settings: { ...settings },
    };
  }

  function publish(): void {
    const next = snapshot();
    const key = JSON.stringify(next);
    if (key === published) return;
    published = key;
    events.emit('changed', next);
  }

  async function observe(profile: Profile): Promise<Observations> {
    try {
      onBatteryNow = await onBattery();
    } catch (err) {
      log.warn('could not read the battery state; keeping the last one', { error: message(err) });
    }
    return { idleFor: idleSeconds(), onBattery: onBatteryNow, cores: profile.cores };
  }

  async function connect(w: Worker, wanted: Decision): Promise<void> {
    if (Date.now() < retryAt) return;
    const { server, jid, password, manager, dataDir, pin, allowPlaintext } = w.config;
    const next = await openSession({
      service: serviceUrl(server),
      jid,
      password,
      manager,
      pin,
      allowPlaintext,
      dataDir,
      name,
      profile: { ...w.profile, slots: wanted.slots },
      paused: !wanted.run,
      log,
      onChange() {
        if (session?.online) error = undefined;
        publish();
      },
      onError(err) {
        error = err.message;
        log.warn('xmpp', { code: err.code, error: err.message });
        publish();
      },
    });
    session = next;
    try {
      await next.start();
      retryAt = 0;
      retryMs = RETRY_MIN_MS;
    } catch (err) {
      session = undefined;
      error = message(err);
      log.warn('could not log in; will retry', { error, retryMs });
      retryAt = Date.now() + retryMs;
      retryMs = Math.min(retryMs * 2, RETRY_MAX_MS);
      await next.stop();
    }
  }

  async function evaluate(): Promise<void> {
    if (!worker || stopped) return;
    const wanted = decide(settings, await observe(worker.profile));
    decision = wanted;
    if (session && session.slots !== wanted.slots) {
      // Drain (see the top of this file): nothing new until the running tasks have ended and the
      // manager has acked their results, which a logout would otherwise lose (and rerun).
      if (session.worker.running() > 0 || session.worker.unacked() > 0) {
        if (!session.worker.paused) await session.worker.pause();
        return;
      }
      const old = session;
      session = undefined;
      log.info('logging in again to offer a new number of slots', { slots: wanted.slots });
      await old.stop();
    }
    if (!session) await connect(worker, wanted);
    else if (wanted.run && session.worker.paused) await session.worker.resume();
    else if (!wanted.run && !session.worker.paused) await session.worker.pause();
  }

  /** One look at the machine; what goes wrong is logged and shown, and the next look retries. */
  async function step(): Promise<void> {
    try {
      await evaluate();
    } catch (err) {
      error = message(err);
      log.warn('could not apply the volunteer policy', { error });
    } finally {
      publish();
    }
  }

  function tick(): void {
    if (tickPending) return; // a slow login must not pile up looks behind it
    tickPending = true;
    void serial(step).finally(() => {
      tickPending = false;
    });
  }

  function start(): Promise<void> {
    return serial(async () => {
      if (worker || stopped) return;
      try {
        const config = loadConfig(options.flags ?? {}, options.env, options.configPath);
        // Settings first: they can be changed even while the account is not configured yet.
        store = createSettingsStore(config.dataDir);
        settings = store.load();
        const ready = requireKeys(
          config,
          ['jid', 'password', 'manager'],
          'the volunteer’s account and its manager',
        );
        worker = { config: ready, profile: await readProfile({ provides: config.provides }) };
      } catch (err) {
        error = message(err);
        publish();
        throw err;
      }
      log.info('volunteer starting', { name, cores: worker.profile.cores, ...settings });
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

  function stop(): Promise<void> {
    stopped = true;
    clearInterval(timer);
    return serial(async () => {
      const old = session;
      session = undefined;
      await old?.stop();
      publish();
    });
  }

  return Object.assign(events, {
    snapshot,
    start,
    setSettings,
    pause: () => setSettings({ paused: true }),
    resume: () => setSettings({ paused: false }),
    stop,
  });
}
