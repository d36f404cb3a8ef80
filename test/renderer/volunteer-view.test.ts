import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import type { HistoryEntry, VolunteerSnapshot } from '../../shared/api.ts';
import VolunteerView from '../../src-renderer/views/VolunteerView.svelte';
import { fakeClient } from './fake-client.ts';
import { snapshot, T0 } from './fixtures.ts';

const history: HistoryEntry[] = [
  {
    jobId: 40,
    index: 88,
    attempt: 1,
    command: '~/render-frame.sh',
    submitter: 'maria@lab.example',
    manager: 'manager@lab.example',
    startedAt: T0 - 3_600_000,
    durationMs: 84_000,
    exitCode: 0,
    signal: null,
  },
  {
    jobId: 40,
    index: 89,
    attempt: 1,
    command: '~/render-frame.sh',
    manager: 'manager@lab.example',
    startedAt: T0 - 3_500_000,
    durationMs: 2_000,
    exitCode: 3,
    signal: null,
  },
];

function setup(snap: VolunteerSnapshot) {
  const changes: VolunteerSnapshot[] = [];
  const fake = fakeClient({
    'volunteer:pause': () =>
      snapshot({ state: 'paused', reason: 'paused', settings: { ...snap.settings, paused: true } }),
    'volunteer:resume': () => snapshot(),
    'volunteer:set-settings': (patch) => snapshot({ settings: { ...snap.settings, ...patch } }),
    'volunteer:history': () => ({ items: history, total: 2, offset: 0 }),
  });
  render(VolunteerView, {
    client: fake.client,
    snapshot: snap,
    onchange: (s: VolunteerSnapshot) => changes.push(s),
    now: () => T0,
  });
  return { fake, changes };
}

describe('the volunteer view', () => {
  it('says it works, and shows the tasks running now with their elapsed and CPU time', async () => {
    setup(snapshot());
    expect(screen.getByRole('heading', { name: 'Working' })).toBeTruthy();
    expect(screen.getByText('Running 2 of 4 tasks for the pool.')).toBeTruthy();
    const rows = within(screen.getByRole('table', { name: 'Running now' }))
      .getAllByRole('row')
      .slice(1);
    expect(
      rows.map((r) =>
        within(r)
          .getAllByRole('cell')
          .map((c) => c.textContent?.trim()),
      ),
    ).toEqual([
      ['41 ~/render-frame.sh', '1207', 'maria@lab.example', '1m 23s', '1m 19s'],
      ['41 ~/render-frame.sh', '1208', 'maria@lab.example', '12s', '11s'],
    ]);
    expect(screen.getByRole('region', { name: 'Donated' }).textContent).toContain('3,482');
  });

  it('pauses on Pause and hands the new snapshot up', async () => {
    const { fake, changes } = setup(snapshot());
    await fireEvent.click(screen.getByRole('button', { name: 'Pause' }));
    await waitFor(() => expect(changes.map((s) => s.state)).toEqual(['paused']));
    expect(fake.callsOf('volunteer:pause')).toEqual([[]]);
  });

  it.each([
    [{ state: 'paused', reason: 'paused' }, 'Paused by you', /No new tasks until you resume/],
    [
      { state: 'paused', reason: 'user_active' },
      'Waiting',
      /Someone is using this computer; tasks start after 5m 00s/,
    ],
    [{ state: 'paused', reason: 'on_battery' }, 'Waiting', /runs on battery/],
    [
      { state: 'offline', reason: 'ok', error: 'cannot reach lab.example:5222 (ECONNREFUSED)' },
      'Offline',
      /ECONNREFUSED/,
    ],
    [
      { state: 'idle', reason: 'ok', tasks: [], running: 0 },
      'Ready',
      /waiting for tasks from the pool/,
    ],
  ] as const)('shows %j as %s with why', (over, title, why) => {
    setup(snapshot({ ...over, tasks: 'tasks' in over ? [...over.tasks] : [] }));
    const hero = screen.getByRole('region', { name: title });
    expect(hero.textContent).toMatch(why);
  });

  it('resumes when paused by the volunteer', async () => {
    const paused = snapshot({
      state: 'paused',
      reason: 'paused',
      tasks: [],
      settings: { ...snapshot().settings, paused: true },
    });
    const { fake } = setup(paused);
    await fireEvent.click(screen.getByRole('button', { name: 'Resume' }));
    await waitFor(() => expect(fake.callsOf('volunteer:resume')).toEqual([[]]));
  });

  it('saves the preferences the worker supports, without touching the pause', async () => {
    const { fake } = setup(snapshot());
    await fireEvent.click(screen.getByLabelText('Start when I log in'));
    await fireEvent.click(screen.getByRole('button', { name: 'Save preferences' }));
    await screen.findByText('Preferences saved.');
    const { paused: _paused, ...rest } = snapshot().settings;
    expect(fake.callsOf('volunteer:set-settings')).toEqual([[{ ...rest, startAtLogin: true }]]);
  });

  it('lists the commands that ran here with their exit codes', async () => {
    setup(snapshot());
    const table = await screen.findByRole('table', { name: 'History' });
    const rows = within(table).getAllByRole('row').slice(1);
    expect(
      rows.map((r) =>
        within(r)
          .getAllByRole('cell')
          .slice(1)
          .map((c) => c.textContent?.trim()),
      ),
    ).toEqual([
      ['40 ~/render-frame.sh', '88', 'maria@lab.example', 'exit 0', '1m 24s'],
      ['40 ~/render-frame.sh', '89', '–', 'exit 3', '2s'],
    ]);
  });
});
