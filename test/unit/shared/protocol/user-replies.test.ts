import { describe, expect, it } from 'vitest';
import { USER_ERROR_CODES } from '../../../../shared/protocol/errors.ts';
import { HELP_TEXT } from '../../../../shared/protocol/help.ts';
import {
  decodeUserReply,
  errorReply,
  errorReplySchema,
  helpReply,
  type UserReply,
} from '../../../../shared/protocol/user.ts';

describe('errorReply and helpReply', () => {
  it.each(USER_ERROR_CODES)('builds an error reply for %s', (code) => {
    const reply = errorReply({ code, reason: 'because' });
    const withHelp = code === 'bad_syntax' || code === 'not_an_object' || code === 'unknown_type';
    expect(reply).toStrictEqual({
      type: 'error',
      code,
      reason: 'because',
      ...(withHelp ? { help: HELP_TEXT } : {}),
    });
    expect(errorReplySchema.parse(reply)).toStrictEqual(reply);
    expect(errorReply({ code, reason: 'r' }, true).help).toBe(HELP_TEXT);
    expect(errorReply({ code, reason: 'r' }, false)).not.toHaveProperty('help');
  });

  it('answers help with the help text', () => {
    expect(helpReply()).toStrictEqual({ type: 'help', text: HELP_TEXT });
    expect(HELP_TEXT).toContain(`{'type':'job', 'command':"~/runtask.sh", 'queue':10000}`);
    expect(HELP_TEXT).toContain(`{'type':'status', 'job_id':317}`);
    expect(HELP_TEXT).toContain(`{'type':'cancel', 'job_id':428}`);
  });
});

describe('decodeUserReply', () => {
  it.each<UserReply>([
    { type: 'job_started', job_id: 483 },
    { type: 'job_rejected', reason: 'the pool takes at most 10 jobs per user' },
    {
      type: 'status',
      jobs: [
        {
          job_id: 317,
          command: '~/runtask.sh',
          queue: 10,
          state: 'running',
          done: 5,
          failed: 1,
          cancelled: 0,
          running: 2,
          queued: 2,
          submitted_at: '2025-01-02T03:04:05.678Z',
          eta_s: 12.5,
          failures: [{ index: 3, exit_code: 2, signal: null, stderr_tail: 'oops' }],
        },
      ],
    },
    { type: 'cancelled', job_ids: [428], tasks: 9000 },
    { type: 'job_finished', job_id: 78, done: 9, failed: 1, cancelled: 0 },
    { type: 'error', code: 'unknown_job', reason: 'no job 5' },
    { type: 'help', text: HELP_TEXT },
  ])('decodes $type', (reply) => {
    expect(decodeUserReply(JSON.stringify(reply))).toStrictEqual({ ok: true, message: reply });
  });

  it('rejects what is not a reply', () => {
    expect(decodeUserReply('{"type":"job"}')).toMatchObject({
      ok: false,
      error: { code: 'unknown_type' },
    });
    expect(decodeUserReply('{"type":"status","jobs":[{}]}')).toMatchObject({
      ok: false,
      error: {
        code: 'invalid_field',
        reason: expect.stringContaining("missing field 'jobs[0].job_id'"),
      },
    });
  });
});
