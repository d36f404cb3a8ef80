import { describe, expect, it } from 'vitest';
import { whyNotRunning, type WhyWorker } from '../../../../../src-main/manager/core/why.ts';
import type { JobSpec, PresenceShow } from '../../../../../src-main/manager/core/types.ts';

type Need = Pick<JobSpec, 'requires' | 'cores' | 'ram'>;
const need = (over: Partial<Need> = {}): Need => ({ requires: [], cores: 1, ram: 0, ...over });

function worker(
  over: { cores?: number; ram?: number; provides?: string[]; slots?: number } = {},
  state: { show?: PresenceShow; freeSlots?: number; profile?: false } = {},
): WhyWorker {
  const profile = {
    os: 'Linux',
    ram: over.ram ?? 4096,
    cores: over.cores ?? 4,
    provides: over.provides ?? [],
    slots: over.slots ?? 4,
  };
  const slots = state.freeSlots ?? profile.slots;
  return {
    profile: state.profile === false ? undefined : profile,
    show: state.show,
    free: { slots, cores: slots === 0 ? 0 : profile.cores, ram: profile.ram },
  };
}

const busy = (over = {}) => worker(over, { freeSlots: 0 });
const away = (over = {}) => worker(over, { show: 'away' });

describe('whyNotRunning', () => {
  it.each<[string, Need, WhyWorker[], number, string[], number]>([
    ['an empty pool', need(), [], 0, ['no workers online'], 0],
    [
      'a pool whose workers all stopped answering',
      need(),
      [],
      2,
      ['no workers online; 2 workers stopped answering'],
      0,
    ],
    [
      'workers online that have not reported',
      need(),
      [worker({}, { profile: false }), worker({}, { profile: false })],
      0,
      ['2 workers online, none has sent its profile yet'],
      0,
    ],
    [
      'a tag no worker provides',
      need({ requires: ['GPU'] }),
      [worker({ provides: ['linux'] }), worker()],
      0,
      ['no worker provides GPU'],
      0,
    ],
    [
      'two tags, neither provided',
      need({ requires: ['GPU', 'CUDA'] }),
      [worker()],
      0,
      ['no worker provides GPU', 'no worker provides CUDA'],
      0,
    ],
    [
      'tags each provided, never together',
      need({ requires: ['GPU', 'big'] }),
      [worker({ provides: ['GPU'] }), worker({ provides: ['big'] })],
      0,
      ['no worker provides all of GPU, big'],
      0,
    ],
    [
      'more cores than any worker has',
      need({ cores: 8 }),
      [worker({ cores: 4 }), worker({ cores: 2 })],
      0,
      ['needs 8 cores; the largest worker has 4'],
      0,
    ],
    [
      'more cores than the workers with the tag have',
      need({ cores: 8, requires: ['GPU'] }),
      [worker({ cores: 16 }), worker({ cores: 4, provides: ['GPU'] })],
      0,
      ['needs 8 cores; the largest worker providing GPU has 4'],
      0,
    ],
    [
      'more RAM than any worker has',
      need({ ram: 8192 }),
      [worker({ ram: 2048 })],
      0,
      ['needs 8192 MB of RAM; the largest worker has 2048 MB'],
      0,
    ],
    [
      'enough cores here and enough RAM there, never both',
      need({ cores: 8, ram: 8192 }),
      [worker({ cores: 8, ram: 1024 }), worker({ cores: 2, ram: 16384 })],
      0,
      ['needs 8 cores and 8192 MB of RAM; no worker has both'],
      0,
    ],
    [
      'every matching worker busy',
      need(),
      [busy(), busy(), busy()],
      0,
      ['all 3 matching workers are busy'],
      3,
    ],
    ['the one matching worker busy', need(), [busy()], 0, ['the one matching worker is busy'], 1],
    [
      'both matching workers paused',
      need(),
      [away(), away()],
      0,
      ['both matching workers are paused'],
      2,
    ],
    [
      'every matching worker paused',
      need(),
      [away(), away(), away()],
      0,
      ['every matching worker is paused'],
      3,
    ],
    [
      'the one matching worker paused',
      need(),
      [away()],
      0,
      ['the one matching worker is paused'],
      1,
    ],
    [
      'busy and paused',
      need(),
      [busy(), busy(), away()],
      0,
      ['both matching workers are busy; 1 more is paused'],
      3,
    ],
    [
      'a worker busy with a job whose tasks are too big to share it',
      need({ cores: 4 }),
      [worker({ cores: 4 }, { freeSlots: 3 })].map((w) => ({
        ...w,
        free: { ...w.free, cores: 2 },
      })),
      0,
      ['the one matching worker is busy'],
      1,
    ],
    [
      'a free matching worker (the tasks are on their way)',
      need({ requires: ['GPU'] }),
      [busy({ provides: ['GPU'] }), worker({ provides: ['GPU'] }), worker()],
      0,
      [],
      2,
    ],
    [
      'dnd counts as paused, chat as available',
      need(),
      [worker({}, { show: 'dnd' })],
      0,
      ['the one matching worker is paused'],
      1,
    ],
  ])('%s', (_name, spec, workers, unresponsive, reasons, matching) => {
    expect(whyNotRunning(spec, 10, workers, unresponsive)).toEqual({ reasons, matching });
  });

  it('gives no reason when nothing is queued, but still counts the matching workers', () => {
    expect(whyNotRunning(need(), 0, [busy(), busy()])).toEqual({ reasons: [], matching: 2 });
    expect(whyNotRunning(need(), 3, [busy(), busy()]).reasons).toEqual([
      'both matching workers are busy',
    ]);
  });

  it('treats presence chat as available', () => {
    expect(whyNotRunning(need(), 5, [worker({}, { show: 'chat' })])).toEqual({
      reasons: [],
      matching: 1,
    });
  });
});
