// A volunteer controller (the desktop app's worker, without Electron) for integration tests: on
// its own account of the test server, with the idle time a test sets and no battery, and with
// the shared test machine's load and memory left out of its policy.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { VolunteerSettings, VolunteerSnapshot } from '../../shared/api.ts';
import { createLogger } from '../../src-main/common/log.ts';
import { createVolunteer } from '../../src-main/volunteer/controller.ts';
import type { Volunteer } from '../../src-main/volunteer/volunteer.ts';
import { createSettingsStore } from '../../src-main/volunteer/settings.ts';
import { until } from './cpu-time.ts';
import type { Pool, UserClient } from './pool.ts';
import { uniqueUser, type TestXmppServer } from './xmpp-server.ts';

export const VOLUNTEER_PASSWORD = 'volunteer-password-1';

export interface Running {
  volunteer: Volunteer;
  dataDir: string;
  /** What the idle probe reports: seconds since the (simulated) last input. */
  idle: { seconds: number };
  log: string[];
  /** The account's local part, for a second start on the same account. */
  user: string;
  /** Removes its data directory (after stop()). */
  remove(): void;
}

/** The settings of a test volunteer: nothing of the shared test machine's load may count. */
export const TEST_SETTINGS: Partial<VolunteerSettings> = {
  notOnBattery: false,
  otherCpuLimit: 0,
  minFreeMemoryPercent: 0,
  maxMemoryPercent: 100,
};

/**
 * A volunteer on its own account (or `user`'s again), its settings saved beforehand as a
 * volunteer would have; a second start may reuse a `dataDir`, which the test removes.
 */
export async function startVolunteer(
  server: TestXmppServer,
  p: Pool,
  settings: Partial<VolunteerSettings>,
  options: { dataDir?: string; user?: string; pollMs?: number } = {},
): Promise<Running> {
  const user = options.user ?? uniqueUser('vol');
  if (!options.user) await server.createAccount(user, VOLUNTEER_PASSWORD);
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'kestrel-volunteer-'));
  const store = createSettingsStore(dataDir);
  store.save({ ...store.load(), ...TEST_SETTINGS, ...settings });
  const idle = { seconds: 3600 };
  const log: string[] = [];
  const volunteer = createVolunteer({
    env: {
      KESTREL_SERVER: server.service,
      KESTREL_JID: `${user}@${server.domain}`,
      KESTREL_PASSWORD: VOLUNTEER_PASSWORD,
      KESTREL_MANAGER: p.managerJid,
      KESTREL_DATA_DIR: dataDir,
      KESTREL_CONFIG: join(dataDir, 'no-config-file.json'),
    },
    idleSeconds: () => idle.seconds,
    probes: { battery: async () => ({ onBattery: false }) },
    name: 'desk',
    pollMs: options.pollMs ?? 100,
    log: createLogger((line) => log.push(line), 'volunteer'),
  });
  await volunteer.start();
  // The manager sends tasks only after the worker's profile (docs/PROTOCOL.md).
  await until(() => log.some((l) => l.includes('manager is online; reporting')), 'profile sent');
  return {
    volunteer,
    dataDir,
    idle,
    log,
    user,
    remove: () => rmSync(dataDir, { recursive: true, force: true }),
  };
}

/** Resolves with the first snapshot (now or later) that matches. */
export function waitForState(
  v: Volunteer,
  accept: (s: VolunteerSnapshot) => boolean,
  what: string,
  timeoutMs = 20_000,
): Promise<VolunteerSnapshot> {
  return new Promise((resolve, reject) => {
    const check = (s: VolunteerSnapshot) => {
      if (!accept(s)) return;
      clearTimeout(timer);
      v.off('changed', check);
      resolve(s);
    };
    const timer = setTimeout(() => {
      v.off('changed', check);
      reject(
        new Error(`no snapshot ${what} in ${timeoutMs} ms; last: ${JSON.stringify(v.snapshot())}`),
      );
    }, timeoutMs);
    v.on('changed', check);
    check(v.snapshot());
  });
}

/** A CPU-bound task that finishes after about `seconds` of CPU time, and is found by marker. */
export function spinCommand(marker: string, seconds: number): string {
  // dash counts about a million a second on these machines; the exact time does not matter.
  const count = Math.round(seconds * 1_000_000);
  return `sh -c 'i=0; while [ $i -lt ${count} ]; do i=$((i + 1)); done; echo counted' spin-${marker}`;
}

export async function submit(user: UserClient, command: string, queue: number): Promise<number> {
  const started = await user.ask({ type: 'job', command, queue });
  expect(started).toMatchObject({ type: 'job_started' });
  return started.job_id as number;
}

/** Per index: the attempt the manager recorded done (0 while not done). */
export function runs(p: Pool, jobId: number, queue: number): number[] {
  const rows = p.query<{ idx: number; state: string; attempt: number }>(
    'SELECT idx, state, attempt FROM tasks WHERE job_id = ?',
    jobId,
  );
  return Array.from({ length: queue }, (_, i) => {
    const row = rows.find((r) => r.idx === i);
    return row?.state === 'done' ? row.attempt : 0;
  });
}
