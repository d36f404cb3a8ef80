// Shared by the hostile-input tests: send a bad input, check it is refused, count what was tried,
// and prove afterwards that nothing changed that should not have and that the pool still works.
import { expect } from 'vitest';

import type { Pool, Reply, UserClient } from '../../harness/pool.ts';

export interface Tally {
  tried: number;
  refused: number;
  /** Inputs the rules allow (within the rate limit, a harmless “cancel all mine”), served. */
  allowed: number;
  /** Inputs answered with something other than the expected refusal. */
  unexpected: string[];
}

export function createTally(): Tally {
  return { tried: 0, refused: 0, allowed: 0, unexpected: [] };
}

// The manager allows 10 requests a second per JID (burst 30); a paced probe stays under it so
// a refusal is the input's own, never `rate_limited`.
const PACE_MS = 120;
const lastSent = new WeakMap<UserClient, number>();

async function paced(user: UserClient): Promise<void> {
  const wait = (lastSent.get(user) ?? 0) + PACE_MS - Date.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  lastSent.set(user, Date.now());
}

/** Sends `body` and expects a reply matching `want` (by default any `error`). */
export async function expectRefused(
  tally: Tally,
  user: UserClient,
  body: string | object,
  want: Record<string, unknown> = { type: 'error' },
): Promise<Reply> {
  tally.tried += 1;
  await paced(user);
  const reply = await user.ask(body);
  const label = (typeof body === 'string' ? body : JSON.stringify(body)).slice(0, 80);
  const matches = Object.entries(want).every(([key, value]) =>
    value instanceof RegExp ? value.test(String(reply[key])) : reply[key] === value,
  );
  if (matches) tally.refused += 1;
  else tally.unexpected.push(`${label} → ${JSON.stringify(reply).slice(0, 200)}`);
  expect(reply, label).toMatchObject(
    Object.fromEntries(
      Object.entries(want).map(([k, v]) => [k, v instanceof RegExp ? expect.stringMatching(v) : v]),
    ),
  );
  if (reply.type === 'error') expect(String(reply.reason).length, label).toBeGreaterThan(0);
  return reply;
}

/** Sends an input the rules allow and expects it served: a reply whose `type` is `want`. */
export async function expectServed(
  tally: Tally,
  user: UserClient,
  body: string | object,
  want: string,
): Promise<Reply> {
  tally.tried += 1;
  await paced(user);
  const reply = await user.ask(body);
  const label = (typeof body === 'string' ? body : JSON.stringify(body)).slice(0, 80);
  if (reply.type === want) tally.allowed += 1;
  else tally.unexpected.push(`${label} → ${JSON.stringify(reply).slice(0, 200)}`);
  expect(reply.type, label).toBe(want);
  return reply;
}

/** Everything the manager has recorded, as one comparable value. */
export function storeSnapshot(pool: Pool): string {
  const jobs = pool.query(
    'SELECT id, owner, cancelled_at, finished_at, done FROM jobs ORDER BY id',
  );
  const tasks = pool.query(
    'SELECT job_id, idx, state, attempt, worker, exit_code, ended_at FROM tasks ORDER BY job_id, idx',
  );
  return JSON.stringify({ jobs, tasks });
}

export function managerAlive(pool: Pool): boolean {
  const child = pool.manager.child;
  return child.exitCode === null && child.signalCode === null;
}

/** The manager is alive, answers, and runs a small job to the end. */
export async function poolStillWorks(pool: Pool, user: UserClient): Promise<void> {
  expect(managerAlive(pool)).toBe(true);
  await paced(user);
  const started = await user.ask({ type: 'job', command: 'true', queue: 3 });
  expect(started).toMatchObject({ type: 'job_started' });
  const finished = await user.waitFor(
    (r) => r.type === 'job_finished' && r.job_id === started.job_id,
    60_000,
  );
  expect(finished).toMatchObject({ done: 3, failed: 0 });
}

/** The figures the brief asks for: inputs tried, refused as expected, crashes. */
export function report(name: string, tally: Tally, crashes: number): string {
  const line =
    `hostile ${name}: ${tally.tried} inputs tried, ${tally.refused} refused as expected, ` +
    `${tally.allowed} allowed as expected, ${tally.unexpected.length} answered otherwise, ` +
    `${crashes} crashes`;
  return tally.unexpected.length > 0 ? `${line}\n  ${tally.unexpected.join('\n  ')}` : line;
}
