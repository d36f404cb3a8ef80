// What a volunteer is (the desktop app's worker, and the headless `kestrel worker`) and what it
// takes: its options, events and methods, apart from how controller.ts does it.
import type { EventEmitter } from 'node:events';
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
import type { Config } from '../common/config.ts';
import type { Logger } from '../common/log.ts';
import type { ExecutorOptions } from '../worker/executor.ts';
import type { SecretBox } from '../worker/joined-secret.ts';
import type { Probes } from './observe.ts';

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
  /** The desktop app's keychain (Electron safeStorage): the password is kept sealed by it. */
  secrets?: SecretBox;
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

/** This host's name as an XMPP resource and directory name (the `kestrel worker --name` rule). */
export function defaultName(host = hostname()): string {
  const name = host
    .replace(/[^A-Za-z0-9_.-]/g, '-')
    .replace(/^[^A-Za-z0-9]+/, '')
    .slice(0, 64);
  return name === '' ? 'volunteer' : name;
}
