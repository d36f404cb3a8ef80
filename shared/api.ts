// The one API between Kestrel's running parts (the volunteer's worker, the manager, the app) and
// the renderer, whichever way it travels: Electron IPC (ipcMain.handle + contextBridge) or HTTP
// on the head node (POST /api/AREA/VERB, pushes as server-sent events). Methods are named
// `area:verb`; every reply is an envelope, so errors reach the UI intact. Pure types and
// constants: no I/O, no electron import.

/** A failure as it reaches the renderer: a stable code and a message for people. */
export interface ApiError {
  /**
   * e.g. `invalid_field`, `unknown_job`, `forbidden`, `unavailable` (this side does not offer
   * the method: jobs and pool need a manager, volunteer needs the volunteer's worker),
   * `unauthorized`, `rate_limited`, `internal`.
   */
  code: string;
  message: string;
}

/** Every reply. */
export type ApiReply<T> = { ok: true; result: T } | { ok: false; error: ApiError };

/** A page of a long list; `next` is passed back as `after` for the following page. */
export interface Page<T> {
  items: T[];
  /** Items in the whole list (not only this page). */
  total: number;
  /** Position of the first item in the whole list (0-based), for "101–200 of 10,000". */
  offset: number;
  next?: string;
}

export interface PageRequest {
  /** From a previous page's `next` (opaque). */
  after?: string;
  /** Default 100, at most 1000. */
  limit?: number;
}

export const PAGE_DEFAULT = 100;
export const PAGE_MAX = 1000;

// ---------------------------------------------------------------------------------------------
// Volunteer: the worker a desktop runs for its owner.

/**
 * What the volunteer has chosen; persisted in `volunteer.json` in the data directory. The same
 * keys configure a headless `kestrel worker` (config file, or flags). Defaults, and BOINC's
 * equivalent of each: docs/VOLUNTEER.md.
 */
export interface VolunteerSettings {
  /** The volunteer's own pause: nothing new until they resume; `pauseMode` says what runs on. */
  paused: boolean;
  /** `suspend`: running tasks stop at once ("pause now"); `finish`: they finish, nothing new comes. */
  pauseMode: PauseMode;
  /** Compute only once there has been no keyboard or mouse input for `idleSeconds`; input suspends. */
  onlyWhenIdle: boolean;
  idleSeconds: number;
  /** Where idle time is read: `auto` picks what works here (docs/VOLUNTEER.md); `off` reads none. */
  idleSource: IdleSourceName;
  /** With "only when idle", when idle time cannot be read: treat the machine as `in_use` or `away`. */
  whenIdleUnknown: 'in_use' | 'away';
  /** Suspend while the machine runs on battery. Machines without a battery are never on battery. */
  notOnBattery: boolean;
  /** On battery, suspend below this charge (percent); 0: never. */
  minBatteryPercent: number;
  /** Percent of the logical cores to fill with tasks (10–100); at least one task runs. */
  cpuCap: number;
  /** Percent of CPU time each task may use (10–100), by stopping and continuing it about once a second. */
  cpuTimeLimit: number;
  /** Suspend while other programs use more than this percent of the machine's CPU; 0: never. */
  otherCpuLimit: number;
  /** When computing is allowed, by local weekday; null: at any time. */
  schedule: WeekSchedule | null;
  /** Start no task that would bring the machine past this percent of its memory in use. */
  maxMemoryPercent: number;
  /** Suspend when the owner's programs leave less than this percent of memory free; 0: never. */
  minFreeMemoryPercent: number;
  /** Tasks suspended (or held back) longer than this are stopped and given back to the pool. */
  suspendLimitSeconds: number;
  /** Wall-clock limit of every task on this machine, below any the job sets; 0: none. */
  maxTaskSeconds: number;
  /** Bare JIDs whose tasks this machine refuses (they run elsewhere). */
  blockedSubmitters: string[];
  /** Job ids (of this pool's manager) whose tasks this machine refuses. */
  blockedJobs: number[];
  /** Start the app when the user logs in. */
  startAtLogin: boolean;
}

export type PauseMode = 'suspend' | 'finish';
export type IdleSourceName = 'auto' | 'dbus' | 'logind' | 'off';

/**
 * Hours when computing is allowed, one entry per weekday from Sunday (0) to Saturday (6), in
 * local time: from `from` to `to` (hours 0–24, fractions allowed; `from` > `to` spans midnight
 * within the day, as BOINC's start_hour/end_hour do), or null for not at all that day.
 */
export type WeekSchedule = [
  DayHours | null,
  DayHours | null,
  DayHours | null,
  DayHours | null,
  DayHours | null,
  DayHours | null,
  DayHours | null,
];
export interface DayHours {
  from: number;
  to: number;
}

