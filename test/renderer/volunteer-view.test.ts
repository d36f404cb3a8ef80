import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import type { HistoryEntry, VolunteerSettings, VolunteerSnapshot } from '../../shared/api.ts';
import VolunteerView from '../../src-renderer/views/VolunteerView.svelte';
import { fakeClient, refuse, type FakeHandlers } from './fake-client.ts';
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
    note: 'stopped: it used 612 MB of memory, more than the 512 MB its job asked for (ram)',
  },
];

function setup(snap: VolunteerSnapshot, handlers: FakeHandlers = {}) {
  const changes: VolunteerSnapshot[] = [];
  const fake = fakeClient({
    'volunteer:pause': (request) =>
      snapshot({
        state: 'paused',
        reason: 'paused',
        settings: { ...snap.settings, paused: true, pauseMode: request?.mode ?? 'suspend' },
      }),
    'volunteer:resume': () => snapshot(),
    'volunteer:set-settings': (patch) => snapshot({ settings: { ...snap.settings, ...patch } }),
    'volunteer:history': () => ({ items: history, total: 2, offset: 0 }),
    ...handlers,
  });
  const view = render(VolunteerView, {
    client: fake.client,
    snapshot: snap,
    onchange: (s: VolunteerSnapshot) => changes.push(s),
    now: () => T0,
  });
  return { fake, changes, view };
}

const settings = (over: Partial<VolunteerSettings> = {}): VolunteerSettings => ({
  ...snapshot().settings,
  ...over,
});
const field = (label: string) => screen.getByLabelText(label, { exact: true }) as HTMLInputElement;
const save = () => fireEvent.click(screen.getByRole('button', { name: 'Save preferences' }));
const sent = (fake: ReturnType<typeof fakeClient>) =>
  fake.callsOf('volunteer:set-settings').map(([patch]) => patch);

