import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import type { JobSummary, Page } from '../../shared/api.ts';
import JobsView from '../../src-renderer/views/JobsView.svelte';
import { fakeClient } from './fake-client.ts';
import { detail, summary } from './fixtures.ts';

const pageOf = (items: JobSummary[], total = items.length, offset = 0): Page<JobSummary> => ({
  items,
  total,
  offset,
  ...(offset + items.length < total ? { next: String(offset + items.length) } : {}),
});

const job = (name: string) => screen.getByRole('article', { name });
const progressOf = (name: string) =>
  within(job(name)).getByRole('progressbar').getAttribute('aria-valuetext');

describe('the jobs list', () => {
  it('shows each job with its id, progress, counts and ETA', async () => {
    const fake = fakeClient({ 'jobs:list': () => pageOf([summary()]) });
    render(JobsView, { client: fake.client });
    await screen.findByRole('article', { name: 'Job 3' });
    expect(progressOf('Job 3')).toBe('40%');
    const text = job('Job 3').textContent ?? '';
    for (const part of ['16 done', '0 failed', '4 running', '20 queued', 'of 40', 'ETA 1m 35s'])
      expect(text.replace(/\s+/g, ' ')).toContain(part);
  });

  it('moves a job to 100% and finished when its summary is pushed', async () => {
    const fake = fakeClient({ 'jobs:list': () => pageOf([summary()]) });
    render(JobsView, { client: fake.client });
    await screen.findByRole('article', { name: 'Job 3' });
    fake.emit('jobs:changed', {
      jobs: [
        summary({
          state: 'finished',
          counts: { queued: 0, running: 0, done: 40, failed: 0, cancelled: 0 },
          finishedAt: Date.now(),
        }),
      ],
    });
    await waitFor(() => expect(progressOf('Job 3')).toBe('100%'));
    expect(within(job('Job 3')).getByText('finished')).toBeTruthy();
    expect(within(job('Job 3')).queryByRole('button', { name: 'Cancel' })).toBeNull();
  });

  it('fetches the list again when a job it does not show yet appears', async () => {
    let items = [summary()];
    const fake = fakeClient({ 'jobs:list': () => pageOf(items) });
    render(JobsView, { client: fake.client });
    await screen.findByRole('article', { name: 'Job 3' });
    items = [summary({ jobId: 4 }), summary()];
    fake.emit('jobs:changed', { jobs: [summary({ jobId: 4 })] });
    await screen.findByRole('article', { name: 'Job 4' });
    expect(fake.callsOf('jobs:list')).toHaveLength(2);
  });

  it('shows why a job waits', async () => {
    const fake = fakeClient({
      'jobs:list': () =>
        pageOf([
          summary({
            counts: { queued: 40, running: 0, done: 0, failed: 0, cancelled: 0 },
            waiting: 'no worker provides GPU',
          }),
        ]),
    });
    render(JobsView, { client: fake.client });
    expect((await screen.findByRole('note')).textContent).toBe('Waiting: no worker provides GPU');
  });

  it('pages through thousands of jobs a page at a time', async () => {
    const fake = fakeClient({
      'jobs:list': ({ after }) => {
        const offset = Number(after ?? 0);
        return pageOf(
          Array.from({ length: 25 }, (_, i) => summary({ jobId: 5000 - offset - i })),
          5000,
          offset,
        );
      },
    });
    render(JobsView, { client: fake.client });
    await screen.findByText('1–25 of 5,000 jobs');
    expect(screen.getAllByRole('article')).toHaveLength(25);
    await fireEvent.click(screen.getByRole('button', { name: 'Next' }));
    await screen.findByText('26–50 of 5,000 jobs');
    expect(screen.getByRole('article', { name: 'Job 4975' })).toBeTruthy();
    expect(fake.callsOf('jobs:list').at(-1)).toEqual([{ after: '25', limit: 25 }]);
  });

  it('opens a job’s detail with its failed tasks’ exit codes and stderr, and cancels it', async () => {
    const fake = fakeClient({
      'jobs:list': () => pageOf([summary()]),
      'jobs:get': () =>
        detail({
          counts: { queued: 22, running: 0, done: 16, failed: 2, cancelled: 0 },
          failures: [
            {
              index: 7,
              exitCode: 2,
              signal: null,
              stderrTail: 'input.7 not found\n',
              stdoutTail: '',
            },
            {
              index: 9,
              exitCode: null,
              signal: 'SIGKILL',
              stderrTail: 'Killed\n',
              stdoutTail: 'partial\n',
            },
          ],
          why: {
            jobId: 3,
            queued: 22,
            running: 0,
            reasons: ['both matching workers are paused'],
            matching: 2,
          },
        }),
      'jobs:cancel': () => ({ jobIds: [3], tasks: 22 }),
    });
    render(JobsView, { client: fake.client });
    await fireEvent.click(await screen.findByRole('button', { name: 'Job 3' }));
    const region = await screen.findByRole('region', { name: 'Job 3' });
    const rows = within(within(region).getByRole('table', { name: 'Failed tasks' })).getAllByRole(
      'row',
    );
    const cells = rows.slice(1).map((r) =>
      within(r)
        .getAllByRole('cell')
        .map((c) => c.textContent?.replace(/\s+/g, ' ').trim()),
    );
    expect(cells).toEqual([
      ['7', 'exit 2', 'input.7 not found'],
      ['9', 'SIGKILL', expect.stringMatching(/^Killed stdout ?partial$/)],
    ]);
    expect(within(region).getByRole('note', { name: 'Why tasks wait' }).textContent).toContain(
      'both matching workers are paused',
    );
    await fireEvent.click(within(region).getByRole('button', { name: 'Cancel job' }));
    await waitFor(() => expect(fake.callsOf('jobs:cancel')).toEqual([[{ jobId: 3 }]]));
  });

  it('stops listening when it goes away', async () => {
    const fake = fakeClient({ 'jobs:list': () => pageOf([]) });
    const view = render(JobsView, { client: fake.client });
    await screen.findByText(/No jobs yet/);
    expect(fake.listeners('jobs:changed')).toBe(1);
    view.unmount();
    expect(fake.listeners('jobs:changed')).toBe(0);
  });
});
