import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import type { Page, PoolSummary, ThroughputPoint, WorkerView } from '../../shared/api.ts';
import OpsView from '../../src-renderer/views/OpsView.svelte';
import { fakeClient } from './fake-client.ts';
import { counters, summary, T0, worker } from './fixtures.ts';

const POOL = 10_000;

function workers({
  after,
  limit,
  search,
}: {
  after?: string;
  limit?: number;
  search?: string;
}): Page<WorkerView> {
  const all = search
    ? [
        worker(7, {
          provides: ['gpu'],
          state: 'busy',
          running: [{ jobId: 3, index: 12 }],
          runningCount: 1,
        }),
      ]
    : undefined;
  const offset = Number(after ?? 0);
  const n = limit ?? 100;
  const items =
    all ?? Array.from({ length: Math.min(n, POOL - offset) }, (_, i) => worker(offset + i + 1));
  const total = all ? all.length : POOL;
  return {
    items,
    total,
    offset,
    ...(offset + items.length < total ? { next: String(offset + n) } : {}),
  };
}

function points(): ThroughputPoint[] {
  return Array.from({ length: 60 }, (_, i) => ({
    at: T0 + i * 10_000,
    seconds: 10,
    done: i > 50 ? 40 : 0,
    failed: i === 59 ? 5 : 0,
  }));
}

function setup(admin = true) {
  const pool: PoolSummary = {
    counters: counters({ total: POOL, available: 9_000, busy: 990, paused: 10 }),
    throughput: points(),
  };
  const fake = fakeClient({
    'pool:summary': () => pool,
    'pool:workers': workers,
    'jobs:list': () => ({
      items: [
        summary({
          jobId: 9,
          counts: { queued: 50, running: 0, done: 0, failed: 0, cancelled: 0 },
          waiting: 'no worker provides GPU',
        }),
      ],
      total: 1,
      offset: 0,
    }),
    'jobs:purge': () => ({ jobs: 4 }),
  });
  render(OpsView, { client: fake.client, admin });
  return fake;
}

describe('the ops view', () => {
  it('shows a page of 10,000 workers by name in a table named Workers', async () => {
    const fake = setup();
    const table = await screen.findByRole('table', { name: 'Workers' });
    await screen.findByText('1–100 of 10,000 workers');
    const rows = within(table).getAllByRole('row');
    expect(rows).toHaveLength(101);
    expect(within(table).getByRole('rowheader', { name: /pc-1\b/ })).toBeTruthy();
    await fireEvent.click(screen.getByRole('button', { name: 'Next' }));
    await screen.findByText('101–200 of 10,000 workers');
    expect(within(table).getByRole('rowheader', { name: /pc-101\b/ })).toBeTruthy();
    expect(fake.callsOf('pool:workers').at(-1)).toEqual([{ after: '100', limit: 100 }]);
  });

  it('searches the workers by tag and shows their current tasks', async () => {
    const fake = setup();
    await screen.findByText('1–100 of 10,000 workers');
    await fireEvent.input(screen.getByLabelText('Search workers'), { target: { value: 'gpu' } });
    await screen.findByText('1–1 of 1 workers');
    const row = screen.getByRole('rowheader', { name: /pc-7/ }).closest('tr')!;
    expect(within(row).getByText('busy')).toBeTruthy();
    expect(within(row).getByText('job 3 #12')).toBeTruthy();
    expect(fake.callsOf('pool:workers').at(-1)).toEqual([
      { after: '0', limit: 100, search: 'gpu' },
    ]);
  });

  it('re-fetches the page when the pool changes', async () => {
    const fake = setup();
    await screen.findByText('1–100 of 10,000 workers');
    const before = fake.callsOf('pool:workers').length;
    fake.emit('pool:changed', { counters: counters() });
    await waitFor(() => expect(fake.callsOf('pool:workers').length).toBe(before + 1));
  });

  it('shows the counters, the throughput chart and the jobs that wait with why', async () => {
    setup();
    const stats = await screen.findByRole('region', { name: 'Pool counters' });
    expect(stats.textContent?.replace(/\s+/g, ' ')).toContain('10,000');
    expect(stats.textContent).toContain('9,000 available');
    expect(
      screen.getByRole('img', {
        name: /^Tasks ended per second over the last 10 minutes: now 4.5\/s, peak 4.5\/s$/,
      }),
    ).toBeTruthy();
    const waiting = await screen.findByRole('region', { name: 'Waiting jobs' });
    await waitFor(() => expect(waiting.textContent).toContain('no worker provides GPU'));
  });

  it('purges finished jobs after a second click, for admins', async () => {
    const fake = setup();
    await fireEvent.click(await screen.findByRole('button', { name: 'Purge finished jobs…' }));
    expect(fake.callsOf('jobs:purge')).toEqual([]);
    const before = Date.now();
    await fireEvent.click(screen.getByRole('button', { name: 'Purge' }));
    await screen.findByText('Purged 4 finished jobs.');
    const after = Date.now();
    const [[{ finishedBefore }]] = fake.callsOf('jobs:purge') as [[{ finishedBefore: number }]];
    // "more than a day ago", the default choice
    expect(finishedBefore).toBeGreaterThanOrEqual(before - 86_400_000);
    expect(finishedBefore).toBeLessThanOrEqual(after - 86_400_000);
  });

  it('has no purge for others', async () => {
    setup(false);
    await screen.findByRole('table', { name: 'Workers' });
    expect(screen.queryByRole('button', { name: /Purge/ })).toBeNull();
  });
});