describe('the volunteer view', () => {
  it('says it works, and shows the tasks running now with their elapsed and CPU time', async () => {
    setup(
      snapshot({
        tasks: [...snapshot().tasks.slice(0, 1), { ...snapshot().tasks[1]!, suspended: true }],
      }),
    );
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
      ['41 ~/render-frame.sh', '1207', 'maria@lab.example', '1m 23s', '1m 19s', 'running'],
      ['41 ~/render-frame.sh', '1208', 'maria@lab.example', '12s', '11s', 'suspended'],
    ]);
    expect(screen.getByRole('region', { name: 'Donated' }).textContent).toContain('3,482');
  });

  it('pauses now, or after the current tasks, and hands the new snapshot up', async () => {
    const { fake, changes } = setup(snapshot());
    await fireEvent.click(screen.getByRole('button', { name: 'Pause now' }));
    await fireEvent.click(screen.getByRole('button', { name: 'Finish current tasks, then pause' }));
    await waitFor(() =>
      expect(changes.map((s) => s.settings.pauseMode)).toEqual(['suspend', 'finish']),
    );
    expect(fake.callsOf('volunteer:pause')).toEqual([[{ mode: 'suspend' }], [{ mode: 'finish' }]]);
  });

  it('resumes when paused by the volunteer, and offers no pause then', async () => {
    const paused = snapshot({
      state: 'paused',
      reason: 'paused',
      tasks: [],
      settings: settings({ paused: true }),
    });
    const { fake } = setup(paused);
    expect(screen.queryByRole('button', { name: 'Pause now' })).toBeNull();
    await fireEvent.click(screen.getByRole('button', { name: 'Resume' }));
    await waitFor(() => expect(fake.callsOf('volunteer:resume')).toEqual([[]]));
  });

  it.each([
    [{ state: 'paused', reason: 'paused' }, {}, 'Paused by you', /running tasks are suspended/],
    [
      { state: 'paused', reason: 'paused' },
      { pauseMode: 'finish' },
      'Paused by you',
      /they run to their end, nothing new comes/,
    ],
    [{ state: 'paused', reason: 'schedule' }, {}, 'Waiting', /Outside the hours you allow/],
    [{ state: 'paused', reason: 'on_battery' }, {}, 'Waiting', /runs on battery/],
    [{ state: 'paused', reason: 'battery_low' }, {}, 'Waiting', /battery is below 20 %/],
    [
      { state: 'paused', reason: 'user_active' },
      {},
      'Waiting',
      /Someone is using this computer; tasks go on after 5m 00s without input/,
    ],
    [
      { state: 'paused', reason: 'idle_unknown' },
      {},
      'Waiting',
      /Idle time cannot be read here .* counts as in use/,
    ],
    [
      { state: 'paused', reason: 'memory_low' },
      {},
      'Waiting',
      /leave less than 5 % of memory free/,
    ],
    [{ state: 'paused', reason: 'cpu_busy' }, {}, 'Waiting', /Other programs use more than 25 %/],
    [{ state: 'paused', reason: 'memory_full' }, {}, 'Waiting', /past 90 %: running tasks go on/],
    [
      { state: 'offline', reason: 'ok', error: 'cannot reach lab.example:5222 (ECONNREFUSED)' },
      {},
      'Offline',
      /ECONNREFUSED/,
    ],
    [{ state: 'idle', reason: 'ok', running: 0 }, {}, 'Ready', /waiting for tasks from the pool/],
  ] as const)('shows %j (settings %j) as %s with why', (over, set, title, why) => {
    setup(snapshot({ ...over, tasks: [], settings: settings(set) }));
    const hero = screen.getByRole('region', { name: title });
    expect(hero.textContent).toMatch(why);
  });

  it('counts the tasks a pause holds suspended', () => {
    setup(snapshot({ state: 'paused', reason: 'user_active', suspended: 2 }));
    expect(screen.getByRole('region', { name: 'Waiting' }).textContent).toContain(
      '2 tasks suspended.',
    );
  });

  it('changes every preference in the form and saves them together, without the pause or the blocks', async () => {
    const { fake } = setup(snapshot());
    await fireEvent.click(field('Only when I am away'));
    await fireEvent.input(field('Away after'), { target: { value: '600' } });
    await fireEvent.change(field('Idle time from'), { target: { value: 'logind' } });
    await fireEvent.change(field('When idle time cannot be read, count this computer as'), {
      target: { value: 'away' },
    });
    await fireEvent.input(field('Other programs’ CPU'), { target: { value: '40' } });
    await fireEvent.click(field('Not on battery'));
    await fireEvent.input(field('Lowest battery charge'), { target: { value: '35' } });
    await fireEvent.input(field('Cores to use'), { target: { value: '75' } });
    await fireEvent.input(field('CPU time per task'), { target: { value: '50' } });
    await fireEvent.input(field('Memory in use at most'), { target: { value: '80' } });
    await fireEvent.input(field('Free memory at least'), { target: { value: '10' } });
    await fireEvent.input(field('Give suspended tasks back after'), { target: { value: '1200' } });
    await fireEvent.input(field('Longest task'), { target: { value: '3600' } });
    await fireEvent.click(field('Start when I log in'));
    expect(screen.getByText('Unsaved changes')).toBeTruthy();
    await save();
    await screen.findByText('Preferences saved.');
    expect(sent(fake)).toEqual([
      {
        onlyWhenIdle: false, // the fixture had it on
        idleSeconds: 600,
        idleSource: 'logind',
        whenIdleUnknown: 'away',
        notOnBattery: false,
        minBatteryPercent: 35,
        cpuCap: 75,
        cpuTimeLimit: 50,
        otherCpuLimit: 40,
        schedule: null,
        maxMemoryPercent: 80,
        minFreeMemoryPercent: 10,
        suspendLimitSeconds: 1200,
        maxTaskSeconds: 3600,
        startAtLogin: true,
      },
    ]);
  });

  it('checks a value by the worker’s own ranges before sending it, and says what is wrong', async () => {
    const { fake } = setup(snapshot());
    await fireEvent.input(field('Away after'), { target: { value: '5' } });
    await save();
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toBe(
      'Away after: must be a whole number of seconds from 10 to 86,400',
    );
    expect(field('Away after').getAttribute('aria-invalid')).toBe('true');
    expect(document.activeElement).toBe(field('Away after'));
    expect(sent(fake)).toEqual([]);
  });

  it('shows what the worker refused', async () => {
    setup(snapshot(), {
      'volunteer:set-settings': () => refuse('bad_settings', 'settings: cpuCap: too small'),
    });
    await save();
    expect((await screen.findByRole('alert')).textContent).toBe(
      'The worker refused: settings: cpuCap: too small',
    );
  });

  it('edits the weekly schedule: days on and off, hours across midnight', async () => {
    const { fake } = setup(snapshot());
    expect(screen.queryByRole('table', { name: 'Weekly schedule' })).toBeNull();
    await fireEvent.click(field('At any time'));
    const table = screen.getByRole('table', { name: 'Weekly schedule' });
    const days = within(table)
      .getAllByRole('row')
      .slice(1)
      .map((r) => within(r).getAllByRole('cell')[0]!.textContent?.trim());
    expect(days).toEqual([
      'Monday',
      'Tuesday',
      'Wednesday',
      'Thursday',
      'Friday',
      'Saturday',
      'Sunday',
    ]);
    await fireEvent.click(field('Sunday'));
    expect(field('Sunday from').disabled).toBe(true);
    await fireEvent.change(field('Monday from'), { target: { value: '18' } });
    await fireEvent.change(field('Monday until'), { target: { value: '8' } });
    expect(within(table).getAllByRole('row')[1]!.textContent).toContain(
      'until 08:00 and from 18:00',
    );
    await save();
    await screen.findByText('Preferences saved.');
    const all = { from: 0, to: 24 };
    expect(sent(fake)[0]).toMatchObject({
      schedule: [null, { from: 18, to: 8 }, all, all, all, all, all],
    });
  });

  it('says where idle time comes from, and when it cannot be read (the Wayland trap), what happens', async () => {
    const first = setup(snapshot());
    expect(screen.getByRole('status', { name: 'Idle detection' }).textContent).toBe(
      'Idle time from Electron powerMonitor; last input 6m 52s ago.',
    );
    first.view.unmount();
    setup(
      snapshot({
        idle: {
          source: 'none',
          available: false,
          detail:
            'on this Wayland session the desktop reports no idle time (it stays 0) and no D-Bus idle monitor answers',
        },
      }),
    );
    const line = screen.getByRole('status', { name: 'Idle detection' }).textContent ?? '';
    expect(line).toMatch(/Idle time cannot be read: on this Wayland session .* stays 0/);
    expect(line).toMatch(/counts as in use \(no tasks run\)/);
    await fireEvent.change(field('When idle time cannot be read, count this computer as'), {
      target: { value: 'away' },
    });
    expect(screen.getByRole('status', { name: 'Idle detection' }).textContent).toMatch(
      /counts as away \(tasks run even while you use it\)/,
    );
  });

  it.each([
    [
      { kind: 'bubblewrap', detail: 'bubblewrap sandbox (/usr/bin/bwrap)' },
      ['Tasks run in a sandbox', 'bubblewrap sandbox (/usr/bin/bwrap)'],
      ['No sandbox'],
    ],
    [
      {
        kind: 'none',
        detail: 'no sandbox on darwin (bubblewrap is Linux only)',
        credentials: 'the macOS Keychain',
      },
      ['No sandbox: tasks run as you', 'Why: no sandbox on darwin', 'kept in the macOS Keychain'],
      ['in a file of its data directory'],
    ],
    [
      { kind: 'none', detail: 'bubblewrap (bwrap) is not installed' },
      ['No sandbox', 'in a file of its data directory, which tasks could read'],
      ['Keychain'],
    ],
  ] as const)('says how tasks are isolated: %j', (isolation, shown, not) => {
    setup(snapshot({ isolation: { ...isolation } }));
    const text = screen.getByRole('list', { name: 'Isolation' }).textContent ?? '';
    for (const s of shown) expect(text).toContain(s);
    for (const s of not) expect(text).not.toContain(s);
  });

  it('blocks and unblocks submitters and jobs at once', async () => {
    const snap = snapshot({ settings: settings({ blockedSubmitters: ['eve@lab.example'] }) });
    const { fake } = setup(snap);
    await fireEvent.input(field('Block a submitter'), { target: { value: 'not an account' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Block submitter' }));
    expect((await screen.findByRole('alert')).textContent).toMatch(/is not an account/);
    await fireEvent.input(field('Block a submitter'), { target: { value: 'Mallory@Lab.Example' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Block submitter' }));
    await fireEvent.input(field('Block a job'), { target: { value: '17' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Block job' }));
    await fireEvent.click(screen.getByRole('button', { name: 'Unblock eve@lab.example' }));
    await waitFor(() => expect(sent(fake)).toHaveLength(3));
    expect(sent(fake)).toEqual([
      { blockedSubmitters: ['eve@lab.example', 'mallory@lab.example'] },
      { blockedJobs: [17] },
      { blockedSubmitters: [] },
    ]);
  });

  it('lists the commands that ran here with their exit codes, and blocks from a row', async () => {
    const { fake } = setup(snapshot({ settings: settings({ blockedJobs: [40] }) }));
    const table = await screen.findByRole('table', { name: 'History' });
    const rows = within(table).getAllByRole('row').slice(1);
    expect(
      rows.map((r) =>
        within(r)
          .getAllByRole('cell')
          .slice(1, 6)
          .map((c) => c.textContent?.trim()),
      ),
    ).toEqual([
      ['40 ~/render-frame.sh', '88', 'maria@lab.example', 'exit 0', '1m 24s'],
      [
        '40 ~/render-frame.sh',
        '89',
        '–',
        'exit 3 stopped: it used 612 MB of memory, more than the 512 MB its job asked for (ram)',
        '2s',
      ],
    ]);
    // Job 40 is blocked already: the rows say so instead of offering it again.
    expect(within(table).queryByRole('button', { name: 'Block job 40' })).toBeNull();
    expect(within(rows[0]!).getByText('job blocked')).toBeTruthy();
    await fireEvent.click(
      within(table).getByRole('button', { name: 'Block submitter maria@lab.example' }),
    );
    await waitFor(() => expect(sent(fake)).toEqual([{ blockedSubmitters: ['maria@lab.example'] }]));
  });

  it('takes a change made elsewhere into a clean form, and keeps the edits of one being changed', async () => {
    const { view } = setup(snapshot());
    await view.rerender({ snapshot: snapshot({ settings: settings({ cpuCap: 80 }) }) });
    expect(field('Cores to use').value).toBe('80');
    await fireEvent.input(field('Longest task'), { target: { value: '60' } });
    await view.rerender({ snapshot: snapshot({ settings: settings({ cpuCap: 30 }) }) });
    expect(field('Cores to use').value).toBe('80');
    expect(field('Longest task').value).toBe('60');
    expect(screen.getByText('Unsaved changes')).toBeTruthy();
    await fireEvent.click(screen.getByRole('button', { name: 'Undo changes' }));
    expect(field('Cores to use').value).toBe('30');
    expect(field('Longest task').value).toBe('0');
  });
});
