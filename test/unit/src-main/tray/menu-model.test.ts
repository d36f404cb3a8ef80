import { describe, expect, it } from 'vitest';
import type { PoolCounters, VolunteerSnapshot } from '../../../../shared/api.ts';
import {
  headTrayModel,
  statusLine,
  TOOLTIP_MAX,
  trayModel,
} from '../../../../src-main/tray/menu-model.ts';
import { DEFAULT_SETTINGS } from '../../../../src-main/volunteer/settings.ts';

const snapshot = (over: Partial<VolunteerSnapshot> = {}): VolunteerSnapshot => ({
  state: 'idle',
  reason: 'ok',
  running: 0,
  slots: 2,
  manager: 'manager@pool.example',
  jid: 'alice@pool.example/desk',
  error: undefined,
  configured: true,
  settings: { ...DEFAULT_SETTINGS },
  tasks: [],
  suspended: 0,
  totals: { tasks: 0, cpuHours: 0, today: { tasks: 0, cpuHours: 0 }, days: [] },
  isolation: { kind: 'bubblewrap', detail: 'bubblewrap sandbox' },
  idle: { source: 'electron', available: true, detail: 'Electron', idleSeconds: 5 },
  ...over,
});

describe('tray menu model', () => {
  it.each([
    [{ state: 'idle' }, 'Idle, waiting for tasks'],
    [{ state: 'working', running: 1 }, 'Working on 1 task'],
    [{ state: 'working', running: 3 }, 'Working on 3 tasks'],
    [{ state: 'paused', reason: 'paused' }, 'Paused'],
    [{ state: 'paused', reason: 'paused', running: 2 }, 'Paused (finishing 2 tasks)'],
    [{ state: 'paused', reason: 'user_active' }, 'Waiting until you are away'],
    [
      { state: 'paused', reason: 'on_battery', running: 1 },
      'Paused while on battery (finishing 1 task)',
    ],
    [{ state: 'paused', reason: 'paused', running: 2, suspended: 2 }, 'Paused (2 tasks suspended)'],
    [
      { state: 'paused', reason: 'cpu_busy', running: 1, suspended: 1 },
      'Paused while other programs are busy (1 task suspended)',
    ],
    [{ state: 'paused', reason: 'schedule' }, 'Paused outside your computing hours'],
    [{ state: 'offline', configured: false }, 'Not in a pool yet: open Kestrel to join one'],
    [{ state: 'offline' }, 'Offline'],
    [{ state: 'offline', error: 'authentication failed' }, 'Offline: authentication failed'],
  ] as const)('%j reads “%s”', (over, line) => {
    expect(statusLine(snapshot(over))).toBe(line);
    const model = trayModel(snapshot(over));
    expect(model.items[0]).toEqual({ label: line, enabled: false });
    expect(model.tooltip).toBe(`Kestrel volunteer for manager@pool.example\n${line}`);
  });

  it('offers Pause, Open and Quit while not paused by the volunteer', () => {
    const { items } = trayModel(snapshot({ state: 'working', running: 1 }));
    expect(items.map((i) => i.type ?? i.action ?? 'status')).toEqual([
      'status',
      'separator',
      'pause',
      'pause-after',
      'open',
      'separator',
      'quit',
    ]);
    expect(items.filter((i) => i.action).every((i) => i.enabled)).toBe(true);
  });

  it('offers Resume once the volunteer paused, even while offline', () => {
    const paused = { ...DEFAULT_SETTINGS, paused: true };
    for (const state of ['paused', 'offline'] as const) {
      const { items } = trayModel(snapshot({ state, reason: 'paused', settings: paused }));
      expect(items[2]).toEqual({ label: 'Resume', enabled: true, action: 'resume' });
      expect(items.some((i) => i.action === 'pause')).toBe(false);
    }
  });

  it('offers no pause before the volunteer has joined a pool', () => {
    const { items } = trayModel(snapshot({ state: 'offline', configured: false }));
    expect(items.map((i) => i.type ?? i.action ?? 'status')).toEqual([
      'status',
      'separator',
      'open',
      'separator',
      'quit',
    ]);
  });

  it('offers Pause when the policy (not the volunteer) holds work back', () => {
    const { items } = trayModel(snapshot({ state: 'paused', reason: 'user_active' }));
    expect(items[2]).toEqual({ label: 'Pause now', enabled: true, action: 'pause' });
  });

  it('keeps the tooltip within what Windows shows, and says so with an ellipsis', () => {
    const model = trayModel(snapshot({ state: 'offline', error: 'x'.repeat(500) }));
    expect(model.tooltip.length).toBe(TOOLTIP_MAX);
    expect(model.tooltip.endsWith('…')).toBe(true);
    expect(model.items[0]!.label.length).toBeLessThanOrEqual(80);
  });

  it('leaves out the manager before the configuration is read', () => {
    expect(trayModel(snapshot({ state: 'offline', manager: undefined })).tooltip).toBe(
      'Kestrel volunteer\nOffline',
    );
  });

  it.each([
    [{ state: 'idle' }, 'idle'],
    [{ state: 'working', running: 2 }, 'working'],
    [{ state: 'paused', reason: 'paused' }, 'paused'],
    [{ state: 'offline' }, 'offline'],
    [{ state: 'offline', configured: false }, 'offline'],
    [{ state: 'offline', error: 'the server refused the account' }, 'error'],
  ] as const)('draws %j with the %s icon', (over, icon) => {
    expect(trayModel(snapshot(over)).state).toBe(icon);
  });
});

