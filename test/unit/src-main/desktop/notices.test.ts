import { describe, expect, it } from 'vitest';
import { createOfflineWatch, finishedNotice } from '../../../../src-main/desktop/notices.ts';
import { snapshot } from '../../../renderer/fixtures.ts';

const MIN = 60_000;

describe('desktop notifications', () => {
  it('says how a finished job ended', () => {
    expect(
      finishedNotice({
        jobId: 12,
        counts: { queued: 0, running: 0, done: 28, failed: 2, cancelled: 0 },
      }),
    ).toEqual({ title: 'Kestrel: job 12 finished', body: '28 done, 2 failed' });
    expect(
      finishedNotice({
        jobId: 3,
        counts: { queued: 0, running: 0, done: 0, failed: 0, cancelled: 5 },
      }).body,
    ).toBe('0 done, 5 cancelled');
  });

  it('tells once that the worker has been offline for five minutes, with why', () => {
    const watch = createOfflineWatch();
    const offline = snapshot({ state: 'offline', error: 'connect ECONNREFUSED 10.0.0.2:5222' });
    expect(watch.observe(offline, 0)).toBeUndefined();
    expect(watch.observe(offline, 4 * MIN)).toBeUndefined();
    expect(watch.observe(offline, 5 * MIN)).toEqual({
      title: 'Kestrel is offline',
      body: 'This computer has not been connected to its pool for 5 minutes: connect ECONNREFUSED 10.0.0.2:5222. It keeps trying.',
    });
    expect(watch.observe(offline, 30 * MIN)).toBeUndefined();
  });

  it('starts counting again after the worker was back online', () => {
    const watch = createOfflineWatch(MIN);
    const offline = snapshot({ state: 'offline' });
    watch.observe(offline, 0);
    expect(watch.observe(snapshot({ state: 'idle' }), 50_000)).toBeUndefined();
    expect(watch.observe(offline, 60_000)).toBeUndefined();
    expect(watch.observe(offline, 120_000)?.title).toBe('Kestrel is offline');
  });

  it('never tells a volunteer who has not joined a pool yet', () => {
    const watch = createOfflineWatch(MIN);
    const fresh = snapshot({ state: 'offline', configured: false });
    watch.observe(fresh, 0);
    expect(watch.observe(fresh, 60 * MIN)).toBeUndefined();
  });
});
