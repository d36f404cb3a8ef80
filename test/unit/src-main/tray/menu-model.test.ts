import { describe, expect, it } from 'vitest';
import type { VolunteerSnapshot } from '../../../../shared/api.ts';
import { statusLine, TOOLTIP_MAX, trayModel } from '../../../../src-main/tray/menu-model.ts';
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
});