const counters = (over: Partial<PoolCounters> = {}): PoolCounters => ({
  workers: { available: 1, busy: 2, paused: 0, unresponsive: 0, reporting: 0, total: 3 },
  slots: { total: 8, used: 5 },
  tasks: { queued: 40, running: 5 },
  jobs: { active: 2, finished: 1 },
  ...over,
});

describe('tray menu model of a head node', () => {
  it('shows the pool’s counters and offers Open, Submit job…, Pool… and Quit', () => {
    const model = headTrayModel({ domain: 'lab.example', counters: counters(), error: undefined });
    expect(model.state).toBe('working');
    expect(model.tooltip).toBe(
      'Kestrel head node lab.example\n3 workers · 5 of 8 slots busy · 40 queued',
    );
    expect(
      model.items.map((i) => (i.type === 'separator' ? '—' : `${i.label}:${i.enabled}`)),
    ).toEqual([
      '3 workers · 5 of 8 slots busy · 40 queued:false',
      '—',
      'Open Kestrel…:true',
      'Submit job…:true',
      'Pool…:true',
      '—',
      'Quit Kestrel:true',
    ]);
    expect(model.items.map((i) => i.action).filter(Boolean)).toEqual([
      'open',
      'submit',
      'pool',
      'quit',
    ]);
  });

  it('is idle with no task running, and says so for an empty pool', () => {
    const empty = counters({
      workers: { available: 0, busy: 0, paused: 0, unresponsive: 0, reporting: 0, total: 0 },
      slots: { total: 0, used: 0 },
      tasks: { queued: 0, running: 0 },
    });
    const model = headTrayModel({ domain: 'lab.example', counters: empty, error: undefined });
    expect(model.state).toBe('idle');
    expect(model.items[0]!.label).toBe('0 workers · 0 queued');
  });

  it('is offline while starting and an error when it could not start, with the views disabled', () => {
    const starting = headTrayModel({ domain: undefined, counters: undefined, error: undefined });
    expect([starting.state, starting.items[0]!.label]).toEqual([
      'offline',
      'Starting the head node…',
    ]);
    const failed = headTrayModel({
      domain: undefined,
      counters: undefined,
      error: 'port 5222 is in use',
    });
    expect([failed.state, failed.items[0]!.label]).toEqual([
      'error',
      'Head node stopped: port 5222 is in use',
    ]);
    for (const model of [starting, failed])
      expect(
        model.items
          .filter((i) => i.action === 'submit' || i.action === 'pool')
          .map((i) => i.enabled),
      ).toEqual([false, false]);
  });
});