/**
 * Why the volunteer takes tasks or not, the first that holds in this order. `paused`: the
 * volunteer paused; `schedule`: outside the hours allowed; `on_battery`: not on battery, and it
 * is; `battery_low`: on battery below minBatteryPercent; `user_active`: only when idle, and
 * someone uses the machine; `idle_unknown`: only when idle, and idle time cannot be read (see
 * `idle`); `memory_low`: the owner's programs leave too little memory free; `cpu_busy`: other
 * programs use more CPU than otherCpuLimit; `memory_full`: memory in use is past
 * maxMemoryPercent, so nothing new starts; `ok`: takes tasks.
 */
export type VolunteerReason =
  | 'paused'
  | 'schedule'
  | 'on_battery'
  | 'battery_low'
  | 'user_active'
  | 'idle_unknown'
  | 'memory_low'
  | 'cpu_busy'
  | 'memory_full'
  | 'ok';

/**
 * `offline`: not connected to the XMPP server; `paused`: connected, takes no new tasks (running
 * ones are suspended or finish: see `suspended`); `idle`: connected, waiting for tasks;
 * `working`: running at least one task.
 */
export type VolunteerState = 'offline' | 'idle' | 'working' | 'paused';

/** How idle time is read here, and whether it can be. */
export interface IdleDetection {
  /** What is read: e.g. `electron`, `mutter`, `screensaver`, `logind`; `none` when nothing works. */
  source: string;
  /** False when idle time cannot be read (then `whenIdleUnknown` applies). */
  available: boolean;
  /** For people: what is read, or why nothing can be (e.g. the Wayland trap). */
  detail: string;
  /** Seconds since the last input, at the last look. */
  idleSeconds?: number;
}

/** How tasks are kept away from the volunteer's files and the worker's credentials. */
export interface Isolation {
  /** `none`: tasks run as the volunteer's own user, unsandboxed. */
  kind: 'bubblewrap' | 'none';
  /** For people: what it protects, or why there is no sandbox. */
  detail: string;
  /**
   * Where the worker's password is kept when not in a file beside its data (the desktop app's
   * keychain, e.g. "the system keychain (gnome_libsecret)"); absent: in joined.json or the
   * config file.
   */
  credentials?: string;
}

export interface RunningTaskView {
  jobId: number;
  index: number;
  attempt: number;
  command: string;
  /** Bare JID of whoever submitted the job, when the manager says. */
  submitter?: string;
  /** Epoch milliseconds. */
  startedAt: number;
  /** CPU time of the task's processes so far, when the platform can tell. */
  cpuSeconds?: number;
  /** Stopped where it stands (or not started yet) until the machine is free again. */
  suspended: boolean;
}

/** One command that ran on this machine. */
export interface HistoryEntry {
  jobId: number;
  index: number;
  attempt: number;
  command: string;
  submitter?: string;
  manager: string;
  startedAt: number;
  durationMs: number;
  exitCode: number | null;
  signal: string | null;
  cpuSeconds?: number;
  /** What else happened: stopped over its limits, given back after a suspension, cancelled. */
  note?: string;
}

export interface DonationTotals {
  tasks: number;
  cpuHours: number;
  /** Since local midnight. */
  today: { tasks: number; cpuHours: number };
  /** Per local day, newest first, the last 30 days on which something ran. */
  days: { date: string; tasks: number; cpuHours: number }[];
}

export interface VolunteerSnapshot {
  state: VolunteerState;
  reason: VolunteerReason;
  /** Tasks running now. */
  running: number;
  /** Tasks it offers to run at once (from cpuCap and the cores). */
  slots: number;
  /** The manager's bare JID, once the configuration is read. */
  manager: string | undefined;
  /** Our full JID when online, else the configured bare JID. */
  jid: string | undefined;
  /** Why it is offline (bad configuration, server unreachable, refused login). */
  error: string | undefined;
  /** False until the volunteer has joined a pool (first run: show the join screen). */
  configured: boolean;
  settings: VolunteerSettings;
  tasks: RunningTaskView[];
  /** Tasks suspended now (also counted in `running`). */
  suspended: number;
  totals: DonationTotals;
  isolation: Isolation;
  idle: IdleDetection;
}

/**
 * Joining a pool: an invite link (`kestrel invite`), or an account entered by hand. A failed join
 * rejects with one of JOIN_ERROR_CODES, so the join screen can say what to do.
 */
export type JoinRequest =
  | { link: string }
  | { server: string; jid: string; password: string; manager: string; pin?: string };

/**
 * `bad_invite`: not a kestrel://join link, or a part is missing; `invite_used`: the one-time token
 * was used or has expired; `wrong_password`: the server refused the account; `unreachable`: no
 * answer from the server; `pin_mismatch`: the server's certificate is not the one the link pins.
 */
