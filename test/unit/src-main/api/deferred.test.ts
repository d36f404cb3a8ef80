// Handlers that exist once something has started (the desktop app's head node): calls wait for
// the start, and fail with its reason when it failed.
import { describe, expect, it } from 'vitest';
import type { ApiHandlers } from '../../../../shared/api.ts';
import { deferHandlers } from '../../../../src-main/api/deferred.ts';
import { dispatch } from '../../../../src-main/api/dispatch.ts';
import { ApiFailure } from '../../../../src-main/api/errors.ts';
import { silentLogger } from '../../../../src-main/common/log.ts';

describe('deferred handlers', () => {
  it('answer once the handlers are there, calls made before included', async () => {
    let ready!: (handlers: ApiHandlers) => void;
    const handlers = deferHandlers(new Promise((resolve) => (ready = resolve)));
    const early = dispatch(handlers, 'jobs:why', [{ jobId: 3 }], silentLogger);
    ready({
      'jobs:why': async ({ jobId }) => ({ jobId, queued: 0, running: 0, reasons: [], matching: 1 }),
    });
    expect(await early).toEqual({
      ok: true,
      result: { jobId: 3, queued: 0, running: 0, reasons: [], matching: 1 },
    });
    expect(await dispatch(handlers, 'pool:summary', [], silentLogger)).toMatchObject({
      ok: false,
      error: { code: 'unavailable' },
    });
  });

  it('say why the start failed, to every call', async () => {
    const handlers = deferHandlers(Promise.reject(new Error('port 5222 is in use')));
    expect(await dispatch(handlers, 'app:info', [], silentLogger)).toEqual({
      ok: false,
      error: { code: 'unavailable', message: 'port 5222 is in use' },
    });
  });

  it('pass a handler’s own refusal through', async () => {
    const handlers = deferHandlers(
      Promise.resolve({
        'jobs:cancel': async () => {
          throw new ApiFailure('unknown_job', 'no job 9 of yours');
        },
      }),
    );
    expect(await dispatch(handlers, 'jobs:cancel', [{ jobId: 9 }], silentLogger)).toEqual({
      ok: false,
      error: { code: 'unknown_job', message: 'no job 9 of yours' },
    });
  });
});