export const JOIN_ERROR_CODES = [
  'bad_invite',
  'invite_used',
  'wrong_password',
  'unreachable',
  'pin_mismatch',
] as const;

// ---------------------------------------------------------------------------------------------
// Jobs: submit, follow, cancel (a manager in this process, or a session with a remote one).

/** What the submit pane sends; the same fields and rules as the `job` request (docs/PROTOCOL.md). */
export interface JobInput {
  command: string;
  queue: number;
  requires?: string[];
  cores?: number;
  /** MB; 0: no requirement. */
  ram?: number;
  retries?: number;
  cleanup?: string;
}

export interface JobCounts {
  queued: number;
  running: number;
  done: number;
  failed: number;
  cancelled: number;
}

export interface JobSummary {
  jobId: number;
  owner: string;
  command: string;
  queue: number;
  state: 'running' | 'finished' | 'cancelled';
  counts: JobCounts;
  /** Epoch milliseconds. */
  submittedAt: number;
  finishedAt?: number;
  /** Seconds left at the rate tasks have ended so far. */
  etaSeconds?: number;
  /** When tasks are queued and none runs: the first reason why (see WhyReport). */
  waiting?: string;
}

export interface TaskFailureView {
  index: number;
  exitCode: number | null;
  signal: string | null;
  stderrTail: string;
  stdoutTail: string;
  /** Why it could not run at all (spawn failure, lost too often). */
  error?: string;
}

/** Why a job's queued tasks are not running (like `condor_q -better-analyze`). */
export interface WhyReport {
  jobId: number;
  queued: number;
  running: number;
  /** For people, most decisive first: "no worker provides GPU", "needs 8 cores; the largest worker has 4", … Empty when nothing holds it back. */
  reasons: string[];
  /** Workers that could run it (online, providing every required tag, big enough). */
  matching: number;
}

export interface JobDetail extends JobSummary {
  requires: string[];
  /** Cores each task needs, when the job asked; absent: each task takes one slot. */
  cores?: number;
  ram: number;
  retries: number;
  cleanup?: string;
  /** The first failed tasks, by index. */
  failures: TaskFailureView[];
  why: WhyReport;
}

// ---------------------------------------------------------------------------------------------
// Pool: the ops view (admins, or the head node's own operator).

/**
 * `available`: takes tasks; `busy`: every slot in use; `paused`: presence away/xa/dnd (its owner
 * paused, or it is suspended); `unresponsive`: missed a ping, its tasks were requeued; `reporting`:
 * online, its profile not received yet.
 */
export type WorkerStateName = 'available' | 'busy' | 'paused' | 'unresponsive' | 'reporting';

export interface WorkerView {
  jid: string;
  /** The XMPP resource, the worker's --name. */
  name: string;
  state: WorkerStateName;
  os?: string;
  ram?: number;
  cores?: number;
  slots?: number;
  provides: string[];
  /** The tasks it runs now: the first WORKER_TASKS_LISTED of them (runningCount says how many). */
  running: { jobId: number; index: number }[];
  runningCount: number;
}

export const WORKER_TASKS_LISTED = 16;

export interface PoolCounters {
  workers: Record<WorkerStateName, number> & { total: number };
  slots: { total: number; used: number };
  tasks: { queued: number; running: number };
  jobs: { active: number; finished: number };
}

/** Tasks that ended in one interval. */
export interface ThroughputPoint {
  /** Epoch milliseconds at the start of the interval. */
  at: number;
  seconds: number;
  done: number;
  failed: number;
}

export interface PoolSummary {
  counters: PoolCounters;
  /** The last minutes, oldest first. */
  throughput: ThroughputPoint[];
}

// ---------------------------------------------------------------------------------------------
// The app itself.

export interface AppInfo {
  /** `volunteer`: the desktop app's default; `head`: a head node (app --head or `kestrel head`). */
  mode: 'volunteer' | 'head';
  version: string;
  /** Which method areas this side serves; the renderer shows only those views. */
  areas: ApiArea[];
  head?: { domain: string; xmppPort: number; manager: string; fingerprint?: string };
  /** Who the calls act as: on the head node's HTTP API, the head's admin account. */
  caller?: { jid: string; admin: boolean };
  /** The desktop app: what it was asked to show before the page asked (later ones: `app:open`). */
  open?: OpenRequest;
}

/**
 * What the desktop app is asked to show: a view (the tray's "Submit job…" and "Pool…") or an
 * invite link it was opened with (`kestrel://join?…`), for the volunteer to confirm.
 */
export interface OpenRequest {
  view?: 'jobs' | 'pool' | 'volunteer';
  link?: string;
}

// ---------------------------------------------------------------------------------------------
// The registry: every method with its arguments and result, every pushed event.

export interface ApiMethods {
  'app:info': { args: []; result: AppInfo };

  'volunteer:get-state': { args: []; result: VolunteerSnapshot };
  'volunteer:set-settings': { args: [Partial<VolunteerSettings>]; result: VolunteerSnapshot };
  /** Default `{ mode: 'suspend' }` ("pause now"); `finish`: finish current tasks, then pause. */
  'volunteer:pause': { args: [] | [{ mode: PauseMode }]; result: VolunteerSnapshot };
  'volunteer:resume': { args: []; result: VolunteerSnapshot };
  'volunteer:history': { args: [PageRequest]; result: Page<HistoryEntry> };
  'volunteer:join': { args: [JoinRequest]; result: VolunteerSnapshot };

  'jobs:submit': { args: [JobInput]; result: { jobId: number } };
  'jobs:list': { args: [PageRequest]; result: Page<JobSummary> };
  'jobs:get': { args: [{ jobId: number }]; result: JobDetail };
  'jobs:cancel': { args: [{ jobId?: number }]; result: { jobIds: number[]; tasks: number } };
  'jobs:why': { args: [{ jobId: number }]; result: WhyReport };
  /** Admins only: drop finished jobs from the store (seed 004's stats reset). */
  'jobs:purge': { args: [{ finishedBefore: number }]; result: { jobs: number } };

  'pool:summary': { args: []; result: PoolSummary };
  'pool:workers': { args: [PageRequest & { search?: string }]; result: Page<WorkerView> };
}

export interface ApiEvents {
  'volunteer:changed': VolunteerSnapshot;
  /** Jobs whose counts or state changed (at most a few times a second). */
  'jobs:changed': { jobs: JobSummary[] };
  'jobs:finished': { jobId: number; counts: JobCounts };
  /** Workers came, went or changed state; counters with them (at most once a second). */
  'pool:changed': { counters: PoolCounters };
  /**
   * Emitted by the client itself, not by the other side: the push channel was lost (`online`
   * false, with why) or is back, after which views re-fetch what they show.
   */
  'app:connection': { online: boolean; message?: string };
  /** The desktop app was asked to show something (a second launch, the tray). */
  'app:open': OpenRequest;
}

export type ApiMethod = keyof ApiMethods;
export type ApiEvent = keyof ApiEvents;
export type ApiArgs<M extends ApiMethod> = ApiMethods[M]['args'];
export type ApiResult<M extends ApiMethod> = ApiMethods[M]['result'];
export type ApiArea = 'app' | 'volunteer' | 'jobs' | 'pool';

/** Every method name, for registries that must list them at run time (preload, HTTP router). */
export const API_METHODS = [
  'app:info',
  'volunteer:get-state',
  'volunteer:set-settings',
  'volunteer:pause',
  'volunteer:resume',
  'volunteer:history',
  'volunteer:join',
  'jobs:submit',
  'jobs:list',
  'jobs:get',
  'jobs:cancel',
  'jobs:why',
  'jobs:purge',
  'pool:summary',
  'pool:workers',
] as const satisfies readonly ApiMethod[];

// Fails to compile when a method of ApiMethods is missing from API_METHODS.
const everyMethod: Exclude<ApiMethod, (typeof API_METHODS)[number]> extends never ? true : never =
  true;
void everyMethod;

export const API_EVENTS = [
  'volunteer:changed',
  'jobs:changed',
  'jobs:finished',
  'pool:changed',
  'app:connection',
  'app:open',
] as const satisfies readonly ApiEvent[];

/** A side's implementation: any subset of the methods (others answer `unavailable`). */
export type ApiHandlers = {
  [M in ApiMethod]?: (...args: ApiArgs<M>) => Promise<ApiResult<M>>;
};

/** What the renderer talks to, whatever the transport. */
export interface KestrelClient {
  /** Rejects with an ApiCallError carrying the error's code. */
  call<M extends ApiMethod>(method: M, ...args: ApiArgs<M>): Promise<ApiResult<M>>;
  /** Returns the function that stops listening. */
  on<E extends ApiEvent>(event: E, listener: (payload: ApiEvents[E]) => void): () => void;
}

/**
 * What a host page may put on `window.kestrel` for the renderer to use instead of HTTP (the
 * Electron preload, over ipcRenderer.invoke and ipcRenderer.on). Untyped on purpose: it is the
 * wire between two processes; the renderer's client puts the types back.
 */
export interface KestrelBridge {
  invoke(method: string, args: unknown[]): Promise<ApiReply<unknown>>;
  /** Returns the function that stops listening. */
  on(event: string, listener: (payload: unknown) => void): () => void;
}

export class ApiCallError extends Error {
  readonly code: string;

  constructor(error: ApiError) {
    super(error.message);
    this.name = 'ApiCallError';
    this.code = error.code;
  }
}
